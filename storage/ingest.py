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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.agencies import UNNAMED_AGENCY
from core.registry import load_objects
from core.settings import DEFAULT_FILED_HOOKS, Settings
from core.mediatype import sniff_media_type
from parser import parse_document
from parser.limits import DEFAULT_LIMITS
from parser.model import ParsedReport
from parser.readers import Readers
from storage.db import Database
from storage.fit import fit_cell_value, fit_str
from storage.models import Agency, CrawlError, RawDocument, Report, ReportCell, Site
from storage.rawstore import RawDocumentStore
from storage.sites import site_agency_key, site_agency_level

log = logging.getLogger(__name__)

# "pending": kept, to be parsed by an ingest consumer (``storage.ingest_queue``).
Outcome = Literal["new", "changed", "unchanged", "not_report", "link_page", "failed", "pending", "unsupported_format"]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)



class FiledHook(Protocol):
    """Called in the transaction that files a report, with the cells just parsed for it."""

    def __call__(self, session: Session, report: Report, cells: Sequence[Any]) -> None: ...


def default_filed_hooks() -> list[FiledHook]:
    """The hooks settings name by default (``ingest.filed_hooks``)."""
    return load_objects(DEFAULT_FILED_HOOKS, "ingest.filed_hooks")


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
    defer: bool = False  # keep only: an ingest consumer parses and files it (storage.ingest_queue)


class NotKept(Exception):
    """A document whose bytes or ``raw_documents`` row could not be stored (disk full, database
    gone): nothing of it is recorded, the caller must say so."""


class Ingestor:
    """Stores documents and the reports parsed from them."""

    def __init__(
        self,
        db: Database,
        store: RawDocumentStore,
        filed_hooks: Sequence[FiledHook] | None = None,
        readers: Readers | None = None,
    ) -> None:
        self.db = db
        self.store = store
        # What else is written with a report in its transaction (the monitor's facts row by
        # default), named in settings so that storage never imports the layers above it.
        self.filed_hooks = list(filed_hooks) if filed_hooks is not None else default_filed_hooks()
        self.readers = readers  # None: the parser's built-in readers

    @classmethod
    def from_settings(cls, db: Database, store: RawDocumentStore, settings: Settings) -> Ingestor:
        """An ingestor running the hooks ``settings.ingest.filed_hooks`` names and parsing with
        the readers of ``settings.parser.readers``."""
        return cls(
            db,
            store,
            load_objects(settings.ingest.filed_hooks, "ingest.filed_hooks"),
            Readers.from_paths(settings.parser.reader_paths,
                               limits=DEFAULT_LIMITS.with_overrides(settings.parser.limits.overrides())),
        )

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
        result = self._ingest_alone(doc)
        if isinstance(result, Exception):
            raise result
        return result

    def ingest_many(self, docs: Sequence[IncomingDocument]) -> list[IngestResult | Exception]:
        """``ingest`` for several documents in two transactions instead of two per document.

        Committing dominated storing (several ms a commit on SQLite); a batch shares them. As in
        ``ingest``, every body is in the raw store and every ``raw_documents`` row committed (as
        pending) before anything is parsed. Documents marked ``defer`` stop there: their result is
        ``pending``, and an ingest consumer files them (``storage.ingest_queue``). Should a
        transaction fail, its documents are taken one at a time, so one bad document costs the
        others nothing. Per document: its result, or ``NotKept`` (nothing of it could be stored),
        or the exception filing its report raised (recorded as a ``storage`` crawl error, its raw
        bytes and row kept).
        """
        if not docs:
            return []
        results: list[IngestResult | Exception | KeptDocument] = []
        for d in docs:  # a body the disk refuses costs only its own document
            try:
                results.append(KeptDocument.of(d, self.store.put(d.body)))
            except Exception as exc:
                results.append(_not_kept(d, exc))
        kept = [k for k in results if isinstance(k, KeptDocument)]
        try:
            with self.db.session() as s:
                _keep_rows(s, kept)
        except Exception:
            log.warning("storing a batch of %d raw documents failed: one at a time", len(docs), exc_info=True)
            return [self._ingest_alone(d) for d in docs]
        filed = iter(self.file_many([k for k in kept if not k.doc.defer]))
        out: list[IngestResult | Exception] = []
        for r in results:
            if not isinstance(r, KeptDocument):
                out.append(r)  # NotKept
            elif r.doc.defer:
                out.append(IngestResult("pending", r.raw_id or 0, r.sha))
            else:
                out.append(next(filed))
        return out

    def file_many(self, kept: Sequence[KeptDocument]) -> list[IngestResult | Exception]:
        """Parse kept documents and file what they hold, in one transaction (one at a time should
        it fail); each raw row is marked done with its outcome. Never raises for one document."""
        if not kept:
            return []
        for k in kept:
            if k.parsed is None:
                k.parsed = self._parse_kept(k)
        for attempt in (1, 2):
            try:
                with self.db.session() as s:
                    return [self._file(k, s) for k in kept]
            except DBAPIError:
                # Most often another writer (an ingest consumer, the crawl) created the same agency
                # meanwhile: a new transaction sees it.
                if attempt == 1:
                    log.info("storing a batch of %d reports met another writer: once more", len(kept), exc_info=True)
                    continue
                log.warning("storing a batch of %d reports failed: one at a time", len(kept), exc_info=True)
            except Exception:
                log.warning("storing a batch of %d reports failed: one at a time", len(kept), exc_info=True)
            break
        results: list[IngestResult | Exception] = []
        for k in kept:
            try:
                results.append(self._file_alone(k))
            except Exception as exc:  # one document's trouble, kept as its result
                log.exception("storing %s failed", k.doc.url)
                self.give_up(k, exc)
                results.append(exc)
        return results

    def _file_alone(self, k: KeptDocument) -> IngestResult:
        """``_file`` in a transaction of its own, once more if another writer got in the way."""
        try:
            return self._file(k, None)
        except DBAPIError:
            return self._file(k, None)

    def give_up(self, k: KeptDocument, exc: Exception) -> None:
        """A document whose report could not be stored: recorded, and out of the queue (a retry
        would fail the same way; ``nianbao reparse`` takes it up again after a fix)."""
        try:
            with self.db.session() as s:
                self._record_error(k.doc.crawl_run_id, k.doc.site_id, k.doc.url, "storage", f"{type(exc).__name__}: {exc}", session=s)
                _mark_done(s, k.raw_id, "failed")
        except Exception:
            log.exception("recording the failure of %s failed", k.doc.url)

    def _ingest_alone(self, doc: IncomingDocument) -> IngestResult | Exception:
        """One document in transactions of its own: ``NotKept`` if its bytes or row could not be
        stored; any other exception was recorded (``give_up``) and the row marked failed."""
        try:
            k = KeptDocument.of(doc, self.store.put(doc.body))
            with self.db.session() as s:
                _keep_rows(s, [k])
        except Exception as exc:
            return _not_kept(doc, exc)
        if doc.defer:
            return IngestResult("pending", k.raw_id or 0, k.sha)
        return self.file_many([k])[0]

    def _parse_kept(self, k: KeptDocument) -> ParsedReport | Exception:
        try:
            return parse_document(
                k.doc.body, k.media_type, url=k.doc.url, hints=_parser_hints(k.hints, k.headers), readers=self.readers
            )
        except Exception as exc:  # a parser bug must not lose the document or stop the run
            log.exception("parse failed for %s", k.doc.url)
            return exc

    def _file(self, k: KeptDocument, session: Session | None) -> IngestResult:
        """Store what parsing ``k`` gave (in ``session``, else a session of its own) and mark its
        raw row done."""
        assert k.raw_id is not None and k.parsed is not None
        d = k.doc
        with self._session(session) as s:
            if isinstance(k.parsed, Exception):
                exc = k.parsed
                self._record_error(d.crawl_run_id, d.site_id, d.url, "parse", f"{type(exc).__name__}: {exc}", session=s)
                result = IngestResult("failed", k.raw_id, k.sha, message=f"parser error: {exc}")
            else:
                result = self._store_parsed(k.raw_id, k.sha, k.parsed, d.url, d.site_id, k.hints, k.known_content, d.crawl_run_id, session=s)
            _mark_done(s, k.raw_id, result.outcome)
        return result

    def reparse(self, raw: RawDocument) -> IngestResult:
        """Parse a stored raw document again (after a parser change)."""
        body = self.store.get(raw.sha256)
        parsed = parse_document(
            body, raw.media_type, url=raw.url, hints=_parser_hints(raw.hints, raw.headers), readers=self.readers
        )
        with self.db.session() as s:
            result = self._store_parsed(raw.id, raw.sha256, parsed, raw.url, raw.site_id, raw.hints, False, None, reparse=True, session=s)
            _mark_done(s, raw.id, result.outcome)
        return result

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
        if parsed.kind != "report" and parsed.parse_status == "unsupported_format":  # kept raw, not read
            return IngestResult("unsupported_format", raw_id, sha, parsed=parsed, message="; ".join(parsed.warnings))
        if parsed.kind != "report" and parsed.parse_status == "failed":  # unreadable or over a limit: kept raw
            msg = "; ".join(parsed.warnings) or "unreadable"
            self._record_error(crawl_run_id, site_id, url, "parse", msg, session=session)
            return IngestResult("failed", raw_id, sha, message=msg, parsed=parsed)
        if parsed.kind != "report":
            return IngestResult("not_report", raw_id, sha, parsed=parsed, message="not an annual report")
        agency_name = fit_str(hints.get("agency") or parsed.agency or "", None)
        year = _int(hints.get("report_year")) or parsed.report_year
        _fit_values(parsed, agency_name)
        if not agency_name and year:
            agency_name = self._unnamed_agency(parsed, site_id, session)
        if not agency_name or not year:
            # Kept: the raw document stays in the raw store and its row records this outcome;
            # the error names what is missing, for review (never dropped silently).
            missing = "agency" if not agency_name else "report year"
            msg = f"report without {missing}: kept raw for review, not filed"
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
            for hook in self.filed_hooks:  # e.g. the row checks read instead of the cells
                hook(s, report, parsed.cells)
            if agency.name != UNNAMED_AGENCY:  # reports of unknown bodies are not versions of each other
                _mark_superseded(s, agency.id, year)
            return IngestResult(outcome, raw_id, sha, report_id=report.id, parsed=parsed)

    def _unnamed_agency(self, parsed: ParsedReport, site_id: str | None, session: Session | None) -> str:
        """Where to file a report that names no agency (recall first: it is published all the
        same). The parser has already read every place a report states its body (titles, the
        list page's title, page metadata, the preamble, the 落款). The site's one expected agency
        when it has only one; else no body is guessed: it goes under UNNAMED_AGENCY, for review.
        The report carries a warning saying which."""
        only = None
        if site_id:
            with self._session(session) as s:
                only = _only_expected_agency(s, site_id)
        if only:
            why = f"agency not named in the document: filed under the site's only expected agency {only}"
        else:
            why = (
                "agency not named in the document, and the site does not have one expected agency: "
                f"filed under {UNNAMED_AGENCY} for review"
            )
        parsed.warnings = [why, *parsed.warnings]
        return only or UNNAMED_AGENCY

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
class KeptDocument:
    """A document once its bytes are in the raw store: what parsing and filing it needs next."""

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
    def of(cls, doc: IncomingDocument, sha: str) -> KeptDocument:
        url = fit_str(doc.url, RawDocument.__table__.c.url.type.length)
        if url != doc.url:  # kept under the URL its row can hold, on every database (storage.fit)
            log.warning("URL of %d characters kept cut to %d: %s…", len(doc.url), len(url), url[:200])
            doc = replace(doc, url=url)
        headers = {k.lower(): v for k, v in (doc.headers or {}).items()}
        hints = {k: v for k, v in (doc.hints or {}).items() if v not in (None, "")}
        media_type = doc.media_type or sniff_media_type(doc.body, headers.get("content-type"), doc.url)
        return cls(doc, sha, media_type, headers, hints, doc.fetched_at or utcnow())


def _not_kept(doc: IncomingDocument, exc: Exception) -> NotKept:
    log.error("keeping %s failed: %s: %s", doc.url, type(exc).__name__, exc)
    failure = NotKept(f"{type(exc).__name__}: {exc}")
    failure.__cause__ = exc
    return failure


def _keep_rows(s: Session, kept: Sequence[KeptDocument]) -> None:
    """Upsert the ``raw_documents`` rows of ``kept`` (one per URL and content), pending until each
    is filed (by this process or an ingest consumer); sets each one's row id and whether its
    content was known. Core statements, a few per batch: the ORM's per-object flush was most of
    what keeping a document cost the crawl."""
    raw = RawDocument.__table__
    pairs = {(k.doc.url, k.sha) for k in kept}
    urls = sorted({url for url, _ in pairs})
    known: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for chunk in _chunks(urls):
        for row_id, url, sha, hints in s.execute(select(raw.c.id, raw.c.url, raw.c.sha256, raw.c.hints).where(raw.c.url.in_(chunk))):
            if (url, sha) in pairs:
                known[(url, sha)] = (row_id, hints or {})
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    for k in kept:
        d, key = k.doc, (k.doc.url, k.sha)
        k.known_content = key in known or key in fresh
        values = {
            "ingest_pending": True, "ingest_claim": None, "claimed_at": None, "crawl_run_id": d.crawl_run_id,
            "fetched_at": k.fetched_at, "headers": k.headers, "http_status": d.status,
        }  # fmt: skip
        if key in known:
            row_id, hints = known[key]
            if k.hints:
                values["hints"] = hints = {**hints, **_jsonable(k.hints)}
                known[key] = (row_id, hints)
            s.execute(update(raw).where(raw.c.id == row_id).values(**values))
        elif key in fresh:  # the same bytes twice in one batch: the later fetch wins
            fresh[key].update(values, hints={**fresh[key]["hints"], **_jsonable(k.hints)})
        else:
            fresh[key] = {
                **values, "site_id": d.site_id, "url": d.url, "sha256": k.sha, "media_type": k.media_type,
                "size": len(d.body), "hints": _jsonable(k.hints), "first_seen": k.fetched_at, "origin": d.origin,
                "ingest_outcome": None,
            }  # fmt: skip
    if fresh:
        s.execute(insert(raw), list(fresh.values()))
        for chunk in _chunks(sorted({url for url, _ in fresh})):
            for row_id, url, sha in s.execute(select(raw.c.id, raw.c.url, raw.c.sha256).where(raw.c.url.in_(chunk))):
                if (url, sha) in fresh:
                    known[(url, sha)] = (row_id, {})
    for k in kept:
        k.raw_id = known[(k.doc.url, k.sha)][0]


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _mark_done(s: Session, raw_id: int | None, outcome: str) -> None:
    """The raw row is out of the ingest queue, with what became of it."""
    if raw_id is None:
        return
    s.execute(
        update(RawDocument)
        .where(RawDocument.id == raw_id)
        .values(ingest_pending=False, ingest_claim=None, claimed_at=None, ingest_outcome=outcome)
    )


def _only_expected_agency(s: Session, site_id: str) -> str | None:
    """The name of the site's expected agency when the registry declares exactly one."""
    names = s.scalars(select(Agency.name).where(Agency.site_id == site_id, Agency.expected.is_(True)).limit(2)).all()
    return names[0] if len(names) == 1 else None


def _agency(s: Session, site_id: str | None, name: str) -> Agency:
    """The agency ``name`` is on the site: the row with its key (core.agencies.agency_key, the
    site's region and aliases), so that another form of one body's name finds the same row."""
    site_key = site_id or "imported"
    site = s.get(Site, site_key)
    if site is None and site_id is None:
        site = Site(id="imported", name="导入的报告", region="", level="county", cms="generic")
        s.add(site)
        s.flush()
    # A site missing from the sites table cannot take an agency (foreign key): keyed by name alone.
    known = site if site is not None else Site(id=site_key, name="", region="")
    key = site_agency_key(known, name)
    agency = s.scalar(select(Agency).where(Agency.site_id == site_key, Agency.name_key == key))
    if agency is None:  # a row whose key is not current yet (the next sync of the sites sets it)
        agency = s.scalar(select(Agency).where(Agency.site_id == site_key, Agency.name == name))
    if agency is None:
        agency = Agency(site_id=site_key, name=name, name_key=key, level=site_agency_level(known, name), expected=False)
        s.add(agency)
        s.flush()
    return agency


def assign_agency(s: Session, report_id: int, name: str) -> tuple[Report, Agency]:
    """Re-file a report filed under the stand-in ``UNNAMED_AGENCY`` under the body ``name`` of its
    site, found by the site's agency identity rules (``_agency``: key, aliases), as ingest would
    have filed it had the document named it. Raises LookupError for an unknown report and
    ValueError for a report not under the stand-in, a name that is the stand-in, or a body that
    already has this report's URL for that year."""
    report = s.get(Report, report_id)
    if report is None:
        raise LookupError(f"no report with id {report_id}")
    old = s.get(Agency, report.agency_id)
    if old is None or old.name != UNNAMED_AGENCY:
        raise ValueError(f"report {report_id} is not filed under {UNNAMED_AGENCY} (its agency: {old.name if old else '?'})")
    name = name.strip()
    if not name or name == UNNAMED_AGENCY:
        raise ValueError(f"give the name of the body the report belongs to, not {name or 'an empty name'!r}")
    agency = _agency(s, report.site_id, name)
    clash = s.scalar(
        select(Report.id).where(
            Report.agency_id == agency.id, Report.report_year == report.report_year, Report.source_url == report.source_url
        )
    )
    if clash is not None:
        raise ValueError(f"{agency.name} already has report {clash} from the same URL for {report.report_year}")
    report.agency_id = agency.id
    s.flush()
    # The body's current report of the year is decided again, as ingest does after filing; the
    # stand-in's reports are not versions of each other (each stays current).
    _mark_superseded(s, agency.id, report.report_year)
    return report, agency


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


def _fit_values(parsed: ParsedReport, agency_name: str) -> None:
    """Make ``parsed`` what every database stores alike (``storage.fit``), and say so on the
    report: a cell value no value column holds keeps its text without a value; a name longer than
    its column is cut (by the column type; the warning tells the reader)."""
    for c in parsed.cells:
        value, why = fit_cell_value(c.value)
        if why:
            parsed.warnings.append(f"cell {c.section}/{c.row}/{c.column}: {why}; kept as text {c.raw!r}, no value")
            c.value = None
        elif value is not None and value != c.value:
            c.value = value  # rounded to the columns' 6 decimals, as PostgreSQL would
    limit = Agency.__table__.c.name.type.length
    if len(agency_name) > limit:
        parsed.warnings.append(f"agency name of {len(agency_name)} characters: stored cut to {limit}")


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
