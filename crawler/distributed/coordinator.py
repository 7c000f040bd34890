"""The coordinator of a distributed crawl (``nianbao crawl --distributed``): one crawl run, seeded
into the shared queue, waited for, summed up.

It records the one ``crawl_runs`` row of the crawl (workers record their errors, sightings and
documents against it), clears what a previous crawl left in Redis, announces the crawl, queues
the configured sites' start requests (the spider's own ``list_request``, fingerprinted as the
workers do), then waits until no request is queued or leased. Then it marks the crawl done (the
workers finish), waits for the ingest queue to file what the run kept (filing leftovers itself),
and writes the run's summary from the workers' counters and the database rows.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import redis

from core.settings import Settings, SettingsError
from crawler.addon import CrawlRequest
from crawler.context import CrawlContext
from crawler.distributed.scheduler import host_of
from crawler.distributed.state import SharedCrawlState, connect, crawl_prefix
from crawler.distributed.summary import distributed_summary
from crawler.extensions import with_outcomes
from crawler.fingerprint import FragmentAwareFingerprinter

log = logging.getLogger(__name__)
COORDINATOR_TTL = 30  # seconds: a coordinator key older than this belongs to a coordinator that is gone


class CrawlAlreadyRunning(SettingsError):
    """Another coordinator is running a distributed crawl on the same Redis keys."""


def run_distributed_crawl(
    settings: Settings,
    site_ids: list[str] | None = None,
    *,
    poll: float = 0.5,
    progress: Callable[[dict[str, Any]], None] | None = None,
    ingest_timeout: float = 600.0,
) -> dict[str, Any]:
    """Run a distributed crawl of ``site_ids`` (default: all sites) with the workers on
    ``crawler.redis_url`` and return its summary (the keys of ``crawler.run.crawl_in``'s, plus
    ``distributed``, ``workers`` and ``requeued``)."""
    if not settings.crawler.redis_url:
        raise SettingsError(f"{settings.source}: crawler.redis_url: not set (the distributed crawl's Redis server)")
    request = CrawlRequest(tuple(site_ids or ()), "crawl")
    request.check(settings)
    state = SharedCrawlState(connect(settings.crawler.redis_url), crawl_prefix(settings.crawler.redis_prefix))
    alive = state.key("coordinator")
    if not state.r.set(alive, "1", nx=True, ex=COORDINATOR_TTL):
        raise CrawlAlreadyRunning(f"a distributed crawl is already running on {settings.crawler.redis_url} ({state.prefix})")
    started = time.monotonic()
    ctx = CrawlContext(settings, request)
    reason = "finished"
    try:
        state.queue.clear()
        state.r.set(alive, "1", ex=COORDINATOR_TTL)
        run_id = ctx.start()
        state.announce(run_id, request.mode, ctx.plan.site_ids)
        seeded = seed(ctx, state)
        log.info("distributed crawl run %s: %d start requests queued for %d sites", run_id, seeded, len(ctx.plan.sites))
        last = 0.0
        while True:
            meta = state.meta()
            if meta is None or meta["run_id"] != run_id:
                raise redis.RedisError("the crawl's keys are gone (Redis restarted without persistence, or was flushed)")
            if not state.queue.unfinished():
                break
            state.r.set(alive, "1", ex=COORDINATOR_TTL)
            state.queue.requeue_expired()  # also when every worker died
            if progress and time.monotonic() - last >= 5:
                last = time.monotonic()
                progress({"queued_or_leased": state.queue.unfinished(), "leased": state.queue.leased(), "live_workers": state.live_workers(10)})
            time.sleep(poll)
    except KeyboardInterrupt:
        reason = "shutdown"
    except redis.RedisError as exc:
        log.error("Redis failed during the crawl (%s): the run is closed as failed; crawl again", exc)
        reason = "redis_lost"
    try:
        state.finish()  # the workers close once their last requests are done
    except redis.RedisError:
        pass
    elapsed = time.monotonic() - started
    if reason == "finished":
        _wait_for_ingest(ctx, state, ingest_timeout)
    try:
        summary = distributed_summary(ctx, state, finish_reason=reason, elapsed=elapsed)
        state.r.delete(alive)
    except redis.RedisError:  # the workers' counters are lost with Redis: outcomes from the database
        summary = with_outcomes({"run_id": ctx.run.id, "mode": ctx.plan.mode, "sites": ctx.plan.site_ids, "distributed": True,
                                 "finish_reason": reason, "elapsed_seconds": round(elapsed, 3)}, ctx)  # fmt: skip
    summary["ingest_wait_seconds"] = round(time.monotonic() - started - elapsed, 3)
    summary["status"] = "finished" if reason == "finished" else "failed"
    ctx.close_run(summary, summary["status"])
    return summary


def seed(ctx: CrawlContext, state: SharedCrawlState) -> int:
    """Queue the start request of every start URL of the crawl's sites; how many were queued."""
    from crawler.adapters import AdapterRegistry
    from crawler.spiders.annual_reports import AnnualReportsSpider

    spider = AnnualReportsSpider()  # only to build requests: its list_request and callback names
    spider.adapters = AdapterRegistry.from_paths(ctx.settings.crawler.adapter_paths)
    fingerprinter = FragmentAwareFingerprinter()
    n = 0
    for site in ctx.plan.sites:
        for url in site.start_urls:
            req = spider.list_request(url, site.id, site.cms, page_index=0, depth=0, column_url=url, is_start=True)
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
