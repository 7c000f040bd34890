"""The crawl's shared services: nianbao settings, database, raw store, ingestor, run record, counters.

Built once per Scrapy crawler and found by every component through ``CrawlContext.of(crawler)``.
The nianbao ``Settings`` come from the ``NIANBAO_SETTINGS`` Scrapy setting (an object, set by
``crawler.run``) or are loaded from ``NIANBAO_CONFIG`` (a path, for ``scrapy crawl``).
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.known import KnownDocuments
from crawler.revisit import RevisitPolicy
from core.settings import Settings, SiteSpec
from crawler.addon import MODES, CrawlRequest, nianbao_settings
from storage.db import Database
from storage.models import CrawlError, CrawlRun
from storage.rawstore import RawStore

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from storage.ingest import Ingestor

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunCounters:
    """What happened during the run, per site; summed up for the run summary."""

    pages: Counter[str] = field(default_factory=Counter)  # list pages parsed
    # site -> outcome -> n, of what has no raw_documents row of this run: 304s, documents not stored
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    blocked: dict[str, str] = field(default_factory=dict)  # site -> reason
    stopped_early: Counter[str] = field(default_factory=Counter)  # list paginations stopped on known entries
    not_due: Counter[str] = field(default_factory=Counter)  # known details fetched within revisit_days: not requested

    def outcome(self, site_id: str, outcome: str) -> None:
        self.outcomes[site_id][outcome] += 1

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.outcomes.values())


class CrawlContext:
    """Everything the spider, middlewares, pipeline and extension share for one crawl."""

    _by_crawler: weakref.WeakKeyDictionary[Any, CrawlContext] = weakref.WeakKeyDictionary()

    def __init__(
        self,
        settings: Settings,
        *,
        site_ids: list[str] | None = None,
        mode: str = "crawl",
        year: int | None = None,
        url: str | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.settings = settings
        self.mode = mode
        self.year = year
        self.url = url
        self.sites: list[SiteSpec] = [settings.site(s) for s in site_ids] if site_ids else list(settings.sites)
        self._sites_by_id = {s.id: s for s in self.sites}
        self.db = Database(settings.database_url)
        self.store = RawStore(settings.storage_dir)
        self.known = KnownDocuments(self.db)
        self.revisit = RevisitPolicy(mode, settings.crawler.revisit_days, utcnow())
        self.counters = RunCounters()
        self.families: dict[str, str] = {}  # site -> detected CMS family
        self.run_id: int | None = None
        self.summary: dict[str, Any] | None = None
        self._ingestor: Ingestor | None = None
        self._writer: ThreadPool | None = None
        self._sync_sites()

    # Construction ---------------------------------------------------------------------------
    @classmethod
    def of(cls, crawler: Crawler) -> CrawlContext:
        """The context of ``crawler`` (created on first use)."""
        ctx = cls._by_crawler.get(crawler)
        if ctx is None:
            ctx = cls.from_scrapy_settings(crawler.settings)
            cls._by_crawler[crawler] = ctx
        return ctx

    @classmethod
    def from_scrapy_settings(cls, s: Any) -> CrawlContext:
        request = CrawlRequest.from_scrapy_settings(s)
        return cls(nianbao_settings(s), site_ids=list(request.site_ids) or None, mode=request.mode, year=request.year, url=request.url)

    def _sync_sites(self) -> None:
        from storage.sites import sync_sites  # mirrors settings.yaml into the sites table

        sync_sites(self.db, self.settings)

    @property
    def ingestor(self) -> Ingestor:
        if self._ingestor is None:
            from storage.ingest import Ingestor  # imports the parser: only when a document arrives

            self._ingestor = Ingestor.from_settings(self.db, self.store, self.settings)
        return self._ingestor

    # The crawl's database writer ---------------------------------------------------------------
    def writer(self) -> ThreadPool:
        """The one thread that writes for this crawl (batches of documents, list sightings): the
        reactor thread never waits for the database's write lock, which an ingest consumer in
        another process may hold for a batch."""
        if self._writer is None:
            self._writer = ThreadPool(minthreads=1, maxthreads=1, name="nianbao-writer")
            self._writer.start()
        return self._writer

    def write_later(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run ``fn(*args)`` on the writer thread, after what was queued before it; failures logged."""
        from twisted.internet import reactor  # the one Scrapy installed (TWISTED_REACTOR)

        d = deferToThreadPool(reactor, self.writer(), fn, *args)
        d.addErrback(lambda f: log.error("a database write failed: %s", f.getTraceback()))
        return d

    def stop_writer(self) -> None:
        """Finish the queued writes and stop the writer thread (idempotent)."""
        if self._writer is not None:
            pool, self._writer = self._writer, None
            pool.stop()

    # Sites ----------------------------------------------------------------------------------
    def site(self, site_id: str) -> SiteSpec:
        return self._sites_by_id[site_id]

    def allowed_hosts(self, site: SiteSpec) -> set[str]:
        """Host names the site may be crawled on: its ``allowed_domains``, else its start URLs' hosts."""
        hosts = {d.split(":")[0].lower() for d in site.allowed_domains}
        return hosts or {(urlsplit(u).hostname or "").lower() for u in site.start_urls}

    def site_allows(self, site: SiteSpec, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts(site))

    def all_allowed_hosts(self) -> list[str]:
        return sorted({h for s in self.sites for h in self.allowed_hosts(s)})

    def block(self, site_id: str, reason: str) -> bool:
        """Mark a site blocked for the rest of the run; True the first time."""
        if site_id in self.counters.blocked:
            return False
        self.counters.blocked[site_id] = reason
        return True

    def is_blocked(self, site_id: str | None) -> bool:
        return bool(site_id) and site_id in self.counters.blocked

    # Run record -----------------------------------------------------------------------------
    def open_run(self) -> int:
        """Create the ``CrawlRun`` row (once) and return its id."""
        if self.run_id is None:
            with self.db.session() as s:
                run = CrawlRun(kind=self.mode, started_at=utcnow(), sites=[x.id for x in self.sites], stats={}, status="running")
                s.add(run)
                s.flush()
                self.run_id = run.id
        return self.run_id

    def record_error(self, site_id: str | None, url: str, kind: str, detail: str) -> None:
        """A ``CrawlError`` row for this run (kinds: blocked, robots, http, network, moved, gone, storage)."""
        with self.db.session() as s:
            s.add(
                CrawlError(
                    crawl_run_id=self.open_run(),
                    site_id=site_id if site_id in self._sites_by_id else None,
                    url=url[:2000],
                    kind=kind,
                    detail=detail[:2000],
                    at=utcnow(),
                )
            )
        log.info("crawl error [%s] %s %s: %s", kind, site_id, url, detail[:200])

    def outcomes_by_site(self) -> dict[str, Counter[str]]:
        """What became of every document of this run, per site: the stored ones by their
        ``raw_documents`` rows (filed here or by an ingest consumer; ``pending`` until filed),
        the rest (304s, documents that could not be stored) by this process's counters."""
        from storage.ingest_queue import outcomes_of_run

        out: dict[str, Counter[str]] = defaultdict(Counter)
        for site_id, counts in self.counters.outcomes.items():
            out[site_id].update(counts)
        if self.run_id is not None:
            for site_id, counts in outcomes_of_run(self.db, self.run_id).items():
                out[site_id].update(counts)
        return out

    def errors_by_site(self) -> dict[str, dict[str, int]]:
        """This run's crawl errors counted by site and kind (the ingestor's parse errors included)."""
        out: dict[str, dict[str, int]] = {}
        if self.run_id is None:
            return out
        with self.db.session() as s:
            rows = s.execute(
                select(CrawlError.site_id, CrawlError.kind, func.count())
                .where(CrawlError.crawl_run_id == self.run_id)
                .group_by(CrawlError.site_id, CrawlError.kind)
            ).all()
        for site_id, kind, n in rows:
            out.setdefault(site_id or "-", {})[kind] = n
        return out

    def close_run(self, summary: dict[str, Any], status: str) -> None:
        self.summary = summary
        with self.db.session() as s:
            run = s.get(CrawlRun, self.open_run())
            assert run is not None
            run.finished_at = utcnow()
            run.stats = summary
            run.status = status
