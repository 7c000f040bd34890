"""What the site shows, read from the database: sites, agencies, reports and findings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, select, type_coerce
from sqlalchemy.types import NullType
from sqlalchemy.orm import Session

from monitor.context import chunked
from monitor.lifecycle import finding_to_dict
from monitor.site.form import cell_text
from storage.models import Agency, Finding, RawDocument, Report, ReportCell, Site


@dataclass(frozen=True)
class SiteRow:
    id: str
    name: str
    region: str
    level: str


@dataclass(frozen=True)
class AgencyRow:
    id: int
    site_id: str
    name: str
    level: str


@dataclass(frozen=True)
class ReportListing:
    """A report without its cells and prose (those are read page by page)."""

    id: int
    site_id: str
    agency_id: int
    report_year: int
    format: str | None
    title: str | None
    source_url: str
    published_on: date | None
    published_source: str | None
    parse_status: str
    superseded: bool
    warnings: list[Any]
    sha256: str | None
    media_type: str | None
    parsed_at: Any = None  # when its cells and prose were last written (they change only then)


@dataclass
class SiteData:
    sites: list[SiteRow]
    agencies: dict[int, AgencyRow]
    reports: dict[int, ReportListing]
    findings: list[dict[str, Any]]
    # (agency id, year) → the current report's id; findings by report / by (agency, year).
    current: dict[tuple[int, int], int] = field(default_factory=dict)
    by_report: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    by_cell: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def load_site_data(session: Session, site_ids: Sequence[str] | None = None) -> SiteData:
    """Everything the index and the per-page loops need, in a few set-based queries."""
    q = select(Site.id, Site.name, Site.region, Site.level).order_by(Site.region, Site.id)
    if site_ids:
        q = q.where(Site.id.in_(list(site_ids)))
    sites = [SiteRow(*r) for r in session.execute(q)]
    ids = [s.id for s in sites]
    agencies = {
        r[0]: AgencyRow(*r)
        for r in session.execute(
            select(Agency.id, Agency.site_id, Agency.name, Agency.level)
            .where(Agency.site_id.in_(ids))
            .order_by(Agency.site_id, Agency.id)
        )
    }
    reports: dict[int, ReportListing] = {}
    rq = (
        select(
            Report.id, Agency.site_id, Report.agency_id, Report.report_year, Report.format, Report.title,
            Report.source_url, Report.published_on, Report.published_source, Report.parse_status,
            Report.superseded, Report.warnings, RawDocument.sha256, RawDocument.media_type, Report.parsed_at,
        )
        .join(Agency, Agency.id == Report.agency_id)
        .join(RawDocument, RawDocument.id == Report.raw_document_id, isouter=True)
        .where(Agency.site_id.in_(ids))
        .order_by(Report.id)
    )
    for r in session.execute(rq):
        reports[r[0]] = ReportListing(*r[:11], list(r[11] or []), r[12], r[13], r[14])
    data = SiteData(sites, agencies, reports, [])
    for rep in reports.values():
        if not rep.superseded:
            data.current[(rep.agency_id, rep.report_year)] = rep.id
    fq = select(Finding).where(Finding.site_id.in_(ids)).order_by(Finding.id)
    for f in session.scalars(fq.execution_options(yield_per=2000)):
        d = finding_to_dict(f)
        d["days_late"] = d["evidence"].get("days_late")
        data.findings.append(d)
        if d["report_id"] is not None:
            data.by_report[d["report_id"]].append(d)
        if d["agency_id"] is not None and d["report_year"] is not None:
            data.by_cell[(d["agency_id"], d["report_year"])].append(d)
    session.expunge_all()  # the dicts are all we keep: let the ORM objects go
    return data


def as_decimal(value: Any) -> Decimal | None:
    """A NUMERIC value as the driver gave it (SQLite: int or float; PostgreSQL: Decimal) as a
    Decimal, without SQLAlchemy's per-row processor: a float by its shortest repr, which is the
    value stored (at most 6 decimals, ``Numeric(20, 6)``)."""
    if value is None or type(value) is Decimal:
        return value
    if type(value) is int:
        return Decimal(value)
    return Decimal(repr(value)) if type(value) is float else Decimal(str(value))


@dataclass
class ReportBody:
    """A report's cells ``(section, row, column) → (value, text as shown)`` and its prose by section."""

    cells: dict[tuple[str, str, str], tuple[Decimal | None, str]]
    sections_text: dict[str, str]


def _driver_rows(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """``query``'s rows as the driver's plain tuples: on a province's site (millions of cells)
    SQLAlchemy's rows cost as much again as the driver's fetch. Only for queries whose literals
    are integers (rendered into the SQL, so no parameter style to match) and whose columns need
    no result processing."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


_WHOLE: dict[int, tuple[Decimal | None, str]] = {}  # a driver's int → (Decimal, text), shared


def _cell_value(value: Any) -> tuple[Decimal | None, str]:
    number = as_decimal(value)
    got = (number, cell_text(number))
    if type(value) is int:
        if len(_WHOLE) > 100_000:
            _WHOLE.clear()
        _WHOLE[value] = got
    return got


def iter_report_bodies(session: Session, report_ids: Sequence[int], batch: int = 200) -> Iterator[tuple[int, ReportBody]]:
    """Cells and prose of these reports, a batch at a time, in the order given."""
    for ids in chunked(report_ids, batch):
        bodies = {rid: ReportBody({}, {}) for rid in ids}
        # Core, not ORM, execution: these are plain rows, millions of them on a province's site.
        conn = session.connection()
        for rid, text in conn.execute(select(Report.id, Report.sections_text).where(Report.id.in_(ids))):
            bodies[rid].sections_text = dict(text or {})
        cq = select(
            ReportCell.report_id, ReportCell.section, ReportCell.row_key, ReportCell.col_key,
            type_coerce(ReportCell.value, NullType()),  # the driver's number, made Decimal below
        ).where(ReportCell.report_id.in_([int(i) for i in ids]))
        cells_of = {rid: body.cells for rid, body in bodies.items()}
        for rid, section, row, col, value in _driver_rows(conn, cq):
            # The text is made once here; the report page and two comparisons show it. Most
            # values are small whole numbers (SQLite gives them as int): one look-up each.
            got = _WHOLE.get(value) if type(value) is int else None
            if got is None:
                got = _cell_value(value)
            cells_of[rid][(section, row, col)] = got
        for rid in ids:
            yield rid, bodies[rid]


def load_cells(
    session: Session, report_ids: Sequence[int], cells: Sequence[tuple[str, str, str]], batch: int = 500
) -> dict[int, dict[tuple[str, str, str], Decimal | None]]:
    """Only these cells of these reports (found by the cells' unique index, not by reading every
    cell of each report): ``report id → {(section, row, column): value}``."""
    out: dict[int, dict[tuple[str, str, str], Decimal | None]] = defaultdict(dict)
    sections = sorted({c[0] for c in cells})
    rows = sorted({c[1] for c in cells})
    cols = sorted({c[2] for c in cells})
    wanted = set(cells)
    conn = session.connection()
    for ids in chunked(report_ids, batch):
        q = select(ReportCell.report_id, ReportCell.section, ReportCell.row_key, ReportCell.col_key, ReportCell.value).where(
            ReportCell.report_id.in_(ids),
            ReportCell.section.in_(sections),
            ReportCell.row_key.in_(rows),
            ReportCell.col_key.in_(cols),
        )
        for rid, section, row, col, value in conn.execute(q).all():
            if (section, row, col) in wanted:
                out[rid][(section, row, col)] = value
    return out
