"""The site's board cells and on-time rates.

Which status a cell has is decided in ``monitor.board.decide_status`` (shared with the spreadsheet
export); this module only wraps that decision with what the site's pages and charts need: the
cell's open findings (for tooltips and links) and whether it counts in the on-time rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from monitor.board import LATE, NO_RECORD, NOT_DUE, UNASSIGNED, FindingMark, decide_status
from monitor.deadlines import Deadline
from monitor.kinds import OPEN_STATUSES


@dataclass
class BoardCell:
    """One agency × year of the board."""

    year: int
    status: str
    label: str
    report_id: int | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)  # open findings of the cell

    @property
    def counts_on_time(self) -> bool | None:
        """True/False when the cell counts in the on-time rate (a due report or a missing one)."""
        if self.status in (NOT_DUE, NO_RECORD, UNASSIGNED):
            return None
        if self.report_id is None:
            return False  # missing (acknowledged or not)
        return self.status != LATE and not any(f["kind"] == "late" for f in self.findings)


def cell_status(
    year: int,
    report_id: int | None,
    findings: Iterable[Mapping[str, Any]],
    *,
    published_on: date | None,
    deadline: Deadline,
    as_of: date,
    stand_in: bool = False,
) -> BoardCell:
    """The site's cell for one agency-year from its current report and its findings (any status);
    ``stand_in`` for the body core.agencies.UNNAMED_AGENCY (no deadline: see decide_status)."""
    open_ = [dict(f) for f in findings if f["status"] in OPEN_STATUSES]
    marks = [FindingMark(f["kind"], bool(f.get("acknowledged")), f.get("days_late")) for f in open_]
    status, label, _ = decide_status(
        marks,
        has_report=report_id is not None,
        published_on=published_on,
        deadline=deadline,
        as_of=as_of,
        missing_by_calendar=False,
        stand_in=stand_in,
    )
    return BoardCell(year, status, label, report_id, open_)


def on_time_rate(cells: Iterable[BoardCell]) -> tuple[int, int]:
    """(on time, counted) over cells that count: due reports and missing ones."""
    on, total = 0, 0
    for c in cells:
        flag = c.counts_on_time
        if flag is None:
            continue
        total += 1
        on += bool(flag)
    return on, total
