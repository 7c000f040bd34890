"""One fetched document through ``Ingestor.ingest``, and which of its links to follow.

Runs in the pipeline's worker thread: it touches only the ingestor it is given and plain values,
never the crawl's reactor-side state (counters, sightings, the engine).

Which attachments: all links of a page the parser calls a link page (``附件：…年度报告.pdf``), and
report-named files of a page that is not a report itself. A page that is a report keeps its
attachments unfetched, so one report is never stored twice from two URLs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote

from crawler.discovery import ListEntry, classify_title
from crawler.items import FetchedDocument
from nianbao.mediatype import sniff_media_type

if TYPE_CHECKING:
    from nianbao.ingest import Ingestor

log = logging.getLogger(__name__)
_FILENAME = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)|filename\s*=\s*\"?([^\";]+)\"?", re.I)


@dataclass
class IngestOutcome:
    """What became of one document: the ingest outcome, links to follow, the error if it failed."""

    outcome: str
    links: list[ListEntry] = field(default_factory=list)
    error: str | None = None  # storage trouble (recorded as a crawl error by the pipeline)


def attachment_filename(content_disposition: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (percent-encoded names decoded)."""
    if not content_disposition:
        return None
    m = _FILENAME.search(content_disposition)
    if not m:
        return None
    return unquote(m.group(1) or m.group(2)).strip() or None


def ingest_document(ingestor: Ingestor, doc: FetchedDocument, run_id: int | None) -> IngestOutcome:
    """Store and parse ``doc``; never raises (a failure is an outcome)."""
    filename = attachment_filename(doc.headers.get("content-disposition"))
    media_type = sniff_media_type(doc.body, doc.headers.get("content-type"), filename or doc.hints.get("attachment_name") or doc.url)
    hints = {k: v for k, v in doc.hints.items() if k in ("title", "list_date")}
    try:
        result = ingestor.ingest(
            url=doc.url,
            body=doc.body,
            site_id=doc.site_id,
            media_type=media_type,
            headers=doc.headers,
            status=doc.status,
            hints=hints,
            origin="crawl",
            crawl_run_id=run_id,
            fetched_at=datetime.now(UTC),
        )
    except Exception as exc:  # storage trouble must not end the crawl of every other site
        log.exception("storing %s failed", doc.url)
        return IngestOutcome("failed", error=f"{type(exc).__name__}: {exc}")
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
    return IngestOutcome(result.outcome, links)


def _named_like_report(link: ListEntry) -> bool:
    name = link.title or unquote(link.url.rsplit("/", 1)[-1])
    return classify_title(name) in ("report", "subcolumn") and bool(re.search(r"年报|年度报告|工作报告", name))
