"""One streamed pass over the current reports in scope, and the full rows of the few that need them.

The stream reads, per current report, only what every report needs: its (year, agency, id) from
``ix_reports_current`` and, from its ``report_facts`` row, the duplicate check's sketch and whether
the form or text-vs-table rules could say anything about it (``review``, decided when the row was
derived: monitor/facts.py), plus any further column a stream check names in its ``reads`` (a
check added in settings reads what it needs in the same pass). Only the reports flagged for review
are read whole (``load_report_rows``): the few cell values and counts those rules need, and the
text claims made at ingest (the prose itself is never read by a check).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, null, select

from monitor.context import CheckContext
from monitor.sketch_codec import sketch_from_bytes
from core import keys
from storage.cell_grid import GRID_COLUMNS
from storage.models import Report, report_facts


class StreamRow(NamedTuple):
    """One current report as the stream sees it."""

    id: int
    agency_id: int
    site_id: str
    report_year: int
    text_sketch: array | None
    review: bool  # the form or text-vs-table rules may find something: read it whole
    # The further columns the stream checks asked for (their ``reads``), by name.
    extra: Mapping[str, Any] = MappingProxyType({})


def stream_column(name: str) -> Any | None:
    """The column a stream check may name in ``reads``: of ``reports`` (``title``,
    ``published_on``…), else of ``report_facts`` (a grid cell, a counter); None if neither has it."""
    return Report.__table__.c.get(name) if name in Report.__table__.c else report_facts.c.get(name)


@dataclass
class ReportRow:
    """What the review checks (form, text vs table) see of one current report read whole."""

    id: int
    agency_id: int
    site_id: str
    report_year: int
    format: str | None
    parse_status: str
    problems: list[Any]
    sections_present: list[Any]
    text_claims: dict[str, Any] | None
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


def stream_reports(
    ctx: CheckContext, batch: int = 5000, *, sketches: bool = True, reads: Sequence[str] = ()
) -> Iterator[StreamRow]:
    """Current reports in scope, ordered by report year then agency (duplicate checks rely on it).
    ``sketches=False``: without the sketch (the duplicate check runs elsewhere); ``reads``: further
    columns (``stream_column``) put in each row's ``extra``."""
    f = report_facts.c
    sketch_col = f.text_sketch if sketches else null()
    extra = [stream_column(name) for name in reads]
    q = ctx.current_reports(
        select(Report.id, Report.agency_id, Report.report_year, sketch_col, f.form_review, f.text_review, *extra)
        .join(report_facts, f.report_id == Report.id)
        .order_by(Report.report_year, Report.agency_id, Report.id)
    ).execution_options(yield_per=batch)
    agencies = ctx.agencies
    # Core, not ORM, execution: a million plain rows without the ORM result machinery. Every
    # agency of a report in scope is in ``agencies`` (current_reports restricts to them).
    result = ctx.session.connection().execute(q)
    if reads:
        for rid, agency_id, year, sketch, form_review, text_review, *values in result:
            info = agencies.get(agency_id)
            yield StreamRow(
                rid, agency_id, info.site_id if info else "", year, sketch_from_bytes(sketch),
                bool(form_review or text_review), dict(zip(reads, values)),
            )
        return
    for rid, agency_id, year, sketch, form_review, text_review in result:  # the built-ins' stream
        info = agencies.get(agency_id)
        yield StreamRow(
            rid, agency_id, info.site_id if info else "", year, sketch_from_bytes(sketch), bool(form_review or text_review)
        )


def load_report_rows(ctx: CheckContext, ids: list[int]) -> list[ReportRow]:
    """The full rows of these reports, in the order of ``ids``."""
    f = report_facts.c
    q = (
        select(
            Report.id,
            Report.agency_id,
            Report.site_id,
            Report.report_year,
            Report.format,
            Report.parse_status,
            cast(Report.problems, Text),
            cast(Report.sections_present, Text),
            f.text_claims,
            f[GRID_COLUMNS[(keys.REQUESTS, "new", "total")]],
            f[GRID_COLUMNS[(keys.REQUESTS, "carried_in", "total")]],
            f.cells_requests,
            f.values_requests,
            f.cells_appeals,
            f.values_appeals,
        )
        .join(report_facts, f.report_id == Report.id)
        .where(Report.id.in_(ids))
    )
    agencies = ctx.agencies
    rows = {}
    for r in ctx.session.connection().execute(q):
        info = agencies.get(r[1])
        rows[r[0]] = ReportRow(
            id=r[0],
            agency_id=r[1],
            site_id=info.site_id if info else (r[2] or ""),
            report_year=r[3],
            format=r[4],
            parse_status=r[5] or "",
            problems=_problems(r[6]),
            sections_present=_present(r[7]),
            text_claims=_json(r[8]),
            new_total=r[9],
            carried_in_total=r[10],
            requests_has_cells=r[11] > 0,
            requests_has_values=r[12] > 0,
            appeals_has_cells=r[13] > 0,
            appeals_has_values=r[14] > 0,
        )
    return [rows[i] for i in ids if i in rows]
