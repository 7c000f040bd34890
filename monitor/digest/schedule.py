"""Which recipients are due a digest now, by their ``frequency`` (daily, weekly, monthly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.settings import Recipient, Settings
from storage.db import Database
from storage.models import Outbox

PERIODS = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=28),
}
SLACK = timedelta(
    hours=2
)  # a job that fires a little earlier than last time still counts


def due_recipients(
    db: Database, settings: Settings, now: datetime | None = None
) -> list[Recipient]:
    """Recipients whose last digest (written or sent) is at least one period old, or who never had one."""
    now = now or datetime.now(UTC)
    with db.session() as s:
        last = {
            r: t
            for r, t in s.execute(
                select(Outbox.recipient, func.max(Outbox.created_at)).group_by(
                    Outbox.recipient
                )
            )
        }
    due = []
    for r in settings.recipients:
        prev = last.get(r.email)
        if prev is not None and prev.tzinfo is None:
            prev = prev.replace(
                tzinfo=UTC
            )  # SQLite drops the zone; stored times are UTC
        if prev is None or now - prev >= PERIODS[r.frequency] - SLACK:
            due.append(r)
    return due
