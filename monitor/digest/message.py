"""A digest as a MIME message: multipart/alternative, plain text first, then HTML (UTF-8)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate

from monitor.digest.model import Digest

SENDER_NAME = "政府信息公开年报监测"


def build_message(digest: Digest, sender: str) -> EmailMessage:
    """Headers are RFC 2047-encoded by the SMTP policy; the Message-ID identifies it forever."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = digest.subject
    msg["From"] = formataddr((SENDER_NAME, sender))
    msg["To"] = (
        formataddr((digest.recipient_name, digest.recipient))
        if digest.recipient_name
        else digest.recipient
    )
    msg["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2] or "localhost"
    # Short enough never to be folded: some clients mishandle a folded Message-ID.
    msg["Message-ID"] = f"<{uuid.uuid4().hex}.nb@{domain}>"
    msg.set_content(digest.text, subtype="plain", charset="utf-8")
    msg.add_alternative(digest.html, subtype="html", charset="utf-8")
    return msg
