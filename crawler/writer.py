"""The crawl's one database writer thread, and what it writes (``CrawlWrites``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.discovery import ListEntry
from crawler.ingest_job import IngestOutcome, ingest_documents
from crawler.items import FetchedDocument
from crawler.run_record import utcnow

if TYPE_CHECKING:
    from crawler.known import KnownDocuments
    from storage.ingest import Ingestor

log = logging.getLogger(__name__)


class CrawlWrites:
    """The writes the writer thread runs, in this process: keeping a batch of documents, a 304,
    a list page's audit rows. ``crawler.writer_process.WriterProcess`` answers the same calls
    from a process of its own."""

    def __init__(self, known: KnownDocuments, ingestor: Callable[[], Ingestor]) -> None:
        self.known = known
        self._ingestor = ingestor  # made on first use: it imports the parser

    def start(self) -> None:
        """Nothing to start in this process."""

    def stop(self) -> None:
        """Nothing to stop in this process."""

    def keep(self, docs: list[FetchedDocument], run_id: int | None, defer: bool) -> list[IngestOutcome]:
        """Store ``docs`` as one batch (``crawler.ingest_job.ingest_documents``)."""
        return ingest_documents(self._ingestor(), self.known, docs, run_id, defer=defer)

    def revalidated(self, doc: FetchedDocument) -> tuple[str, list[ListEntry]]:
        """Record that ``doc`` answered 304: its outcome, and the attachments of an unchanged page
        to revalidate too (the page did not change, the files it links may have)."""
        known = self.known
        known.touch(doc.url, utcnow())  # revalidated: not due again for revisit_days
        outcome = "unchanged" if known.is_report_source(doc.url) else "unchanged_other"
        return outcome, [] if doc.is_attachment else known.attachments_seen_on(doc.url)

    def record_list_page(self, visit: dict[str, Any], sightings: list[dict[str, Any]]) -> None:
        """A list page's visit and sightings (``KnownDocuments.record_list_page``)."""
        self.known.record_list_page(visit, sightings)


class DatabaseWriter:
    """The one thread that writes for a crawl (batches of documents, list sightings): the reactor
    thread never waits for the database's write lock, which an ingest consumer in another process
    may hold for a batch. Started on first use."""

    def __init__(self) -> None:
        self._pool: ThreadPool | None = None

    def pool(self) -> ThreadPool:
        """The writer's thread pool (one thread), started if need be."""
        if self._pool is None:
            self._pool = ThreadPool(minthreads=1, maxthreads=1, name="nianbao-writer")
            self._pool.start()
        return self._pool

    def run(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run ``fn(*args)`` on the writer thread, after what was queued before it."""
        from twisted.internet import reactor  # the one Scrapy installed (TWISTED_REACTOR)

        return deferToThreadPool(reactor, self.pool(), fn, *args)

    def write_later(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """``run``, with failures logged (nobody waits for the result)."""
        d = self.run(fn, *args)
        d.addErrback(lambda f: log.error("a database write failed: %s", f.getTraceback()))
        return d

    def stop(self) -> None:
        """Finish the queued writes and stop the writer thread (idempotent)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()
