"""The SQL half of R1–R7: aggregate each report's cells in the database and return only the
groups that do not balance (report, and column or row), so Python touches just those reports.

Portable SQL (SQLite and PostgreSQL). Blank cells are NULL or absent; ``COUNT`` skips them, and a
group is only judged when every term of its equation is filled in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, or_, select

from monitor.context import CheckContext
from nianbao import keys
from storage.models import Report, ReportCell

APPEAL_PARTS = ("upheld", "corrected", "other", "pending")
CURRENT_FORMATS = (keys.FORMAT_2021, keys.FORMAT_2019)


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


def column_query(ctx: CheckContext, fmt: str) -> Any:
    """R1 and R3 per column of section 三, for reports of one format (its result rows).

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
        .where(Report.format == fmt)
        .group_by(Report.id, c.section, c.col_key)
        # MAX(section), not section: SQLite would push a plain column test down into WHERE.
        .having(and_(func.max(c.section) == keys.REQUESTS, or_(r1, r3)))
    )
    return ctx.current_reports(q)


def row_query(ctx: CheckContext) -> Any:
    """R2 per row of section 三 and R4–R6 per row of section 四: total = sum of the parts."""
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
        .where(Report.format.in_(CURRENT_FORMATS))
        .group_by(Report.id, c.section, c.row_key)
        .having(and_(complete, func.sum(signed) != 0))
    )
    return ctx.current_reports(q)


def sign_query(ctx: CheckContext) -> Any:
    """R7: negative values (except signed changes) and fractional counts."""
    c = ReportCell
    negative = and_(c.value < 0, c.col_key.notin_(keys.SIGNED_COLUMNS))
    fractional = and_(
        c.col_key.notin_(keys.DECIMAL_COLUMNS), c.value != func.round(c.value)
    )
    q = (
        select(c.report_id, c.section, c.row_key, c.col_key)
        .join(Report, Report.id == c.report_id)
        .where(or_(negative, fractional))
    )
    return ctx.current_reports(q)
