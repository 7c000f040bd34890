"""The crawl's shared parts, found by every component through ``CrawlContext.of(crawler)``.

One object per Scrapy crawler, made of parts with one job each:

- ``plan`` (``crawler.plan.CrawlPlan``): the nianbao settings, mode, restrictions and sites;
- ``run`` (``crawler.run_record.RunRecord``): the ``CrawlRun`` row and crawl errors, written
  only once ``start()`` is called (when the spider opens);
- ``writer`` (``crawler.writer.DatabaseWriter``): the crawl's one database writer thread;
- ``counters`` (``crawler.counters.RunCounters``): what the run saw, per site;
- ``known``, ``revisit``, ``store``, ``ingestor``: what the database knows, the revisit policy,
  the raw store and the ingestor;
- ``shared`` (``crawler.distributed.state.SharedCrawlState``): in a worker of a distributed crawl
  (Scrapy setting ``NIANBAO_DISTRIBUTED``), the Redis state every worker decides by: the run id,
  blocked sites, forbidden start URLs, list pages read per site. None in a single-process crawl.

Building the context writes nothing. The nianbao ``Settings`` and the crawl request come from the
crawler's Scrapy settings (``crawler.addon``). The spider's short names (``ctx.site``,
``ctx.record_error``, ``ctx.write_later`` …) call the part that does the job.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from core.settings import Settings, SiteSpec
from crawler.addon import CrawlRequest, nianbao_settings
from crawler.counters import RunCounters
from crawler.known import KnownDocuments
from crawler.plan import CrawlPlan
from crawler.revisit import RevisitPolicy
from crawler.run_record import RunRecord, utcnow
from crawler.writer import DatabaseWriter
from storage.db import Database
from storage.rawstore import open_raw_store

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.distributed.state import SharedCrawlState

    from storage.ingest import Ingestor

__all__ = ["CrawlContext", "utcnow"]  # utcnow: the spider's clock, kept where it imports it from


class CrawlContext:
    """Everything the spider, middlewares, pipeline and extension share for one crawl."""

    _by_crawler: weakref.WeakKeyDictionary[Any, CrawlContext] = weakref.WeakKeyDictionary()

    def __init__(self, settings: Settings, request: CrawlRequest | None = None) -> None:
        self.plan = CrawlPlan(settings, request or CrawlRequest())
        self.db = Database(settings.database_url)
        self.store = open_raw_store(settings)
        self.known = KnownDocuments(self.db)
        self.revisit = RevisitPolicy(self.plan.mode, settings.crawler.revisit_days, utcnow())
        self.run = RunRecord(self.db, self.plan)
        self.writer = DatabaseWriter()
        self.counters = RunCounters()
        self.families: dict[str, str] = {}  # site -> detected CMS family
        self.summary: dict[str, Any] | None = None  # the run summary, once the crawl closed
        self._ingestor: Ingestor | None = None
        self.shared: SharedCrawlState | None = None
        self._forbidden_starts: Counter[str] = Counter()

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlContext:
        """The context of ``crawler`` (created on first use)."""
        ctx = cls._by_crawler.get(crawler)
        if ctx is None:
            ctx = cls(nianbao_settings(crawler.settings), CrawlRequest.from_scrapy_settings(crawler.settings))
            distributed = crawler.settings.getdict("NIANBAO_DISTRIBUTED")
            if distributed:
                ctx.join(distributed["redis_url"], distributed["prefix"], int(distributed["run_id"]))
            cls._by_crawler[crawler] = ctx
        return ctx

    def join(self, redis_url: str, prefix: str, run_id: int) -> None:
        """Work for the distributed crawl of ``run_id`` whose shared state is in Redis under
        ``prefix``: its run record is the coordinator's (not started here), its decisions shared."""
        from crawler.distributed.state import SharedCrawlState, connect

        self.shared = SharedCrawlState(connect(redis_url), prefix)
        self.run.id = run_id

    def start(self) -> int:
        """Begin the run (the first call only): mirror the configured sites into the database and
        create the run record. Returns the run id."""
        if self.run.id is None:
            from storage.sites import sync_sites  # mirrors settings.yaml into the sites table

            sync_sites(self.db, self.settings)
        return self.run.start()

    @property
    def ingestor(self) -> Ingestor:
        if self._ingestor is None:
            from storage.ingest import Ingestor  # imports the parser: only when a document arrives

            self._ingestor = Ingestor.from_settings(self.db, self.store, self.settings)
        return self._ingestor

    def outcomes_by_site(self) -> dict[str, Counter[str]]:
        """What became of every document of this run, per site: the stored ones by their
        ``raw_documents`` rows, the rest (304s, documents that could not be stored) by this
        process's counters."""
        out: dict[str, Counter[str]] = defaultdict(Counter)
        for source in (self.counters.outcomes, self.run.stored_outcomes()):
            for site_id, counts in source.items():
                out[site_id].update(counts)
        return out

    def close_run(self, summary: dict[str, Any], status: str) -> None:
        """Keep ``summary`` as the run's and write it to the run record."""
        self.summary = summary
        self.run.close(summary, status)

    # The spider's short names for the parts ------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.plan.settings

    @property
    def mode(self) -> str:
        return self.plan.mode

    @property
    def year(self) -> int | None:
        return self.plan.year

    @property
    def url(self) -> str | None:
        return self.plan.url

    @property
    def sites(self) -> list[SiteSpec]:
        return self.plan.sites

    @property
    def run_id(self) -> int | None:
        return self.run.id

    def site(self, site_id: str) -> SiteSpec:
        return self.plan.site(site_id)

    def site_allows(self, site: SiteSpec, url: str) -> bool:
        return self.plan.site_allows(site, url)

    def all_allowed_hosts(self) -> list[str]:
        return self.plan.all_allowed_hosts()

    def record_error(self, site_id: str | None, url: str, kind: str, detail: str) -> None:
        self.run.record_error(site_id, url, kind, detail)

    def block(self, site_id: str, reason: str) -> bool:
        """Mark the site blocked for the rest of the run; True for the first (worker) to mark it."""
        first = self.counters.block(site_id, reason)
        return self.shared.block(site_id, reason) if self.shared is not None else first

    def is_blocked(self, site_id: str | None) -> bool:
        if self.counters.is_blocked(site_id) or self.shared is None or not site_id:
            return self.counters.is_blocked(site_id)
        if self.shared.is_blocked(site_id):  # another worker blocked it
            self.counters.block(site_id, self.shared.blocked().get(site_id, "blocked"))
            return True
        return False

    def count_forbidden_start(self, site_id: str) -> int:
        """Count a start URL of the site robots.txt forbids; the count so far (all workers')."""
        self._forbidden_starts[site_id] += 1
        return self.shared.count_forbidden_start(site_id) if self.shared is not None else self._forbidden_starts[site_id]

    def count_page(self, site_id: str) -> int:
        """Count a list page of the site read; the count so far (all workers')."""
        self.counters.pages[site_id] += 1
        return self.shared.count_page(site_id) if self.shared is not None else self.counters.pages[site_id]

    def write_later(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        return self.writer.write_later(fn, *args)

    def stop_writer(self) -> None:
        self.writer.stop()
