"""The coordinator of a distributed crawl (``nianbao crawl --distributed``): one crawl run, seeded
into the shared queue, waited for, summed up.

It records the one ``crawl_runs`` row of the crawl (workers record their errors, sightings and
documents against it), clears what a previous crawl left in Redis, announces the crawl, queues
the configured sites' start requests (the spider's own ``list_request``, fingerprinted as the
workers do), then waits until no request is queued or leased. A crawl whose coordinator died is
carried on by the next coordinator asked for the same crawl; Redis outages are waited out
(``crawler.distributed.outage``). Then it marks the crawl done (the
workers finish), waits for the ingest queue to file what the run kept (filing leftovers itself),
and writes the run's summary from the workers' counters and the database rows.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import redis

from core.settings import Settings, SettingsError
from crawler.addon import CrawlRequest
from crawler.context import CrawlContext
from crawler.distributed.outage import just_back
from crawler.distributed.scheduler import host_of
from crawler.distributed.state import SharedCrawlState, connect, crawl_prefix
from crawler.distributed.summary import distributed_summary
from crawler.extensions import with_outcomes
from crawler.fingerprint import FragmentAwareFingerprinter
from crawler.run_record import mark_run_died
from storage.liveness import holder_gone, this_host

log = logging.getLogger(__name__)
COORDINATOR_TTL = 30  # seconds: a coordinator key older than this belongs to a coordinator that is gone


class CrawlAlreadyRunning(SettingsError):
    """Another coordinator is running a distributed crawl on the same Redis keys."""


def run_distributed_crawl(
    settings: Settings,
    site_ids: list[str] | None = None,
    *,
    mode: str = "crawl",
    year: int | None = None,
    url: str | None = None,
    poll: float = 0.5,
    progress: Callable[[dict[str, Any]], None] | None = None,
    ingest_timeout: float = 600.0,
) -> dict[str, Any]:
    """Run a distributed crawl of ``site_ids`` (default: all sites) with the workers on
    ``crawler.redis_url`` and return its summary (the keys of ``crawler.run.crawl_in``'s, plus
    ``distributed``, ``workers``, ``requeued`` and ``resumed``). ``mode``, ``year`` and ``url``
    are ``crawler.run.run_crawl``'s: ``mode="recrawl"`` for one site, optionally one year or URL.

    If a coordinator that is gone left the same crawl running in Redis, this one carries it on
    (same run, same queue); a different crawl it left is marked ``died`` and replaced."""
    if not settings.crawler.redis_url:
        raise SettingsError(f"{settings.source}: crawler.redis_url: not set (the distributed crawl's Redis server)")
    request = CrawlRequest(tuple(site_ids or ()), mode, year, url)
    request.check(settings)
    state = SharedCrawlState(connect(settings.crawler.redis_url), crawl_prefix(settings.crawler.redis_prefix))
    holder = f"{this_host()}:{os.getpid()}"
    _take_coordinator_key(state, holder, settings.crawler.redis_url)
    alive = state.key("coordinator")
    started = time.monotonic()
    ctx = CrawlContext(settings, request)
    reason = "finished"
    lost = False  # the crawl's keys are gone from Redis (or another crawl replaced it)
    resumed = False
    try:
        run_id = _resume(ctx, state)
        resumed = run_id is not None
        if run_id is None:
            state.queue.clear()
            state.r.set(alive, holder, ex=COORDINATOR_TTL)
            run_id = ctx.start()
            state.announce(run_id, request.mode, ctx.plan.site_ids, request.year, request.url)
        seeded = seed(ctx, state)  # resumed: what is already queued or was fetched is filtered by the shared dupefilter
        log.info("distributed crawl run %s: %d start requests queued for %d sites", run_id, seeded, len(ctx.plan.sites))
        last = 0.0
        while True:
            meta = state.meta()
            if meta is None or meta["run_id"] != run_id:
                lost = True
                raise redis.RedisError("the crawl's keys are gone (Redis restarted without persistence, or was flushed)")
            if not state.queue.unfinished():
                break
            state.r.set(alive, holder, ex=COORDINATOR_TTL)
            # Also when every worker died. Not right after a Redis outage: live workers renew first.
            if not just_back(state.r, settings.crawler.lease_seconds):
                state.queue.requeue_expired()
            if progress and time.monotonic() - last >= 5:
                last = time.monotonic()
                progress({"queued_or_leased": state.queue.unfinished(), "leased": state.queue.leased(), "live_workers": state.live_workers(10)})
            time.sleep(poll)
    except KeyboardInterrupt:
        reason = "shutdown"
    except redis.RedisError as exc:
        log.error("Redis failed during the crawl (%s): the run is closed as failed; crawl again", exc)
        reason = "redis_lost"
    if not lost:
        try:
            state.finish()  # the workers close once their last requests are done
        except redis.RedisError:
            pass
    elapsed = time.monotonic() - started
    if reason == "finished":
        _wait_for_ingest(ctx, state, ingest_timeout)
    try:
        if lost:
            raise redis.RedisError("no counters")  # what workers published before the loss is gone with it
        summary = distributed_summary(ctx, state, finish_reason=reason, elapsed=elapsed)
        state.r.delete(alive)
    except redis.RedisError:  # the workers' counters are lost with Redis: outcomes from the database
        summary = with_outcomes({"run_id": ctx.run.id, "mode": ctx.plan.mode, "sites": ctx.plan.site_ids, "distributed": True,
                                 "finish_reason": reason, "elapsed_seconds": round(elapsed, 3)}, ctx)  # fmt: skip
        if lost:
            state.r.delete(alive)
    summary["resumed"] = resumed
    summary["ingest_wait_seconds"] = round(time.monotonic() - started - elapsed, 3)
    summary["status"] = "finished" if reason == "finished" else "failed"
    ctx.close_run(summary, summary["status"])
    return summary


def _take_coordinator_key(state: SharedCrawlState, holder: str, url: str) -> None:
    """Hold the coordinator key, free or held by a coordinator of this host that is gone;
    ``CrawlAlreadyRunning`` if a live coordinator (or one of another host, for up to
    ``COORDINATOR_TTL`` seconds after its last renewal) holds it."""
    key = state.key("coordinator")
    if state.r.set(key, holder, nx=True, ex=COORDINATOR_TTL):
        return
    running = CrawlAlreadyRunning(f"a distributed crawl is already running on {url} ({state.prefix})")
    with state.r.pipeline() as pipe:
        try:
            pipe.watch(key)
            raw = pipe.get(key)
            other = raw.decode() if isinstance(raw, bytes) else raw
            if other is not None and not holder_gone(other):
                raise running
            pipe.multi()
            pipe.set(key, holder, ex=COORDINATOR_TTL)
            pipe.execute()
        except redis.WatchError:  # another coordinator took it meanwhile
            raise running from None
    log.warning("the coordinator %s of the distributed crawl is gone: this one takes its place", other)


def _resume(ctx: CrawlContext, state: SharedCrawlState) -> int | None:
    """The run id of the crawl a coordinator that is gone left running in Redis, when it is the
    crawl asked for now and its run is still ``running``: this coordinator carries it on. Else
    None, and a run left running is marked ``died`` (its keys are cleared by the caller)."""
    meta = state.meta()
    if meta is None or meta["state"] != "running":
        return None
    plan = ctx.plan
    if (meta["mode"], meta["sites"], meta["year"], meta["url"]) == (plan.mode, plan.site_ids, plan.year, plan.url):
        if ctx.run.adopt(meta["run_id"]):
            log.warning("carrying on distributed crawl run %s, whose coordinator is gone: the shared queue holds what is left", meta["run_id"])
            return int(meta["run_id"])
    mark_run_died(ctx.db, meta["run_id"])
    return None


def seed(ctx: CrawlContext, state: SharedCrawlState) -> int:
    """Queue the crawl's start requests, as the spider's ``start_requests_list`` makes them: the
    start URLs' list pages, or with ``url`` (a recrawl of one URL) that one page; how many were
    queued (a request the shared dupefilter has seen is not queued again)."""
    from crawler.adapters import AdapterRegistry
    from crawler.spiders.annual_reports import AnnualReportsSpider

    spider = AnnualReportsSpider()  # only to build requests: its list_request and callback names
    spider.adapters = AdapterRegistry.from_paths(ctx.settings.crawler.adapter_paths)
    spider.context = ctx
    if ctx.url:
        requests = list(spider._single_url_requests(ctx.url))
    else:
        requests = [
            spider.list_request(url, site.id, site.cms, page_index=0, depth=0, column_url=url, is_start=True)
            for site in ctx.plan.sites
            for url in site.start_urls
        ]
    fingerprinter = FragmentAwareFingerprinter()
    n = 0
    for req in requests:
        fp = None if req.dont_filter else fingerprinter.fingerprint(req).hex()
        n += state.queue.push(req.to_dict(spider=spider), host_of(req.url), req.priority, fp)
    return n


def _wait_for_ingest(ctx: CrawlContext, state: SharedCrawlState, timeout: float) -> None:
    """Until the workers' ingest consumers filed what the run kept; what is left when no worker
    is alive (or after ``timeout``) is filed here."""
    from storage.ingest_queue import IngestQueue, components, pending_count

    deadline = time.monotonic() + timeout
    assert ctx.run.id is not None
    while pending_count(ctx.db, ctx.run.id):
        if state.live_workers(5) == 0 or time.monotonic() > deadline:
            log.info("filing the documents of crawl run %s still unparsed here", ctx.run.id)
            IngestQueue(ctx.db, ctx.store, **components(ctx.settings)).drain()
            break
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    """``python -m crawler.distributed.coordinator``: ``nianbao crawl --distributed`` with the summary as JSON."""
    from core.settings import load_settings

    p = argparse.ArgumentParser(prog="python -m crawler.distributed.coordinator", description="Run one distributed crawl; print its summary as JSON.")
    p.add_argument("--config", help="settings file (default: $NIANBAO_CONFIG, ./settings.yaml)")
    p.add_argument("--site", action="append", help="site id (repeatable; default: all)")
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = load_settings(args.config)
        from storage.db import Database

        Database(settings.database_url).dispose()  # the schema up to date (as nianbao crawl's open_app)
        summary = run_distributed_crawl(settings, args.site)
    except SettingsError as exc:
        print(f"crawler.distributed.coordinator: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0 if summary["status"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
