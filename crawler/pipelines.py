"""The storage pipeline: fetched documents are ingested (``crawler.ingest_job``) in batches by one
worker thread (the crawl's one writer to the database), so the reactor goes on downloading
meanwhile; counting and scheduling the attachments to follow happen back on the reactor thread.
With ``NIANBAO_DEFER_INGEST`` most documents are only kept, for an ingest consumer to parse.

Batches form by group commit (``crawler.group_commit``): what is fetched while the worker stores
one batch is the next. An item is done (and Scrapy lets go of its response) only once its batch
is committed, so a crawl stopped in any way loses no acknowledged document; what a killed process
had in hand has no stored version and is fetched again by the next crawl that lists it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from crawler.context import CrawlContext
from crawler.discovery import ListEntry
from crawler.group_commit import GroupCommitter
from crawler.ingest_job import IngestOutcome, ingest_documents
from crawler.items import FetchedDocument
from crawler.run_record import utcnow

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
        batch = crawler.settings.getint("NIANBAO_INGEST_BATCH", 32)
        self.defer = crawler.settings.getbool("NIANBAO_DEFER_INGEST", False)
        self.batches: GroupCommitter[FetchedDocument, IngestOutcome] = GroupCommitter(self._ingest_batch, max_batch=batch)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def close_spider(self, spider: Spider | None = None) -> None:
        self.context.writer.stop()

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, FetchedDocument):
            return item
        if item.unchanged:
            await self._unchanged(item)
            return item
        ctx = self.context
        result = await maybe_deferred_to_future(self.batches.add(item))
        if result.error:  # nothing of it was stored: only this run's counters can tell
            ctx.run.record_error(item.site_id, item.url, "storage", result.error)
            ctx.counters.outcome(item.site_id, "failed")
        # else its outcome is on its raw_documents row (CrawlContext.outcomes_by_site)
        self._follow(item, result.links)  # their sightings were recorded with the batch
        return item

    def _ingest_batch(self, docs: list[FetchedDocument]) -> Deferred[list[IngestOutcome]]:
        ctx = self.context
        return ctx.writer.run(partial(ingest_documents, defer=self.defer), ctx.ingestor, ctx.known, docs, ctx.run.id)

    # -------------------------------------------------------------------------------------------
    async def _unchanged(self, doc: FetchedDocument) -> None:
        """A 304: its database work goes to the worker thread, as a batch's does (a recrawl is
        mostly 304s, and the reactor must not wait for SQLite); counting and following here."""
        ctx = self.context
        outcome, links = await maybe_deferred_to_future(ctx.writer.run(revalidated, ctx, doc))
        ctx.counters.outcome(doc.site_id, outcome)
        self._follow(doc, links)

    def _follow(self, doc: FetchedDocument, links: list[ListEntry]) -> None:
        """Schedule requests for ``links`` (reactor thread)."""
        if not links:
            return
        spider = self.crawler.spider
        engine = self.crawler.engine
        assert spider is not None and engine is not None
        for request in spider.attachment_requests(doc, links):  # type: ignore[attr-defined]
            engine.crawl(request)


def revalidated(ctx: CrawlContext, doc: FetchedDocument) -> tuple[str, list[ListEntry]]:
    """Record that ``doc`` answered 304 (worker thread): its outcome, and the attachments of an
    unchanged page to revalidate too (the page did not change, the files it links may have)."""
    known = ctx.known
    known.touch(doc.url, utcnow())  # revalidated: not due again for revisit_days
    outcome = "unchanged" if known.is_report_source(doc.url) else "unchanged_other"
    return outcome, [] if doc.is_attachment else known.attachments_seen_on(doc.url)
