"""The storage pipeline: every fetched document is ingested (``crawler.ingest_job``) in one worker
thread (one writer for the database), so the reactor goes on downloading meanwhile; counting,
sightings and scheduling the attachments to follow happen back on the reactor thread.

A worker *process* was measured too (bench/crawl, 2 cores): no faster, because ingest time is
SQLite writing the report's cells, which one writer does at a time either way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.context import CrawlContext, utcnow
from crawler.discovery import ListEntry
from crawler.ingest_job import ingest_document
from crawler.items import FetchedDocument

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


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

        ctx = self.context
        job = deferToThreadPool(reactor, self.pool, ingest_document, ctx.ingestor, item, ctx.open_run())
        result = await maybe_deferred_to_future(job)
        if result.error:
            ctx.record_error(item.site_id, item.url, "storage", result.error)
        ctx.counters.outcome(item.site_id, result.outcome)
        if result.links:  # evidence for the monitor, and what to revalidate when the page comes back 304
            ctx.known.record_sightings(ctx.run_id, item.site_id, item.url, result.links, utcnow())
        self._follow(item, result.links)
        return item

    # -------------------------------------------------------------------------------------------
    def _unchanged(self, doc: FetchedDocument) -> None:
        ctx = self.context
        ctx.known.touch(doc.url, utcnow())  # revalidated: not due again for revisit_days
        ctx.counters.outcome(doc.site_id, "unchanged" if ctx.known.is_report_source(doc.url) else "unchanged_other")
        if not doc.is_attachment:
            # The page did not change, but the files it links may have: revalidate them too.
            self._follow(doc, ctx.known.attachments_seen_on(doc.url))

    def _follow(self, doc: FetchedDocument, links: list[ListEntry]) -> None:
        """Schedule requests for ``links`` (reactor thread)."""
        if not links:
            return
        spider = self.crawler.spider
        engine = self.crawler.engine
        assert spider is not None and engine is not None
        for request in spider.attachment_requests(doc, links):  # type: ignore[attr-defined]
            engine.crawl(request)
