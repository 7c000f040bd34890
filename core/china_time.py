"""Times as officers read them: China Standard Time. Stored times are UTC (SQLite drops the
zone, so a naive stored time is read as UTC); deadlines and dates shown are days in China."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def _in_china(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(CHINA)


def local_time(value: datetime | None) -> str | None:
    """A stored time as ISO text in China Standard Time, to the second."""
    return None if value is None else _in_china(value).isoformat(timespec="seconds")


def china_date(value: datetime | None) -> date | None:
    """The calendar day in China of a stored time."""
    return None if value is None else _in_china(value).date()
