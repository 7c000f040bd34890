"""A rendered digest for one recipient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Digest:
    """One recipient's e-mail: subject, plain text and HTML, and the findings it reports as new."""

    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str
    as_of: date
    finding_ids: list[int] = field(
        default_factory=list
    )  # new/changed findings: marked notified once written
    counts: dict[str, Any] = field(default_factory=dict)
    # For the group-chat card (monitor/channels.py): ``by_kind`` [{label, open, new}], ``worst``
    # (the most severe new findings), ``scope``; the same selection as the e-mail.
    summary: dict[str, Any] = field(default_factory=dict)
