"""Digests: which findings each recipient hears about, rendered (Jinja2) and delivered.

``build_digests`` selects and renders; ``deliver_digests`` writes every digest to the outbox
first (never lost) and sends it by SMTP when configured (never twice); ``retry_pending`` sends
what an earlier delivery could not (``retry_chat_pending``: the group-chat cards); ``due_recipients`` applies each recipient's frequency.
"""

from monitor.digest.model import Digest
from monitor.digest.outbox import deliver_digests, retry_chat_pending, retry_pending
from monitor.digest.render import build_digests
from monitor.digest.schedule import due_recipients

__all__ = [
    "Digest",
    "build_digests",
    "deliver_digests",
    "due_recipients",
    "retry_chat_pending",
    "retry_pending",
]
