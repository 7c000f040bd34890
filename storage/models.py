"""SQLAlchemy 2 models. Portable SQL only: every table runs unchanged on SQLite and PostgreSQL.

Data flows one way: a fetch stores a ``RawDocument`` (bytes live in the content-addressed
``RawStore``), the parser turns it into a ``Report`` with its ``ReportCell``s, the monitor turns
reports into ``Finding``s. ``CrawlRun``/``CrawlError``/``ListSighting`` record what the crawler did,
which the monitor uses as evidence (first seen, absent from a list after a claimed date).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.agencies import agency_key
from storage.cell_grid import GRID_COLUMNS
from storage.fit import fit_text_columns


KEY_WIDTH = 200  # agencies.name_key


def _name_key(context: Any) -> str:
    return agency_key(context.get_current_parameters()["name"])[:KEY_WIDTH]


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Site(Base):
    """A configured portal (mirrors ``settings.yaml``; refreshed on every run)."""

    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(20), default="county")
    cms: Mapped[str] = mapped_column(String(40), default="auto")
    # {alias key: official key} from settings (sites[].aliases, sites[].agencies[].aliases), so
    # that every process filing reports joins an alias to its agency (migration 0007).
    agency_aliases: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=dict)
    # core.agencies.RULES_VERSION the site's agencies were last keyed with (NULL: never).
    agency_rules: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Agency(Base):
    """A publishing body: the government itself, a department or a township."""

    __tablename__ = "agencies"
    __table_args__ = (
        UniqueConstraint("site_id", "name"),
        # One row per body: names that differ only in form share a key (migration 0007).
        Index("ix_agencies_site_key", "site_id", "name_key", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(String(200))
    # core.agencies.agency_key of the name in its site's region, aliases applied; set by whoever
    # files or syncs the agency (storage.ingest, storage.sites), else from the name alone.
    name_key: Mapped[str | None] = mapped_column(String(KEY_WIDTH), nullable=True, default=_name_key)
    level: Mapped[str] = mapped_column(String(20), default="department")  # government|department|township
    expected: Mapped[bool] = mapped_column(Boolean, default=False)  # declared in the registry
    first_year: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RawDocument(Base):
    """One fetched or imported document version: URL + content hash, bytes in the raw store."""

    __tablename__ = "raw_documents"
    __table_args__ = (
        UniqueConstraint("url", "sha256"),
        Index("ix_raw_documents_url", "url"),
        Index("ix_raw_documents_pending", "ingest_pending", "id"),  # the ingest queue, oldest first
        Index("ix_raw_documents_crawl_run", "crawl_run_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    url: Mapped[str] = mapped_column(String(2000))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # list-page title/date etc.
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # last fetch
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # first fetch of this URL+content
    origin: Mapped[str] = mapped_column(String(20), default="crawl")  # crawl|import|demo
    # The ingest queue (storage.ingest_queue): kept, not yet parsed and filed. A consumer claims a
    # row (claim token, time) before parsing it; a claim older than the stale limit is taken over.
    ingest_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ingest_claim: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ingest_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)  # new|changed|…|failed
    crawl_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the run that last fetched it


class Report(Base):
    """A parsed annual report of one agency for one year, from one source URL."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("agency_id", "report_year", "source_url"),
        Index("ix_reports_agency_year", "agency_id", "report_year"),
        # Checks read current reports in (year, agency) order. The table row cannot serve:
        # ``superseded`` and ``parsed_at`` sit after the long ``sections_text``, in overflow pages.
        # ``published_on`` and ``source_url`` let the late and backdating checks work from the index
        # alone: reading a row to reach them walks the table, prose and all (migration 0005).
        Index(
            "ix_reports_current", "superseded", "report_year", "agency_id", "id", "parsed_at", "published_on", "source_url"
        ),
        # Reports by URL: a crawl asks it of every page that answers 304, `reparse --url` too.
        Index("ix_reports_source_url", "source_url"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    raw_document_id: Mapped[int] = mapped_column(ForeignKey("raw_documents.id"))
    report_year: Mapped[int] = mapped_column(Integer)
    format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_url: Mapped[str] = mapped_column(String(2000))
    published_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    published_source: Mapped[str | None] = mapped_column(String(40), nullable=True)
    dates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    parse_status: Mapped[str] = mapped_column(String(20))
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sections_present: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sections_text: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The newest report of an agency-year is current; older ones are kept as history.
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    parsed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    agency: Mapped[Agency] = relationship()
    cells: Mapped[list[ReportCell]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportCell.id"
    )


class ReportCell(Base):
    """One table cell; ``value`` NULL for a blank cell, ``raw`` is the text as published."""

    __tablename__ = "report_cells"
    __table_args__ = (
        # Also the index of a report's cells (its first column): the only way cells are read
        # since checks moved to report_facts (migration 0003 dropped the two other indexes).
        UniqueConstraint("report_id", "section", "row_key", "col_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(20))
    row_key: Mapped[str] = mapped_column(String(60))
    col_key: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 6), nullable=True)
    raw: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str | None] = mapped_column(String(20), nullable=True)

    report: Mapped[Report] = relationship(back_populates="cells")


# Derived from a report and its cells (monitor/facts.py), so that checks over a million reports
# are one pass of row expressions: the cell values side by side (one column per canonical cell,
# storage/cell_grid.py), cell counts, and text facts. ``report_cells`` stays the evidence store.
# A row is stale when its ``parsed_at`` or ``version`` differs from the report's / the code's.
report_facts = Table(
    "report_facts",
    Base.metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("parsed_at", DateTime(timezone=True), nullable=False),  # the report's, when derived
    Column("version", Integer, nullable=False),  # monitor.facts.FACTS_VERSION when derived
    *(Column(f"cells_{s}", Integer, nullable=False) for s in ("active", "requests", "appeals")),
    *(Column(f"values_{s}", Integer, nullable=False) for s in ("active", "requests", "appeals")),
    Column("off_grid_cells", Integer, nullable=False),  # cells with keys outside the grid
    Column("irregular_numbers", Integer, nullable=False),  # negative or fractional where not allowed
    Column("text_sketch", LargeBinary, nullable=True),  # bottom-K clause hashes of 一/五/六
    Column("text_claims", Text, nullable=True),  # JSON: what the prose says about the table
    *(Column(name, Numeric(20, 6), nullable=True) for name in GRID_COLUMNS.values()),
    # Whether the form rules / the text-vs-table rules can fire on the report (migration 0004):
    # a check reads only such reports whole. True by default: reading one too many is harmless.
    Column("form_review", Boolean, nullable=False, server_default=true()),
    Column("text_review", Boolean, nullable=False, server_default=true()),
)


class Finding(Base):
    """A problem the monitor found, with a stable identity (``fingerprint``) across runs."""

    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    rule: Mapped[str | None] = mapped_column(String(40), nullable=True)
    severity: Mapped[str] = mapped_column(String(20))  # error|warning|info
    status: Mapped[str] = mapped_column(String(20), index=True)  # new|open|resolved|reopened
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    report_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    agency: Mapped[Agency | None] = relationship()


class CheckRun(Base):
    """One check (`nianbao check`, scheduled or not): when it ran, as of which day, over which
    sites (None: all). A finding was seen by every check of its site between its first and last
    sighting while it was not resolved (its ``FindingEvent`` rows say when)."""

    __tablename__ = "check_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # the findings' ``now``
    as_of: Mapped[date] = mapped_column(Date)
    sites: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)


class FindingEvent(Base):
    """A change in a finding's life, for its history: ``new``, ``resolved``, ``reopened`` (by a
    check, ``check_run_id``), ``acknowledged`` (by an officer, with the reason), ``moved`` (its
    report re-filed under another body, ``detail`` names it)."""

    __tablename__ = "finding_events"
    __table_args__ = (Index("ix_finding_events_finding", "finding_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: history is a record, and must not stop an operator deleting findings.
    finding_id: Mapped[int] = mapped_column(Integer)
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("check_runs.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class CrawlRun(Base):
    """One crawl (or import) run: when, what, and the counters of what happened."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="crawl")  # crawl|recrawl|import|demo
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sites: Mapped[list[Any]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|finished|failed|died


class CrawlError(Base):
    """A problem fetching a page: blocked (WAF/robots), HTTP error, network error, bad document."""

    __tablename__ = "crawl_errors"
    # A crawl asks, per list page, for the errors of the URLs it lists (crawler/known.py).
    __table_args__ = (Index("ix_crawl_errors_url", "url"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(40))  # blocked|robots|http|network|moved|gone|redirect|parse|storage|queue
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListSighting(Base):
    """A detail URL seen (or not) on a list page during a crawl: evidence for back-dating checks."""

    __tablename__ = "list_sightings"
    # By list_url: the links seen on a page (a detail page's attachments, redirects; migration 0009).
    __table_args__ = (Index("ix_list_sightings_url", "url"), Index("ix_list_sightings_list_url", "list_url"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    list_url: Mapped[str] = mapped_column(String(2000))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500), default="")
    list_date: Mapped[str | None] = mapped_column(String(20), nullable=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the crawl decided about the entry (migration 0008; NULL: older rows, and links found on
    # detail pages): ``followed`` or ``skipped``, with the reason (crawler/audit.py REASONS).
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ListPageVisit(Base):
    """One list page a crawl run asked for: what it answered, how many entries it listed, what
    the adapter dropped, and whether pagination went on (the crawl audit, migration 0008)."""

    __tablename__ = "list_page_visits"
    __table_args__ = (Index("ix_list_page_visits_run_site", "crawl_run_id", "site_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    url: Mapped[str] = mapped_column(String(2000))
    column_url: Mapped[str] = mapped_column(String(2000))  # the list's first page (start URL or sub-column)
    page_index: Mapped[int] = mapped_column(Integer, default=0)
    depth: Mapped[int] = mapped_column(Integer, default=0)  # 0: a configured start URL
    family: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # read|failed|blocked|robots|moved|end|fallback
    detail: Mapped[str] = mapped_column(String(500), default="")
    entries: Mapped[int] = mapped_column(Integer, default=0)  # entries the adapter listed
    subcolumns: Mapped[int] = mapped_column(Integer, default=0)
    # end|followed|stopped_known|max_pages (NULL: the page was not read)
    pagination: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Links the adapter dropped: {"counts": {reason: n}, "links": [{url, title, reason}, …]} (capped)
    dropped: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outbox(Base):
    """A rendered digest waiting for, or done with, delivery. Never lost, never sent twice."""

    __tablename__ = "digest_outbox"
    __table_args__ = (Index("ix_digest_outbox_recipient_as_of", "recipient", "as_of"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)  # the check date reported on
    subject: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    eml_path: Mapped[str] = mapped_column(String(1000))
    html_path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|written
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finding_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class JobRun(Base):
    """One run of a scheduled job, for `nianbao jobs` and the operators' log."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job", "job_id", "finished_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(100))
    holder: Mapped[str] = mapped_column(String(200))  # host:pid of the scheduler
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class JobLock(Base):
    """The lock of a job: inserted to take it (the primary key makes that atomic on every
    database), deleted to release it, so two schedulers sharing the database never run the same
    job at once. A crashed holder's lock lapses at ``expires_at``."""

    __tablename__ = "job_locks"
    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Every text column drops NUL characters and cuts values to its length, so that SQLite stores
# what PostgreSQL stores (storage/fit.py).
fit_text_columns(Base.metadata)
