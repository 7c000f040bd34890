"""Fetched or imported bytes → raw document → parsed report → stored report and cells.

The one path every document takes, whether the crawler fetched it, ``nianbao import`` read it
from disk, or ``nianbao reparse`` re-reads it from the raw store. Nothing here imports Scrapy.
The raw bytes are stored before anything can fail, so a document that does not parse is never
lost: it is kept, and the problem is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from monitor.facts import store_facts
from nianbao.agencies import agency_level
from nianbao.mediatype import sniff_media_type
from nianbao.parser import parse_document
from nianbao.parser.model import ParsedReport
from storage.db import Database
from storage.models import Agency, CrawlError, RawDocument, Report, ReportCell, Site
from storage.rawstore import RawStore

log = logging.getLogger(__name__)

Outcome = Literal["new", "changed", "unchanged", "not_report", "link_page", "failed"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class IngestResult:
    """What happened to one document."""

    outcome: Outcome
    raw_document_id: int
    sha256: str
    report_id: int | None = None
    links: list[str] = field(default_factory=list)  # attachments to follow (link pages)
    message: str = ""
    parsed: ParsedReport | None = None


@dataclass
class IncomingDocument:
    """One document for ``Ingestor.ingest_many``: the keyword arguments of ``Ingestor.ingest``."""

    url: str
    body: bytes = field(repr=False)
    site_id: str | None
    media_type: str | None = None
    headers: dict[str, str] | None = field(default=None, repr=False)
    status: int | None = 200
    hints: dict[str, Any] | None = None
    origin: str = "crawl"
    crawl_run_id: int | None = None
    fetched_at: datetime | None = None


class Ingestor:
    """Stores documents and the reports parsed from them."""

    def __init__(self, db: Database, store: RawStore) -> None:
        self.db = db
        self.store = store

    def ingest(
        self,
        *,
        url: str,
        body: bytes,
        site_id: str | None,
        media_type: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = 200,
        hints: dict[str, Any] | None = None,
        origin: str = "crawl",
        crawl_run_id: int | None = None,
        fetched_at: datetime | None = None,
    ) -> IngestResult:
        """Keep ``body`` (always), parse it, and store the report it holds, if any."""
        doc = IncomingDocument(
            url=url, body=body, site_id=site_id, media_type=media_type, headers=headers, status=status, hints=hints,
            origin=origin, crawl_run_id=crawl_run_id, fetched_at=fetched_at,
        )  # fmt: skip
        k = _Kept.of(doc, self.store.put(body))
        with self.db.session() as s:
            _upsert_kept(s, k)
        k.parsed = self._parse_kept(k)
        return self._file(k, None)

    def ingest_many(self, docs: Sequence[IncomingDocument]) -> list[IngestResult | Exception]:
        """``ingest`` for several documents in two transactions instead of two per document.

        Committing dominated storing (several ms a commit on SQLite); a batch shares them. As in
        ``ingest``, every body is in the raw store and every ``raw_documents`` row committed before
        anything is parsed. Should a transaction fail, its documents are taken one at a time, so
        one bad document costs the others nothing. Per document: its result, or the exception
        storing it raised (what ``ingest`` would have raised; its raw bytes are kept).
        """
        if not docs:
            return []
        kept = [_Kept.of(d, self.store.put(d.body)) for d in docs]
        try:
            with self.db.session() as s:
                for k in kept:
                    _upsert_kept(s, k)
        except Exception:
            log.warning("storing a batch of %d raw documents failed: one at a time", len(docs), exc_info=True)
            return [self._ingest_alone(d) for d in docs]
        for k in kept:
            k.parsed = self._parse_kept(k)
        try:
            with self.db.session() as s:
                return [self._file(k, s) for k in kept]
        except Exception:
            log.warning("storing a batch of %d reports failed: one at a time", len(docs), exc_info=True)
        results: list[IngestResult | Exception] = []
        for k in kept:
            try:
                results.append(self._file(k, None))
            except Exception as exc:  # one document's trouble, kept as its result
                log.exception("storing %s failed", k.doc.url)
                results.append(exc)
        return results

    def _ingest_alone(self, doc: IncomingDocument) -> IngestResult | Exception:
        try:
            return self.ingest(**{f: getattr(doc, f) for f in IncomingDocument.__dataclass_fields__})
        except Exception as exc:
            log.exception("storing %s failed", doc.url)
            return exc

    def _parse_kept(self, k: _Kept) -> ParsedReport | Exception:
        try:
            return parse_document(k.doc.body, k.media_type, url=k.doc.url, hints=_parser_hints(k.hints, k.headers))
        except Exception as exc:  # a parser bug must not lose the document or stop the run
            log.exception("parse failed for %s", k.doc.url)
            return exc

    def _file(self, k: _Kept, session: Session | None) -> IngestResult:
        """Store what parsing ``k`` gave (in ``session``, else a session of its own)."""
        assert k.raw_id is not None and k.parsed is not None
        d = k.doc
        if isinstance(k.parsed, Exception):
            exc = k.parsed
            self._record_error(d.crawl_run_id, d.site_id, d.url, "parse", f"{type(exc).__name__}: {exc}", session=session)
            return IngestResult("failed", k.raw_id, k.sha, message=f"parser error: {exc}")
        return self._store_parsed(k.raw_id, k.sha, k.parsed, d.url, d.site_id, k.hints, k.known_content, d.crawl_run_id, session=session)

    def reparse(self, raw: RawDocument) -> IngestResult:
        """Parse a stored raw document again (after a parser change)."""
        body = self.store.get(raw.sha256)
        parsed = parse_document(body, raw.media_type, url=raw.url, hints=_parser_hints(raw.hints, raw.headers))
        return self._store_parsed(raw.id, raw.sha256, parsed, raw.url, raw.site_id, raw.hints, False, None, reparse=True)

    # --------------------------------------------------------------------------------------
    def _store_parsed(
        self,
        raw_id: int,
        sha: str,
        parsed: ParsedReport,
        url: str,
        site_id: str | None,
        hints: dict[str, Any],
        known_content: bool,
        crawl_run_id: int | None,
        *,
        reparse: bool = False,
        session: Session | None = None,
    ) -> IngestResult:
        if parsed.kind == "link_page":
            return IngestResult("link_page", raw_id, sha, links=[l.url for l in parsed.links], parsed=parsed)
        if parsed.kind != "report":
            return IngestResult("not_report", raw_id, sha, parsed=parsed, message="not an annual report")
        agency_name = hints.get("agency") or parsed.agency
        year = _int(hints.get("report_year")) or parsed.report_year
        if not agency_name or not year:
            missing = "agency" if not agency_name else "report year"
            msg = f"report without {missing}: cannot be filed"
            self._record_error(crawl_run_id, site_id, url, "parse", msg, session=session)
            return IngestResult("failed", raw_id, sha, message=msg, parsed=parsed)
        with self._session(session) as s:
            raw = s.get(RawDocument, raw_id)
            assert raw is not None
            agency = _agency(s, site_id, agency_name)
            report = s.scalar(
                select(Report).where(
                    Report.agency_id == agency.id, Report.report_year == year, Report.source_url == url
                )
            )
            outcome: Outcome
            if report is None:
                report = Report(agency_id=agency.id, report_year=year, source_url=url, site_id=site_id)
                report.first_seen = _url_first_seen(s, url) or raw.first_seen
                s.add(report)
                outcome = "new"
            elif report.raw_document_id == raw_id and (known_content or reparse):
                outcome = "unchanged"
            else:
                outcome = "changed"
            if outcome == "unchanged" and not reparse:
                return IngestResult("unchanged", raw_id, sha, report_id=report.id, parsed=parsed)
            _fill_report(report, parsed, raw_id, hints)
            s.flush()
            # One bulk statement per report: adding ~200 cell objects one by one dominated ingest.
            s.execute(delete(ReportCell).where(ReportCell.report_id == report.id))
            if parsed.cells:
                s.execute(
                    ReportCell.__table__.insert(),  # Core: the ORM bulk path costs ~5 µs a row more
                    [
                        {"report_id": report.id, "section": c.section, "row_key": c.row, "col_key": c.column,
                         "value": _decimal(c.value), "raw": c.raw[:200], "unit": c.unit}
                        for c in parsed.cells
                    ],
                )
            s.expire(report, ["cells"])
            store_facts(s, report, parsed.cells)  # the row checks read instead of the cells
            _mark_superseded(s, agency.id, year)
            return IngestResult(outcome, raw_id, sha, report_id=report.id, parsed=parsed)

    def _record_error(
        self, run_id: int | None, site_id: str | None, url: str, kind: str, detail: str, *, session: Session | None = None
    ) -> None:
        with self._session(session) as s:
            s.add(CrawlError(crawl_run_id=run_id, site_id=site_id, url=url, kind=kind, detail=detail[:2000], at=utcnow()))

    @contextmanager
    def _session(self, session: Session | None) -> Iterator[Session]:
        """``session`` (a batch's: its owner commits), else a session of its own."""
        if session is not None:
            yield session
            return
        with self.db.session() as s:
            yield s


@dataclass
class _Kept:
    """A document of a batch once its bytes are in the raw store: what storing it needs next."""

    doc: IncomingDocument
    sha: str
    media_type: str
    headers: dict[str, str]
    hints: dict[str, Any]
    fetched_at: datetime
    raw_id: int | None = None
    known_content: bool = False
    parsed: ParsedReport | Exception | None = None

    @classmethod
    def of(cls, doc: IncomingDocument, sha: str) -> _Kept:
        headers = {k.lower(): v for k, v in (doc.headers or {}).items()}
        hints = {k: v for k, v in (doc.hints or {}).items() if v not in (None, "")}
        media_type = doc.media_type or sniff_media_type(doc.body, headers.get("content-type"), doc.url)
        return cls(doc, sha, media_type, headers, hints, doc.fetched_at or utcnow())


def _upsert_kept(s: Session, k: _Kept) -> None:
    """``_upsert_raw`` for a kept document: its row's id and whether the content was known."""
    d = k.doc
    raw, k.known_content = _upsert_raw(
        s, d.url, k.sha, k.media_type, len(d.body), d.site_id, d.status, k.headers, k.hints, k.fetched_at, d.origin
    )
    k.raw_id = raw.id


def _upsert_raw(
    s: Session,
    url: str,
    sha: str,
    mtype: str,
    size: int,
    site_id: str | None,
    status: int | None,
    headers: dict[str, str],
    hints: dict[str, Any],
    fetched_at: datetime,
    origin: str,
) -> tuple[RawDocument, bool]:
    raw = s.scalar(select(RawDocument).where(RawDocument.url == url, RawDocument.sha256 == sha))
    if raw is not None:
        raw.fetched_at = fetched_at
        raw.headers = headers
        raw.http_status = status
        if hints:
            raw.hints = {**(raw.hints or {}), **_jsonable(hints)}
        return raw, True
    raw = RawDocument(
        site_id=site_id,
        url=url,
        sha256=sha,
        media_type=mtype,
        size=size,
        http_status=status,
        headers=headers,
        hints=_jsonable(hints),
        fetched_at=fetched_at,
        first_seen=fetched_at,
        origin=origin,
    )
    s.add(raw)
    s.flush()
    return raw, False


def _agency(s: Session, site_id: str | None, name: str) -> Agency:
    site_key = site_id or "imported"
    if site_id is None and s.get(Site, "imported") is None:
        s.add(Site(id="imported", name="导入的报告", region="", level="county", cms="generic"))
        s.flush()
    agency = s.scalar(select(Agency).where(Agency.site_id == site_key, Agency.name == name))
    if agency is None:
        agency = Agency(site_id=site_key, name=name, level=agency_level(name), expected=False)
        s.add(agency)
        s.flush()
    return agency


def _url_first_seen(s: Session, url: str) -> datetime | None:
    from sqlalchemy import func

    return s.scalar(select(func.min(RawDocument.first_seen)).where(RawDocument.url == url))


def _fill_report(report: Report, parsed: ParsedReport, raw_id: int, hints: dict[str, Any]) -> None:
    report.raw_document_id = raw_id
    report.format = parsed.format
    report.title = (parsed.title or "")[:500] or None
    published = hints.get("published_on")
    if published:
        report.published_on = published if isinstance(published, date) else date.fromisoformat(str(published))
        report.published_source = "given"
    else:
        report.published_on = parsed.published_on
        report.published_source = parsed.published_source
    report.dates = dict(parsed.dates)
    report.parse_status = parsed.parse_status
    report.warnings = list(parsed.warnings)
    report.problems = [{"section": p.section, "reason": p.reason, "rows": p.rows} for p in parsed.problems]
    report.sections_present = list(parsed.sections_present)
    report.sections_text = dict(parsed.sections_text)
    report.parsed_at = utcnow()


def _mark_superseded(s: Session, agency_id: int, year: int) -> None:
    """Only the newest report (by first seen, then id) of an agency-year is current."""
    rows = s.execute(
        select(Report.id).where(Report.agency_id == agency_id, Report.report_year == year).order_by(Report.first_seen.desc(), Report.id.desc())
    ).scalars().all()
    if not rows:
        return
    s.execute(update(Report).where(Report.id == rows[0]).values(superseded=False))
    if len(rows) > 1:
        s.execute(update(Report).where(Report.id.in_(rows[1:])).values(superseded=True))


def _parser_hints(hints: dict[str, Any] | None, headers: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(hints or {})
    lm = (headers or {}).get("last-modified")
    if lm:
        out.setdefault("last_modified", lm)
    return out


def _decimal(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))


def _int(v: Any) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in d.items()}
