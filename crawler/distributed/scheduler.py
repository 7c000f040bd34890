"""Scrapy scheduler of a distributed-crawl worker: requests come from and go to the Redis queue.

``enqueue_request`` pushes what the worker's spider and middlewares produce into the shared queue
(the shared dupefilter decides, with the crawl's own request fingerprints, so gkmlpt routes keep
their fragments); ``next_request`` claims a request of a free, due host, unless another worker
waiting for work holds fewer (fair sharing, ``crawler.distributed.queue``). A claimed request is
acknowledged only once the engine is completely done with it: its response went through the
spider and the item pipeline (stored), or a middleware replaced it by another request (a redirect
or a retry, which is queued first). A worker killed before that never acknowledges, its lease
expires and another worker takes the request.

Every ``TICK`` seconds the scheduler acknowledges what is done, renews its leases, puts back the
requests of expired leases (of dead workers), publishes its counters and wakes the engine (whose
own heartbeat is 5 s). The worker does not close when the queue is empty: it waits until the
coordinator marks the crawl done.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import redis

from scrapy import Request, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.request import request_from_dict

from crawler.context import CrawlContext
from crawler.distributed.outage import just_back
from crawler.distributed.payload import UnreadableRequest, UnstorableRequest
from crawler.distributed.state import SharedCrawlState
from crawler.scrapy_workarounds import engine_requests_in_progress, wake_engine

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)
TICK = 0.2  # seconds


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def host_of(url: str) -> str:
    """The politeness key of ``url``: its host name, as Scrapy's download slots key them."""
    return (urlsplit(url).hostname or "").lower()


class RedisScheduler(BaseScheduler):
    """The worker's scheduler on the shared queue (see module docstring)."""

    def __init__(self, crawler: Crawler, state: SharedCrawlState, lease_seconds: float) -> None:
        self.crawler = crawler
        self.state = state
        self.queue = state.queue
        self.lease_seconds = lease_seconds
        self.worker = worker_name()
        self.held: dict[str, Request] = {}  # claimed and not yet acknowledged, by queue id
        self.spider: Spider | None = None
        self._loop: Any = None
        s = crawler.settings
        self._delay = s.getfloat("NIANBAO_HOST_DELAY")
        self._jitter = s.getfloat("NIANBAO_HOST_DELAY_JITTER")
        self._host_delays = {host: float(slot["delay"]) for host, slot in (s.getdict("DOWNLOAD_SLOTS") or {}).items() if "delay" in slot}
        self.claimed = 0
        self.acked = 0
        self.run_id = CrawlContext.of(crawler).run.id
        self.over = False  # the crawl is done, gone from Redis, or replaced by another
        self._redis_down = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        ctx = CrawlContext.of(crawler)
        if ctx.shared is None:
            raise RuntimeError("RedisScheduler needs a distributed crawl (NIANBAO_DISTRIBUTED)")
        o = cls(crawler, ctx.shared, ctx.settings.crawler.lease_seconds)
        crawler.signals.connect(o._idle, signal=signals.spider_idle)
        return o

    # Scrapy's scheduler interface ---------------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        self._loop = create_looping_call(self.tick)
        self._loop.start(TICK, now=False)

    def close(self, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.tick(wake=False)  # acknowledge what was finished; anything still held expires and is requeued

    def has_pending_requests(self) -> bool:
        return False  # the queue is shared: the coordinator tells when the crawl is over

    def enqueue_request(self, request: Request) -> bool:
        assert self.spider is not None
        fp = None if request.dont_filter else self.crawler.request_fingerprinter.fingerprint(request).hex()
        try:
            pushed = self.queue.push(request.to_dict(spider=self.spider), host_of(request.url), request.priority, fp)
        except UnstorableRequest as exc:  # a value in meta the JSON queue has no form for: a bug to fix, recorded
            log.error("%s not queued: %s", request.url, exc)
            CrawlContext.of(self.crawler).record_error(request.meta.get("site_id"), request.url, "queue", f"not queued: {exc}")
            return False
        if pushed and self.crawler.stats:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return pushed

    def next_request(self) -> Request | None:
        if self.over:
            return None
        try:
            claimed = self.queue.claim(self.worker, self.lease_seconds)
        except redis.RedisError:
            return None  # logged by the tick
        except UnreadableRequest as exc:  # not written by a worker: never unpickled or run, dropped
            log.error("%s", exc)
            CrawlContext.of(self.crawler).record_error(None, self.queue.k_requests, "queue", str(exc))
            return None
        if claimed is None:
            return None
        request = request_from_dict(claimed.request, spider=self.spider)
        self.held[claimed.id] = request
        self.claimed += 1
        if self.crawler.stats:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
        return request

    # The worker's housekeeping ------------------------------------------------------------------
    def tick(self, wake: bool = True) -> None:
        """Acknowledge finished requests, renew the rest, requeue dead workers' requests, publish
        counters, wake the engine. While Redis does not answer, log it and try again next tick."""
        try:
            self._tick(wake)
            if self._redis_down:
                log.warning("Redis answers again")
            self._redis_down = False
        except redis.RedisError as exc:
            if not self._redis_down:
                log.error("Redis does not answer (%s): retrying every %.1f s", exc, TICK)
            self._redis_down = True

    def _tick(self, wake: bool) -> None:
        meta = self.state.meta()
        self.over = meta is None or meta["state"] != "running" or meta["run_id"] != self.run_id
        engine = self.crawler.engine
        busy = engine_requests_in_progress(engine) if engine is not None else set()
        for request_id, request in list(self.held.items()):
            if request not in busy:
                acked = self.queue.ack(request_id, self.worker, self.host_delay(host_of(request.url)))
                del self.held[request_id]  # after the ack: one that failed is tried again next tick
                if acked:
                    self.acked += 1
                else:
                    log.warning("lease of %s had expired before it was done: it may be fetched again", request.url)
        self.queue.renew(self.worker, self.held, self.lease_seconds)
        # Right after a Redis outage every lease looks expired: live workers renew theirs first.
        if not just_back(self.state.r, self.lease_seconds) and self.queue.requeue_expired():
            log.info("requests of a worker that stopped answering went back to the queue")
        self.state.heartbeat(self.worker, self.counters())
        if wake and engine is not None:
            wake_engine(engine)

    def host_delay(self, host: str) -> float:
        """Seconds before ``host`` may be fetched again (the site's or the crawl's delay, randomised)."""
        delay = self._host_delays.get(host, self._delay)
        return delay * random.uniform(1 - self._jitter, 1 + self._jitter) if self._jitter else delay

    def counters(self) -> dict[str, Any]:
        from crawler.distributed.summary import worker_counters

        return worker_counters(self.crawler, claimed=self.claimed, acked=self.acked, held=len(self.held))

    def _idle(self, spider: Spider) -> None:
        # Idle: nothing in progress here. Done when the coordinator says so, or when the crawl is
        # gone from Redis (restarted empty) or another crawl replaced it.
        if not self.over:
            raise DontCloseSpider
