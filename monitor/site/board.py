"""The officer's board: one status per agency × report year, and on-time rates.

A cell's status is decided from the current report (if any) and the findings the monitor keeps
for that agency and year; nothing is inferred beyond what those record. One status per cell,
the most pressing first: 缺报, 无法读取, 表格不平衡, 逾期 N 天, 按时. A cell whose open findings are
all acknowledged is 已确认; a year whose deadline has not passed and has no report is 未到期.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MISSING, UNREADABLE, UNBALANCED, LATE, ON_TIME = "missing", "unreadable", "unbalanced", "late", "on_time"
ACKNOWLEDGED, NOT_DUE, NO_RECORD = "acknowledged", "not_due", "no_record"

STATUS_LABELS = {
    ON_TIME: "按时",
    LATE: "逾期",
    MISSING: "缺报",
    NOT_DUE: "未到期",
    UNBALANCED: "表格不平衡",
    UNREADABLE: "无法读取",
    ACKNOWLEDGED: "已确认",
    NO_RECORD: "无记录",
}
# Finding kinds behind each status, in the order a cell picks its one status.
STATUS_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    (MISSING, frozenset({"missing_year"})),
    (UNREADABLE, frozenset({"tables_unreadable", "malformed_table", "image_only"})),
    (UNBALANCED, frozenset({"balance", "carryover"})),
    (LATE, frozenset({"late"})),
)
OPEN = frozenset({"new", "open", "reopened"})


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
        if self.status in (NOT_DUE, NO_RECORD):
            return None
        if self.report_id is None:
            return False  # missing (acknowledged or not)
        return not any(f["kind"] == "late" for f in self.findings)


def cell_status(
    year: int,
    report_id: int | None,
    findings: Iterable[Mapping[str, Any]],
    *,
    due: bool,
) -> BoardCell:
    """The status of one agency-year from its current report and its findings (any status)."""
    open_ = [dict(f) for f in findings if f["status"] in OPEN]
    pressing = [f for f in open_ if not f.get("acknowledged")]
    for status, kinds in STATUS_KINDS:
        hits = [f for f in pressing if f["kind"] in kinds]
        if not hits:
            continue
        label = STATUS_LABELS[status]
        if status == LATE:
            days = max((f.get("days_late") or 0) for f in hits)
            label = f"逾期 {days} 天" if days else label
        return BoardCell(year, status, label, report_id, open_)
    if any(f.get("acknowledged") and any(f["kind"] in k for _, k in STATUS_KINDS) for f in open_):
        return BoardCell(year, ACKNOWLEDGED, STATUS_LABELS[ACKNOWLEDGED], report_id, open_)
    if report_id is not None:
        return BoardCell(year, ON_TIME, STATUS_LABELS[ON_TIME], report_id, open_)
    status = NO_RECORD if due else NOT_DUE
    return BoardCell(year, status, STATUS_LABELS[status], None, open_)


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
