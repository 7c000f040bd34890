"""A batch of fetched documents through ``Ingestor.ingest_many``, and which of their links to follow.

Runs in the pipeline's worker thread: it touches only the ingestor and the known-documents store it
is given and plain values, never the crawl's reactor-side state (counters, the engine).

Which attachments: all links of a page the parser calls a link page (``附件：…年度报告.pdf``),
report-named files of a page that is not a report itself, and the files of a report whose text
is only in files no reader reads (``unsupported_format``: kept raw, never filed twice). A page
that is a readable report keeps its attachments unfetched, so one report is never stored twice
from two URLs.

With ``defer``, a document whose links to follow cannot depend on what the parser makes of it
(an attachment, a page that names no file at all) is only kept: an ingest consumer parses and
files it (``storage.ingest_queue``), and the crawl goes on at fetching speed. Pages that do name
files are parsed here, as the crawl must know which of them to fetch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote

from core.mediatype import UNSUPPORTED_FORMAT, sniff_media_type, with_charset
from core.titles import mentions_report, negative_evidence, normalize_title
from crawler.discovery import ListEntry
from crawler.items import FetchedDocument

if TYPE_CHECKING:
    from crawler.known import KnownDocuments
    from storage.ingest import IncomingDocument, Ingestor, IngestResult

log = logging.getLogger(__name__)
_FILENAME = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)|filename\s*=\s*\"?([^\";]+)\"?", re.I)


@dataclass
class IngestOutcome:
    """What became of one document: the ingest outcome, links to follow, the error if it failed."""

    outcome: str
    links: list[ListEntry] = field(default_factory=list)
    error: str | None = None  # nothing of the document could be stored: the pipeline records it


def attachment_filename(content_disposition: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (percent-encoded names decoded)."""
    if not content_disposition:
        return None
    m = _FILENAME.search(content_disposition)
    if not m:
        return None
    return unquote(m.group(1) or m.group(2)).strip() or None


def links_depend_on_parse(doc: FetchedDocument) -> bool:
    """Whether which links to follow from ``doc`` depends on what the parser makes of it."""
    if doc.is_attachment:
        return False  # files are never followed from
    if doc.attachments:
        return True
    if doc.encoding is None:
        return False  # not a text page: the parser reads no links from it
    from parser.html_rows import may_link_attachments  # the parser's own test

    return may_link_attachments(doc.body)


def ingest_documents(
    ingestor: Ingestor, known: KnownDocuments, docs: Sequence[FetchedDocument], run_id: int | None, *, defer: bool = False
) -> list[IngestOutcome]:
    """Store and parse ``docs`` as one batch (``Ingestor.ingest_many``); never raises. With
    ``defer``, documents with no links to decide on are only kept (see the module docstring).

    The links followed from each page are recorded as its sightings here too, in one transaction
    for the batch: this runs on the crawl's writer thread, and the reactor thread is spared
    waiting for SQLite's write lock.
    """
    now = datetime.now(UTC)
    from storage.ingest import NotKept  # imports the parser: only when a document arrives

    incoming = [_incoming(doc, run_id, now, defer and not links_depend_on_parse(doc)) for doc in docs]
    try:
        results = ingestor.ingest_many(incoming)
    except Exception as exc:  # storage trouble must not end the crawl of every other site
        log.exception("storing a batch of %d documents failed", len(docs))
        results = [NotKept(f"{type(exc).__name__}: {exc}")] * len(docs)
    outcomes = [_outcome(doc, result) for doc, result in zip(docs, results, strict=True)]
    sightings = [(doc.site_id, doc.url, o.links) for doc, o in zip(docs, outcomes, strict=True) if o.links]
    if sightings:  # evidence for the monitor, and what to revalidate when the page comes back 304
        try:
            known.record_sightings_of_pages(run_id, sightings, now)
        except Exception:
            log.exception("recording the links of %d pages failed", len(sightings))
    return outcomes


def _incoming(doc: FetchedDocument, run_id: int | None, fetched_at: datetime, defer: bool) -> IncomingDocument:
    from storage.ingest import IncomingDocument  # imports the parser: only when a document arrives

    filename = attachment_filename(doc.headers.get("content-disposition"))
    media_type = sniff_media_type(doc.body, doc.headers.get("content-type"), filename or doc.hints.get("attachment_name") or doc.url)
    # The encoding the crawler chose (core.charset, from header, site setting and meta) travels
    # with the bytes: the parser decodes with it, validated, and so does every reparse.
    media_type = with_charset(media_type, doc.encoding)
    return IncomingDocument(
        url=doc.url,
        body=doc.body,
        site_id=doc.site_id,
        media_type=media_type,
        headers=doc.headers,
        status=doc.status,
        hints={k: v for k, v in doc.hints.items() if k in ("title", "list_date")},
        origin="crawl",
        crawl_run_id=run_id,
        fetched_at=fetched_at,
        defer=defer,
    )


def _outcome(doc: FetchedDocument, result: IngestResult | Exception) -> IngestOutcome:
    """The outcome of one document, and which of its links to follow."""
    from storage.ingest import NotKept

    if isinstance(result, NotKept):
        return IngestOutcome("failed", error=str(result))
    if isinstance(result, Exception):  # recorded by the ingestor, the raw document kept
        return IngestOutcome("failed")
    links: list[ListEntry] = []
    if doc.is_attachment:
        pass
    elif result.outcome == "link_page":
        found = {a.url: a for a in doc.attachments}
        for url in result.links:
            found.setdefault(url, ListEntry(url, ""))
        links = list(found.values())
    elif result.outcome == "not_report":
        links = [a for a in doc.attachments if _named_like_report(a)]
    elif result.parsed is not None and result.parsed.parse_status == UNSUPPORTED_FORMAT:
        # A report whose text is only in files no reader reads: the files are kept all the same.
        found = {a.url: a for a in doc.attachments}
        for link in result.parsed.links:
            found.setdefault(link.url, ListEntry(link.url, link.text))
        links = list(found.values())
    return IngestOutcome(result.outcome, links)


def _named_like_report(link: ListEntry) -> bool:
    """A file named like a report (年报 words, no clear negative evidence): worth fetching even
    from a page that is not a report itself (recall first: the parser decides)."""
    name = normalize_title(link.title or unquote(link.url.rsplit("/", 1)[-1]))
    return negative_evidence(name) is None and (mentions_report(name) or "年报" in name or "年度报告" in name)
