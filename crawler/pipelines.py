"""The storage pipeline: every fetched document goes to ``Ingestor.ingest``; attachments are followed.

Which attachments: all links of a page the parser calls a link page (``附件：…年度报告.pdf``), and
report-named files of a page that is not a report itself. A page that is a report keeps its
attachments unfetched, so one report is never stored twice from two URLs.

Parsing and storing run in one worker thread (one writer for the database), so the reactor goes on
downloading meanwhile; counting and scheduling happen back on the reactor thread.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.context import CrawlContext, utcnow
from crawler.discovery import ListEntry, classify_title
from crawler.items import FetchedDocument
from nianbao.mediatype import sniff_media_type

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)
_FILENAME = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)|filename\s*=\s*\"?([^\";]+)\"?", re.I)


def attachment_filename(content_disposition: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (percent-encoded names decoded)."""
    if not content_disposition:
        return None
    m = _FILENAME.search(content_disposition)
    if not m:
        return None
    return unquote(m.group(1) or m.group(2)).strip() or None


class StoragePipeline:
    """Item pipeline: ingest, count, follow attachments."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_STORAGE_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.context = CrawlContext.of(crawler)
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name="nianbao-ingest")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.pool.start()

    def close_spider(self, spider: Spider | None = None) -> None:
        self.pool.stop()

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedDocument):
            return item
        if item.unchanged:
            self._unchanged(item)
            return item
        from twisted.internet import reactor  # the one Scrapy installed (TWISTED_REACTOR)

        outcome, links = await maybe_deferred_to_future(deferToThreadPool(reactor, self.pool, self._ingest, item))
        self.context.counters.outcome(item.site_id, outcome)
        self._follow(item, links)
        return item

    # -------------------------------------------------------------------------------------------
    def _unchanged(self, doc: FetchedDocument) -> None:
        ctx = self.context
        ctx.counters.outcome(doc.site_id, "unchanged" if ctx.known.is_report_source(doc.url) else "unchanged_other")
        if not doc.is_attachment:
            # The page did not change, but the files it links may have: revalidate them too.
            self._follow(doc, ctx.known.attachments_seen_on(doc.url))

    def _ingest(self, doc: FetchedDocument) -> tuple[str, list[ListEntry]]:
        """Store and parse one document (worker thread); return the outcome and files to follow."""
        ctx = self.context
        filename = attachment_filename(doc.headers.get("content-disposition"))
        media_type = sniff_media_type(doc.body, doc.headers.get("content-type"), filename or doc.hints.get("attachment_name") or doc.url)
        hints = {k: v for k, v in doc.hints.items() if k in ("title", "list_date")}
        try:
            result = ctx.ingestor.ingest(
                url=doc.url,
                body=doc.body,
                site_id=doc.site_id,
                media_type=media_type,
                headers=doc.headers,
                status=doc.status,
                hints=hints,
                origin="crawl",
                crawl_run_id=ctx.run_id,
                fetched_at=utcnow(),
            )
        except Exception as exc:  # storage trouble must not end the crawl of every other site
            log.exception("storing %s failed", doc.url)
            ctx.record_error(doc.site_id, doc.url, "storage", f"{type(exc).__name__}: {exc}")
            return "failed", []
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
        if links:  # evidence for the monitor, and what to revalidate when the page comes back 304
            ctx.known.record_sightings(ctx.run_id, doc.site_id, doc.url, links, utcnow())
        return result.outcome, links

    def _follow(self, doc: FetchedDocument, links: list[ListEntry]) -> None:
        """Schedule requests for ``links`` (reactor thread)."""
        if not links:
            return
        spider = self.crawler.spider
        engine = self.crawler.engine
        assert spider is not None and engine is not None
        for request in spider.attachment_requests(doc, links):  # type: ignore[attr-defined]
            engine.crawl(request)


def _named_like_report(link: ListEntry) -> bool:
    name = link.title or unquote(link.url.rsplit("/", 1)[-1])
    return classify_title(name) in ("report", "subcolumn") and bool(re.search(r"年报|年度报告|工作报告", name))
