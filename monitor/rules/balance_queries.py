"""The SQL half of R1–R7: return only the reports (and columns or rows) that do not balance, so
Python touches just those reports.

``failing_query`` is one pass over ``report_facts``, where a report's cells sit side by side:
each equation is a row expression, and an equation with a blank term is NULL, never true — a
blank cell is not 0. Cells off the grid (keys the official formats do not name) are rare; for
the reports holding some, ``column_query`` and ``row_query`` group their ``report_cells`` rows
as before. Portable SQL (SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import add
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from monitor.context import CheckContext
from core import keys
from storage.cell_grid import GRID_COLUMNS
from storage.models import Report, ReportCell, report_facts

APPEAL_PARTS = ("upheld", "corrected", "other", "pending")
CURRENT_FORMATS = (keys.FORMAT_2021, keys.FORMAT_2019)


def _cell(section: str, row: str, col: str) -> Any:
    return report_facts.c[GRID_COLUMNS[(section, row, col)]]


def _sum(terms: Sequence[Any]) -> Any:
    return reduce(add, terms)


def _request_rows() -> list[str]:
    rows: dict[str, None] = {}
    for fmt in CURRENT_FORMATS:
        rows.update((spec.key, None) for spec in keys.REQUEST_ROWS[fmt])
    return list(rows)


def column_flags() -> dict[str, Any]:
    """Per column of section 三: R1 or (for the report's format) R3 does not hold."""
    q = keys.REQUESTS
    flags = {}
    for col in keys.REQUEST_COLUMNS:
        total = _cell(q, "results_total", col)
        r1 = _cell(q, "new", col) + _cell(q, "carried_in", col) - total - _cell(q, "carried_out", col) != 0
        r3 = [
            and_(Report.format == fmt, _sum([_cell(q, r, col) for r in keys.RESULT_ROWS[fmt]]) - total != 0)
            for fmt in CURRENT_FORMATS
        ]
        flags[col] = or_(r1, *r3)
    return flags


def row_flags() -> dict[tuple[str, str], Any]:
    """Per row: R2 (section 三, applicants) or R4–R6 (section 四, outcomes) does not hold."""
    flags = {}
    for row in _request_rows():
        parts = [_cell(keys.REQUESTS, row, c) for c in keys.APPLICANT_COLUMNS]
        flags[(keys.REQUESTS, row)] = _sum(parts) - _cell(keys.REQUESTS, row, "total") != 0
    for spec in keys.APPEAL_ROWS:
        parts = [_cell(keys.APPEALS, spec.key, c) for c in APPEAL_PARTS]
        flags[(keys.APPEALS, spec.key)] = _sum(parts) - _cell(keys.APPEALS, spec.key, "total") != 0
    return flags


def failing_query(ctx: CheckContext) -> tuple[Any, list[str], list[tuple[str, str]]]:
    """Current reports with an unbalanced column or row, or an irregular number (R7): the
    report id, format, then one flag per column and per row (true where it fails) and the R7
    flag. Returns the statement and the column and row each flag stands for."""
    cols, rows = column_flags(), row_flags()
    irregular = report_facts.c.irregular_numbers > 0
    tables = and_(Report.format.in_(CURRENT_FORMATS), or_(*cols.values(), *rows.values()))
    q = (
        select(Report.id, Report.format, *cols.values(), *rows.values(), irregular)
        .join(report_facts, report_facts.c.report_id == Report.id)
        .where(or_(tables, irregular))
    )
    return ctx.current_reports(q), list(cols), list(rows)


def off_grid_report_ids(ctx: CheckContext) -> list[int]:
    """Current reports of a current format holding cells outside the grid."""
    q = (
        select(Report.id)
        .join(report_facts, report_facts.c.report_id == Report.id)
        .where(report_facts.c.off_grid_cells > 0, Report.format.in_(CURRENT_FORMATS))
    )
    return list(ctx.session.scalars(ctx.current_reports(q)))


def _signed(terms: dict[str, int]) -> tuple[Any, Any]:
    """``SUM(±value)`` over the rows named (a simple CASE on row_key: cheap per cell) and how
    many of them are filled in (COUNT skips NULL: a blank cell is not counted, never taken as 0)."""
    c = ReportCell
    signed = case(
        {row: (c.value if sign > 0 else -c.value) for row, sign in terms.items()},
        value=c.row_key,
        else_=None,
    )
    present = case({row: c.value for row in terms}, value=c.row_key, else_=None)
    return func.sum(signed), func.count(present)


def column_query(ctx: CheckContext, fmt: str, ids: Sequence[int]) -> Any:
    """R1 and R3 per column of section 三, for the reports ``ids`` of one format (its result rows).

    Grouped by report, section and column so that section needs no CASE and no WHERE (a WHERE on
    section makes SQLite walk the section index instead of each report's cells); other sections'
    groups are dropped by HAVING.
    """
    c = ReportCell
    d1, n1 = _signed(
        {"new": 1, "carried_in": 1, "results_total": -1, "carried_out": -1}
    )
    result_rows = keys.RESULT_ROWS[fmt]
    d3, n3 = _signed({**{r: 1 for r in result_rows}, "results_total": -1})
    r1 = and_(n1 == 4, d1 != 0)
    r3 = and_(n3 == len(result_rows) + 1, d3 != 0)
    q = (
        select(Report.id, c.col_key)
        .join(c, c.report_id == Report.id)
        .where(Report.format == fmt, Report.id.in_(ids))
        .group_by(Report.id, c.section, c.col_key)
        # MAX(section), not section: SQLite would push a plain column test down into WHERE.
        .having(and_(func.max(c.section) == keys.REQUESTS, or_(r1, r3)))
    )
    return ctx.current_reports(q)


def row_query(ctx: CheckContext, ids: Sequence[int]) -> Any:
    """R2 per row of section 三 and R4–R6 per row of section 四 of the reports ``ids``."""
    c = ReportCell
    parts = {col: 1 for col in (*keys.APPLICANT_COLUMNS, *APPEAL_PARTS)}
    signed = case(
        {**{k: c.value for k in parts}, "total": -c.value}, value=c.col_key, else_=None
    )
    present = case(
        {**{k: c.value for k in parts}, "total": c.value}, value=c.col_key, else_=None
    )
    # 三: six applicant columns + total; 四: four outcome columns + total ("other" is in both lists,
    # but section 三 names its column other_org, so each section only matches its own columns).
    section = func.max(
        c.section
    )  # an aggregate, so that SQLite cannot push it into WHERE
    complete = or_(
        and_(
            section == keys.REQUESTS,
            func.count(present) == len(keys.APPLICANT_COLUMNS) + 1,
        ),
        and_(section == keys.APPEALS, func.count(present) == len(APPEAL_PARTS) + 1),
    )
    q = (
        select(Report.id, c.section, c.row_key)
        .join(c, c.report_id == Report.id)
        .where(Report.format.in_(CURRENT_FORMATS), Report.id.in_(ids))
        .group_by(Report.id, c.section, c.row_key)
        .having(and_(complete, func.sum(signed) != 0))
    )
    return ctx.current_reports(q)
