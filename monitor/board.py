"""The board: for every body and report year, one status an officer reads at a glance.

Statuses (Chinese, as officers read them): 按时 / 逾期 N 天 / 缺报 / 未到期 / 表格不平衡 / 无法读取 /
已确认 / 待认定机构, and 无记录 on the static site. They are derived from the current reports and the open
findings the monitor keeps, so the board says what the digest and `nianbao findings` say. This is
the one place that decides a cell's status (``decide_status``): the spreadsheet export builds its
board with ``build_board``, the static site decides each of its cells with ``decide_status``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from core.agencies import UNNAMED_AGENCY
from core.settings import Settings
from monitor.deadlines import Deadline, DeadlineCalendar
from monitor.kinds import LEVEL_LABELS, OPEN_STATUSES
from storage.models import Agency, Finding, Report, Site

# Codes (stable, for programs) and their labels (for officers); worst first.
MISSING, UNREADABLE, UNBALANCED, LATE, UNASSIGNED, ACKNOWLEDGED, ON_TIME, NOT_DUE, NO_RECORD = (
    "missing",
    "unreadable",
    "unbalanced",
    "late",
    "unassigned",
    "acknowledged",
    "on_time",
    "not_due",
    "no_record",
)
STATUS_LABELS = {
    MISSING: "缺报",
    UNREADABLE: "无法读取",
    UNBALANCED: "表格不平衡",
    LATE: "逾期",  # shown as 逾期 N 天 when the number of days is known
    # A report filed under the stand-in core.agencies.UNNAMED_AGENCY: no body, so no deadline;
    # it waits for an officer to say whose it is (`nianbao assign-agency`).
    UNASSIGNED: "待认定机构",
    ACKNOWLEDGED: "已确认",
    ON_TIME: "按时",
    NOT_DUE: "未到期",
    # Only on the site, whose grid covers every body and year: due, no report, and the
    # missing-year rule has not judged it (the export leaves such a cell out).
    NO_RECORD: "无记录",
}
STATUS_ORDER = tuple(STATUS_LABELS)

# Which open finding kinds decide a status, in the order they win.
KIND_STATUS = (
    (frozenset({"missing_year"}), MISSING),
    (frozenset({"tables_unreadable", "image_only", "malformed_table"}), UNREADABLE),
    (frozenset({"balance", "carryover"}), UNBALANCED),
    (frozenset({"late"}), LATE),
)



class FindingMark(NamedTuple):
    """What the board reads of one open finding."""

    kind: str
    acknowledged: bool
    days_late: int | None = None


def decide_status(
    found: list[FindingMark],
    *,
    has_report: bool,
    published_on: date | None,
    deadline: Deadline,
    as_of: date,
    missing_by_calendar: bool = True,
    stand_in: bool = False,
) -> tuple[str, str, int | None]:
    """``(status code, label, days late)`` of one body-year from its open findings and report.

    ``missing_by_calendar``: a due year without report nor finding is 缺报 (True, the export's
    board of bodies held to publish) or 无记录 (False, the site's grid of every body and year).
    ``stand_in``: the body is core.agencies.UNNAMED_AGENCY, which has no deadline: its cell is
    待认定机构 unless a finding about the report itself (unreadable, unbalanced) says worse.
    """
    unacked = [f for f in found if not f.acknowledged]
    kinds = {f.kind for f in unacked}
    if stand_in:
        for group, status in KIND_STATUS:
            if status in (UNREADABLE, UNBALANCED) and kinds & group:
                return status, STATUS_LABELS[status], None
        if not has_report:  # owes nothing: an empty cell
            return NO_RECORD, STATUS_LABELS[NO_RECORD], None
        return UNASSIGNED, STATUS_LABELS[UNASSIGNED], None
    for group, status in KIND_STATUS:
        if kinds & group:
            if status == LATE:
                known = [f.days_late for f in unacked if f.kind == "late" and f.days_late is not None]
                days = max(known) if known else None
                label = f"逾期 {days} 天" if days is not None else STATUS_LABELS[LATE]
                return LATE, label, days
            return status, STATUS_LABELS[status], None
    if found and not unacked:
        return ACKNOWLEDGED, STATUS_LABELS[ACKNOWLEDGED], None
    if has_report:
        if published_on is not None and published_on > deadline.effective:
            # Published late but not (yet) checked: the days the late rule counts.
            days = (published_on - deadline.due).days
            return LATE, f"逾期 {days} 天", days
        return ON_TIME, STATUS_LABELS[ON_TIME], None
    if as_of <= deadline.effective:
        return NOT_DUE, STATUS_LABELS[NOT_DUE], None
    status = MISSING if missing_by_calendar else NO_RECORD
    return status, STATUS_LABELS[status], None


@dataclass
class BoardCell:
    """One body's status for one report year."""

    year: int
    status: str  # a code of STATUS_LABELS
    label: str  # what the officer reads, e.g. 逾期 12 天
    days_late: int | None = None
    report_id: int | None = None
    source_url: str | None = None
    finding_ids: list[int] = field(default_factory=list)


@dataclass
class BoardRow:
    """One body (agency) with its cells by report year."""

    agency_id: int
    agency: str
    site_id: str
    site_name: str
    region: str
    level: str
    level_label: str
    cells: dict[int, BoardCell] = field(default_factory=dict)


@dataclass
class Board:
    """Bodies × report years, as of a check date."""

    as_of: date
    years: list[int]
    rows: list[BoardRow]

    def counts(self) -> dict[str, int]:
        """How many cells have each status (codes), over the whole board."""
        out: dict[str, int] = defaultdict(int)
        for r in self.rows:
            for c in r.cells.values():
                out[c.status] += 1
        return dict(out)


def build_board(
    session: Session,
    settings: Settings,
    as_of: date,
    *,
    sites: list[str] | None = None,
    years: list[int] | None = None,
) -> Board:
    """The board of every body expected to publish (or that did publish), for ``years``
    (default: from ``monitor.first_year`` to the last year whose reports exist or have fallen due)."""
    cal = DeadlineCalendar(settings.monitor)
    q = select(Agency, Site).join(Site, Site.id == Agency.site_id)
    if sites:
        q = q.where(Agency.site_id.in_(sites))
    bodies = list(session.execute(q))
    reports: dict[tuple[int, int], Report] = {}
    rq = select(Report).where(Report.superseded == false())
    if sites:
        rq = rq.where(Report.site_id.in_(sites))
    for rep in session.scalars(rq.order_by(Report.id)):
        reports[(rep.agency_id, rep.report_year)] = rep  # newest current report wins
    findings: dict[tuple[int, int], list[Finding]] = defaultdict(list)
    fq = select(Finding).where(
        Finding.status.in_(OPEN_STATUSES), Finding.agency_id.is_not(None)
    )
    if sites:
        fq = fq.where(Finding.site_id.in_(sites))
    for f in session.scalars(fq.order_by(Finding.id)):
        if f.report_year is not None:
            findings[(f.agency_id, f.report_year)].append(f)
    publishers = {aid for aid, _ in reports} | {aid for aid, _ in findings}
    if years is None:
        seen = {y for _, y in reports} | {y for _, y in findings}
        last = max([*seen, as_of.year - 1])
        years = list(range(settings.monitor.first_year, last + 1))
    rows = []
    for agency, site in bodies:
        if not (agency.expected or agency.id in publishers):
            continue
        region = site.region or "（未设地区）"
        row = BoardRow(
            agency.id,
            agency.name,
            site.id,
            site.name,
            region,
            agency.level,
            LEVEL_LABELS.get(agency.level, agency.level or ""),
        )
        start = max(settings.monitor.first_year, agency.first_year or 0)
        if not agency.expected:
            # A body found by crawling, not declared: nothing says it had to publish before its
            # first report (the missing-year rule too only judges declared bodies).
            start = max(start, min(y for aid, y in [*reports, *findings] if aid == agency.id))
        for year in years:
            key = (agency.id, year)
            # The stand-in for bodies unknown (core.agencies.UNNAMED_AGENCY) owes no year.
            if (year < start or agency.name == UNNAMED_AGENCY) and key not in reports and key not in findings:
                continue
            deadline = cal.deadline(year, agency.level, region)
            row.cells[year] = _cell(
                year, reports.get(key), findings.get(key, []), as_of, deadline, stand_in=agency.name == UNNAMED_AGENCY
            )
        rows.append(row)
    rows.sort(key=lambda r: (r.region, r.site_name, r.level != "government", r.agency))
    return Board(as_of, list(years), rows)


def _cell(
    year: int, report: Report | None, found: list[Finding], as_of: date, deadline: Deadline, *, stand_in: bool = False
) -> BoardCell:
    marks = [FindingMark(f.kind, bool(f.acknowledged), (f.evidence or {}).get("days_late")) for f in found]
    status, label, days = decide_status(
        marks,
        has_report=report is not None,
        published_on=report.published_on if report else None,
        deadline=deadline,
        as_of=as_of,
        stand_in=stand_in,
    )
    return BoardCell(
        year,
        status,
        label,
        days_late=days,
        report_id=report.id if report else None,
        source_url=report.source_url if report else None,
        finding_ids=[f.id for f in found],
    )
