"""A finding's history for its page: what happened to it, and every check that saw it.

A check of a finding's site either sees the finding (it is produced again) or resolves it, so the
checks that saw it are those of its site between its first and last sighting, except while it
stood resolved (from a ``resolved`` event to the next ``reopened`` one). Findings older than the
event records (migration 0010) have none: every check of their site between first and last seen.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.china_time import local_time
from storage.models import CheckRun, Finding, FindingEvent

# An event's Chinese name, and how its detail is introduced.
EVENT_LABELS = {
    "new": ("首次发现", ""),
    "resolved": ("已解决（核查中不再出现）", ""),
    "reopened": ("再次出现", ""),
    "acknowledged": ("已确认", "理由："),
    "moved": ("随报告转至其认定的机关", "机关："),
}


@dataclass(frozen=True)
class RunSeen:
    at: str  # China time
    as_of: date


@dataclass
class History:
    """Check runs (sorted by time) and each finding's events and sightings window."""

    runs: list[tuple[datetime, date, frozenset[str] | None]] = field(default_factory=list)
    events: dict[int, list[tuple[datetime, str, str | None]]] = field(default_factory=lambda: defaultdict(list))
    window: dict[int, tuple[datetime, datetime]] = field(default_factory=dict)

    def timeline(self, finding_id: int) -> list[tuple[str, str, str | None]]:
        """The finding's events as (China time, Chinese label, detail as shown or ""), oldest first."""
        out = []
        for at, ev, detail in self.events.get(finding_id, []):
            label, lead = EVENT_LABELS.get(ev, (ev, ""))
            out.append((local_time(at) or "", label, f"{lead}{detail}" if detail else ""))
        return out

    def seen_by(self, finding_id: int, site_id: str | None) -> list[RunSeen]:
        """Every check run that saw the finding, oldest first."""
        if finding_id not in self.window:
            return []
        first, last = self.window[finding_id]
        times = [r[0] for r in self.runs]
        lo, hi = bisect_left(times, first), bisect_right(times, last)
        resolved: list[tuple[datetime, datetime | None]] = []
        for at, ev, _ in self.events.get(finding_id, []):
            if ev == "resolved":
                resolved.append((at, None))
            elif ev == "reopened" and resolved and resolved[-1][1] is None:
                resolved[-1] = (resolved[-1][0], at)
        out = []
        for at, as_of, sites in self.runs[lo:hi]:
            if sites is not None and site_id not in sites:
                continue
            if any(start <= at and (end is None or at < end) for start, end in resolved):
                continue
            out.append(RunSeen(local_time(at) or "", as_of))
        return out


def load_history(session: Session, finding_ids: Sequence[int]) -> History:
    """The check runs and these findings' events and first/last sightings, in a few queries."""
    h = History()
    h.runs = sorted(
        (at, as_of, frozenset(sites) if sites else None)
        for at, as_of, sites in session.execute(select(CheckRun.at, CheckRun.as_of, CheckRun.sites))
    )
    conn = session.connection()
    for start in range(0, len(finding_ids), 1000):
        ids = list(finding_ids[start : start + 1000])
        for fid, first, last in conn.execute(select(Finding.id, Finding.first_seen, Finding.last_seen).where(Finding.id.in_(ids))):
            h.window[fid] = (first, last)
        q = (
            select(FindingEvent.finding_id, FindingEvent.at, FindingEvent.event, FindingEvent.detail)
            .where(FindingEvent.finding_id.in_(ids))
            .order_by(FindingEvent.finding_id, FindingEvent.at, FindingEvent.id)
        )
        for fid, at, event, detail in conn.execute(q):
            h.events[fid].append((at, event, detail))
    return h
