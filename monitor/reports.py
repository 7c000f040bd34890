"""One streamed pass over the current reports in scope, with the few cell facts the
per-report checks need computed by the database (correlated subqueries on indexed columns)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, cast, select

from monitor.context import CheckContext
from nianbao import keys
from storage.models import Report, ReportCell


@dataclass
class ReportRow:
    """What the per-report checks see of one current report."""

    id: int
    agency_id: int
    site_id: str
    report_year: int
    format: str | None
    parse_status: str
    problems: list[Any]
    sections_present: list[Any]
    sections_text: dict[str, Any]
    new_total: Decimal | None
    carried_in_total: Decimal | None
    requests_has_cells: bool
    requests_has_values: bool
    appeals_has_cells: bool
    appeals_has_values: bool


# JSON columns are read as their stored text and decoded only when there is something in them:
# over a million reports, decoding "[]" and the usual six headings dominated the stream.
ALL_SECTIONS = ["一", "二", "三", "四", "五", "六"]
_ALL_SECTIONS_TEXT = json.dumps(ALL_SECTIONS)  # as SQLAlchemy's JSON type serializes it


def _json(raw: str | None) -> Any:
    return json.loads(raw) if raw else None


def _problems(raw: str | None) -> list[Any]:
    return [] if not raw or raw in ("[]", "null") else (json.loads(raw) or [])


def _present(raw: str | None) -> list[Any]:
    return list(ALL_SECTIONS) if raw == _ALL_SECTIONS_TEXT else (_json(raw) or [])


def _value(row: str, col: str) -> Any:
    return (
        select(ReportCell.value)
        .where(
            ReportCell.report_id == Report.id,
            ReportCell.section == keys.REQUESTS,
            ReportCell.row_key == row,
            ReportCell.col_key == col,
        )
        .scalar_subquery()
    )


def _has(section: str, *, values: bool) -> Any:
    q = select(ReportCell.id).where(
        ReportCell.report_id == Report.id, ReportCell.section == section
    )
    if values:
        q = q.where(ReportCell.value.is_not(None))
    return q.exists()


def stream_reports(ctx: CheckContext, batch: int = 2000) -> Iterator[ReportRow]:
    """Current reports in scope, ordered by report year then agency (duplicate checks rely on it)."""
    q = ctx.current_reports(
        select(
            Report.id,
            Report.agency_id,
            Report.site_id,
            Report.report_year,
            Report.format,
            Report.parse_status,
            cast(Report.problems, Text),
            cast(Report.sections_present, Text),
            cast(Report.sections_text, Text),
            _value("new", "total"),
            _value("carried_in", "total"),
            _has(keys.REQUESTS, values=False),
            _has(keys.REQUESTS, values=True),
            _has(keys.APPEALS, values=False),
            _has(keys.APPEALS, values=True),
        ).order_by(Report.report_year, Report.agency_id, Report.id)
    ).execution_options(yield_per=batch)
    agencies = ctx.agencies
    for r in ctx.session.execute(q):
        info = agencies.get(r[1])
        yield ReportRow(
            id=r[0],
            agency_id=r[1],
            site_id=info.site_id if info else (r[2] or ""),
            report_year=r[3],
            format=r[4],
            parse_status=r[5] or "",
            problems=_problems(r[6]),
            sections_present=_present(r[7]),
            sections_text=_json(r[8]) or {},
            new_total=r[9],
            carried_in_total=r[10],
            requests_has_cells=bool(r[11]),
            requests_has_values=bool(r[12]),
            appeals_has_cells=bool(r[13]),
            appeals_has_values=bool(r[14]),
        )
