"""Scrapy-free parser of annual government-information-disclosure reports.

``parse_document(bytes, media_type, url, hints)`` → :class:`~parser.model.ParsedReport`.
Every input format is first reduced to one representation — rows of cell strings, in reading
order — which one label-driven interpreter (:mod:`parser.tables`) maps to canonical cells.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from collections.abc import Iterator
from typing import Any

from core.charset import decode as decode_text
from core.keys import ACTIVE, APPEALS, FORMAT_2019, FORMAT_2021, FORMAT_PRE2019, REQUESTS
from core.mediatype import ATTACHMENT_EXTENSIONS, UNSUPPORTED_FORMAT, base_type, document_type, is_text_type, media_type_of_name
from core.titles import is_report_title, negative_evidence
from parser import fields
from parser.classify import classify, detect_format, shows_report_body, title_says_not_report
from parser.html_rows import read_html
from parser.identity import (
    SOURCE_WORDS,
    ReportName,
    plausible_agency,
    preamble_agency,
    report_name,
    signed_agency,
)
from parser.limits import LimitExceeded, check, in_force
from parser.model import Cell, Link, ParsedReport, SectionProblem
from parser.readers import ReaderError, Readers, reader_for
from parser.readers.scanned import image_only_report
from parser.sections import split_sections
from parser.spaced_rows import spaced_table_rows
from parser.tables import TableResult, read_tables
from parser.text_rows import Row, text_to_rows

log = logging.getLogger(__name__)
__all__ = ["Cell", "Link", "ParsedReport", "SectionProblem", "decode_text", "parse_document"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = re.compile(r"<(?:html|body|table|div|p|!doctype)\b", re.I)
_TEXT_URL = re.compile(
    r"https?://[^\s<>\"'，。；）)]+?\.(?:" + "|".join(sorted(ATTACHMENT_EXTENSIONS, key=len, reverse=True)) + r")(?=$|[\s<>\"'，。；）)?#])", re.I
)
# Evidence of the publication date, strongest first.
DATE_SOURCES = ("page_meta", "list_page", "url_path", "text_signature", "http_last_modified")


@dataclass
class _Source:
    """A document reduced to rows plus whatever the page chrome told us."""

    rows: list[Row]
    title_candidates: list[str | None] = field(default_factory=list)
    chrome_lines: list[str] = field(default_factory=list)
    metas: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    has_images: bool = False
    plain_text: bool = False  # text as stored or extracted, which may be a page's opening cut short


def _is_html(media_type: str, text: str) -> bool:
    mt = (media_type or "").split(";")[0].strip().lower()
    if mt in _HTML_TYPES:
        return True
    if mt == "text/plain":
        return False
    return bool(_HTML_SNIFF.search(text[:2000]))


def _read(data: bytes, media_type: str, url: str | None) -> _Source:
    text = decode_text(data, media_type)  # the charset the crawler passed on with the bytes, validated
    if _is_html(media_type, text):
        doc = read_html(text, url)
        metas = doc.metas
        return _Source(
            rows=doc.rows,
            title_candidates=[metas.get("articletitle"), doc.h1, doc.class_title, doc.html_title],
            chrome_lines=doc.chrome_lines,
            metas=metas,
            links=doc.links,
            has_images=doc.has_images,
        )
    links = []
    for m in _TEXT_URL.finditer(text):
        if m.group(0) not in [u for u, _ in links]:
            links.append((m.group(0), ""))
    return _Source(rows=text_to_rows(text), links=links, plain_text=True)


def _title_and_agency(
    src: _Source, lines: list[str], hints: dict[str, Any]
) -> tuple[str | None, str | None, int | None]:
    """(title, agency, index of the title line in ``lines``)."""
    idx = fields.find_title_line(lines)
    body_title = fields.clean_title(lines[idx]) if idx is not None else None
    title = fields.pick_html_title([*src.title_candidates, body_title]) if src.title_candidates else body_title
    if not title and hints.get("title"):
        title = fields.clean_title(str(hints["title"]))
    agency = _agency(src, lines, [title, body_title, hints.get("title")])
    return title, agency, idx


def _agency(src: _Source, lines: list[str], titles: list[str | None]) -> str | None:
    """The reporting agency, from the strongest source that names one (``fields.best_agency``):
    the titles, the agency line above a title, the report's title quoted in its opening
    sentence, the page's metadata labels and metas, then what the body says."""
    head_titles = fields.head_title_lines(lines)
    text = "\n".join(lines[:80])[:6000]

    def candidates() -> Iterator[str | None]:  # strongest first, each looked for only when needed
        for t in [*titles, *(lines[i] for i in head_titles)]:
            if t and fields.is_report_title(str(t)):
                yield fields.agency_from_title(str(t))
        for i in head_titles:
            if fields.agency_from_title(fields.clean_title(lines[i])) is None:
                prev = next((lines[j] for j in range(i - 1, max(i - 4, -1), -1) if lines[j].strip()), None)
                yield fields.agency_from_line(prev) if prev else None
        yield fields.agency_from_sentences(text[:3000])
        yield fields.agency_from_labels(src.chrome_lines + lines[:15])
        yield _meta_agency(src.metas, ("contentsource", "author"))

    return fields.best_agency(
        candidates(),
        lambda: [*fields.agency_from_body(text), *filter(None, [_meta_agency(src.metas, ("sitename",))])],
    )


def _meta_agency(metas: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = metas.get(name)
        if value:
            agency = fields.agency_from_line(value)
            if agency:
                return agency
    return None


def _dates(src: _Source, lines: list[str], url: str | None, hints: dict[str, Any]) -> dict[str, date]:
    found: dict[str, date | None] = {
        "page_meta": fields.meta_date(src.metas) or fields.published_label_date(src.chrome_lines + lines[:12]),
        "list_page": fields.as_date(hints.get("list_date")),
        "url_path": fields.url_date(url),
        "text_signature": fields.signature_date(lines) or fields.signed_label_date(src.chrome_lines + lines[:12]),
        "http_last_modified": fields.as_date(hints.get("last_modified")),
        "given": fields.as_date(hints.get("published_on")),
    }
    return {k: v for k, v in found.items() if v is not None}


def parse_document(
    data: bytes, media_type: str, url: str | None = None, hints: dict | None = None, *, readers: Readers | None = None
) -> ParsedReport:
    """Parse one fetched or imported document into a :class:`ParsedReport`: HTML and plain text
    directly, every other form through the reader ``readers`` (default: the built-ins) has for
    ``media_type``.

    ``hints`` (all optional): ``title``, ``agency``, ``report_year``, ``published_on``,
    ``list_date``, ``last_modified``. Explicit agency, year and publication date override what
    the document says; list date and Last-Modified are evidence ranked with the document's own.
    """
    hints = {k: v for k, v in (hints or {}).items() if v not in (None, "")}
    converted = _convert(data, media_type, url, hints, readers)
    if isinstance(converted, ParsedReport):
        return converted  # unreadable, image-only or of a form no reader reads
    data, media_type, reader_warnings = converted
    src = _read(data, media_type, url)
    lines = [r.line() for r in src.rows]
    out = ParsedReport(text="\n".join(lines))
    out.links = [Link(u, t) for u, t in src.links]

    sections = split_sections(src.rows)
    out.sections_present = list(sections.present)
    title, agency, title_idx = _title_and_agency(src, lines, hints)
    out.title = title
    out.agency = str(hints["agency"]).strip() if hints.get("agency") else agency
    out.report_year, name = _report_year(title, title_idx, lines, out.text, hints)
    _set_dates(out, _dates(src, lines, url, hints))

    fmt = detect_format(out.text, out.report_year)
    tables = TableResult()
    if fmt in (FORMAT_2019, FORMAT_2021):
        tables = read_tables(
            {s: spaced_table_rows(sections.table_rows(s), s) for s in (ACTIVE, REQUESTS, APPEALS)},
            fmt,
            # Only plain text can stop inside a table (an opening kept by an index, a page's text
            # layer); an HTML page or a converted file ends where its author ended it.
            ends_in=sections.ends_in(src.rows[-1]) if src.plain_text and src.rows else None,
        )
    with_cells = len({c.section for c in tables.cells})
    head_text = "\n".join(lines[:8])
    out.kind = classify(title or hints.get("title"), head_text, out.sections_present, with_cells, src.links)  # type: ignore[assignment]
    unreadable = _unreadable_attachments(src.links, readers) if out.kind == "link_page" else []
    if unreadable and out.agency and out.report_year and _names_report(title, hints):
        # Recall first: the page is the report; its text is only in files no reader reads (OFD…).
        # Filed with no format and no cells (never zeros); the files are still fetched and kept.
        out.kind, out.parse_status, out.format = "report", UNSUPPORTED_FORMAT, None
        out.warnings = [f"report text only in attachments no reader reads: {', '.join(unreadable)}"]
        return out
    named_only = _recall(out, title, hints, lines, name)
    if out.kind != "report":
        out.parse_status = "not_report"
        out.format = None
        return out

    out.format = fmt
    out.cells = tables.cells
    out.warnings = reader_warnings + tables.warnings
    out.problems = tables.problems
    for numeral in ("一", "五", "六"):
        if numeral in sections.rows:
            out.sections_text[numeral] = sections.text(numeral)
    if named_only is not None and not out.cells and fmt != FORMAT_PRE2019:
        out.parse_status = _unreadable_status(out, tables, named_only, src.has_images)
    else:
        out.parse_status = _status(out, tables, fmt, src.has_images)
    return out


def _convert(
    data: bytes, media_type: str, url: str | None, hints: dict[str, Any], readers: Readers | None
) -> ParsedReport | tuple[bytes, str, list[str]]:
    """HTML and text as they are; every other form converted to HTML by its reader, with the
    reader's warnings. A ParsedReport instead when the document ends here: no reader for its form,
    a reader failure or a limit (a status with the reason, never an exception), or a scan."""
    reader = reader_for(media_type, readers)  # PDF, DOCX, DOC/WPS, XLS/XLSX…: converted to HTML first
    if reader is None and media_type and not is_text_type(media_type):
        return unsupported_document(media_type, url, hints)  # kept raw, never read as text
    if reader is None:
        return data, media_type, []
    try:  # every reader failure becomes a status with its reason, never an exception out of here
        with in_force(readers.limits if readers is not None else None) as limits:
            check("document is", len(data), limits.document_bytes, "bytes")
            converted = reader.to_html(data)
    except Exception as exc:
        return unreadable_document(exc, url, hints)
    if converted.image_only:
        return image_only_report(converted, url, hints)
    return converted.html.encode("utf-8"), "text/html; charset=utf-8", converted.warnings


def _report_year(
    title: str | None, title_idx: int | None, lines: list[str], text: str, hints: dict[str, Any]
) -> tuple[int | None, ReportName | None]:
    """The year reported on, from the strongest source that gives one (title, title line,
    statistics period, where the document names itself, the body); a given year wins. Also the
    name found on the way, when the document had to be searched for it."""
    year = fields.year_from_title(title) if title and fields.is_report_title(title) else None
    if year is None and title_idx is not None:
        year = fields.year_from_title(lines[title_idx])
    if year is None:
        year = fields.year_from_period(text[:5000])
    name: ReportName | None = None
    if year is None:
        name = report_name(title, lines, text)
        year = name.year if name else fields.year_from_body(text[:6000])
    if hints.get("report_year"):
        with contextlib.suppress(ValueError):
            year = int(str(hints["report_year"]).strip()[:4])
    return year, name


def _set_dates(out: ParsedReport, dates: dict[str, date]) -> None:
    """Every date found, and the publication date from the strongest source (a given one first)."""
    out.dates = {k: v.isoformat() for k, v in dates.items()}
    if "given" in dates:
        out.published_on, out.published_source = dates["given"], "given"
    else:
        source = next((s for s in DATE_SOURCES if s in dates), None)
        if source:
            out.published_on, out.published_source = dates[source], source


def _recall(
    out: ParsedReport, title: str | None, hints: dict[str, Any], lines: list[str], name: ReportName | None
) -> ReportName | None:
    """Recall first: a document no body was recognised in is still a report when it names itself
    this year's report, or shows the report's preamble, tables or standard items; and where the
    title named nobody, the agency from the body. Returns the name it was known by, if any."""
    named_only: ReportName | None = None
    not_report = title_says_not_report(title or hints.get("title"))
    if out.kind == "other" and out.report_year is not None and not not_report:
        # Published but unreadable is still published: no body was recognised, yet the document
        # names itself this year's report.
        named_only = name or report_name(title, lines, out.text)
        if named_only is not None:
            out.kind = "report"
    if out.kind == "other" and out.sections_present and not not_report:
        # Recall first: a partial text that names nothing still shows the report's preamble,
        # its national tables or the standard items of its general situation.
        if shows_report_body(out.text):
            out.kind = "report"
    if not hints.get("agency") and not plausible_agency(out.agency):
        # Where the title names nobody (or a breadcrumb was taken for it): the body named with
        # the report elsewhere, the preamble, or the 落款.
        named = named_only or name or report_name(title, lines, out.text)
        candidates = (named.agency if named else None, preamble_agency(lines), signed_agency(lines))
        out.agency = next((a for a in candidates if plausible_agency(a)), None)
    return named_only


def unsupported_document(media_type: str, url: str | None, hints: dict[str, Any]) -> ParsedReport:
    """A file of a form no reader reads (OFD, ET, archives…): status ``unsupported_format`` and
    the reason; the raw bytes stay in the raw store for a reader registered later."""
    known = document_type(media_type)
    what = known.note if known else "no reader for this media type"
    out = ParsedReport(kind="other", parse_status=UNSUPPORTED_FORMAT)  # type: ignore[arg-type]
    out.title = str(hints["title"]) if hints.get("title") else None
    out.warnings = [f"{base_type(media_type)}: {what}"]
    return out


def unreadable_document(exc: Exception, url: str | None, hints: dict[str, Any]) -> ParsedReport:
    """A document its reader could not read, or over a limit (parser.limits): status ``failed``
    and the reason; the raw bytes stay in the raw store. Recall first: one its title hint names
    this year's report is still a report (no format, no cells, never zeros)."""
    if isinstance(exc, LimitExceeded):
        reason = f"limit: {exc}"
    elif isinstance(exc, ReaderError):
        reason = str(exc) if str(exc).startswith("limit:") else f"unreadable: {exc}"
    else:  # a reader bug or a library's own failure on a damaged file
        log.warning("reader failed on %s", url, exc_info=True)
        reason = f"unreadable: {type(exc).__name__}: {exc}"
    reason = reason[:500]
    out = ParsedReport(kind="other", parse_status="failed", warnings=[reason])
    title = str(hints["title"]) if hints.get("title") else None
    out.title = fields.clean_title(title) if title else None
    year = fields.year_from_title(title) if title else None
    if hints.get("report_year"):
        with contextlib.suppress(ValueError):
            year = int(str(hints["report_year"]).strip()[:4])
    agency = str(hints["agency"]).strip() if hints.get("agency") else (fields.agency_from_title(title) if title else None)
    if year is not None and _names_report(title, hints):
        out.kind, out.report_year, out.agency = "report", year, agency
        out.problems = [SectionProblem("report", reason)]
    return out


def _unreadable_attachments(links: list[tuple[str, str]], readers: Readers | None) -> list[str]:
    """The file names of ``links`` when every one of them is of a form no reader reads, else []."""
    names = []
    for url, text in links:
        media_type = media_type_of_name(url) or media_type_of_name(text)
        if media_type is None or reader_for(media_type, readers) is not None or is_text_type(media_type):
            return []
        names.append(url.rsplit("/", 1)[-1] or text or url)
    return names


def _names_report(title: str | None, hints: dict[str, Any]) -> bool:
    named = title or hints.get("title")
    return bool(named) and is_report_title(str(named)) and negative_evidence(str(named)) is None


def _unreadable_status(out: ParsedReport, tables: TableResult, name: ReportName, has_images: bool) -> str:
    """``image_only`` or ``tables_unreadable`` for a report known only by its name: one problem
    says why no cell was read, and where the document named itself the report."""
    found = [s for s in (ACTIVE, REQUESTS, APPEALS) if tables.found.get(s)]
    if has_images and not found:
        why, state, status = "no table in the text; the page shows images", "images", "image_only"
    elif found:
        why, state, status = f"tables found ({', '.join(found)}) but no row could be read", "tables_found", "tables_unreadable"
    else:
        why = f"no statistics table recognised ({len(out.sections_present)} of 6 section headings found)"
        state, status = "no_tables", "tables_unreadable"
    reason = f"named the {name.year} annual report by {SOURCE_WORDS[name.source]}; {why}"
    out.warnings.insert(0, f"report: {reason}")
    # rows: where the document named itself the report, and what became of its tables.
    out.problems = [SectionProblem("report", reason, [name.source, state])]
    return status


def _status(out: ParsedReport, tables: TableResult, fmt: str | None, has_images: bool) -> str:
    if fmt == FORMAT_PRE2019:
        return "ok"  # free structure: no canonical cells to expect
    sections_with_cells = {c.section for c in out.cells}
    missing = [s for s in (ACTIVE, REQUESTS, APPEALS) if s not in sections_with_cells]
    for section in missing:
        reason = "table found but no row could be read" if tables.found.get(section) else "no table found"
        out.problems.append(SectionProblem(section, reason))
    if missing:
        if len(missing) == 3 and has_images:
            return "image_only"
        return "malformed"
    if out.problems or tables.unreadable or any(c.uncertain for c in out.cells):
        return "partial"
    return "ok"
