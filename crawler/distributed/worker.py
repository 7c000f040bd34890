"""A worker of the distributed crawl: takes requests from the shared queue until the crawl is done.

``serve(settings)`` (``nianbao worker``) waits for a distributed crawl to be announced in Redis,
runs one worker process for it (``python -m crawler.distributed.worker``: a fresh process per
crawl, since Twisted's reactor cannot be restarted) and, unless ``once``, waits for the next.
``run_worker`` is that process: the crawl's Scrapy settings with the Redis scheduler, the shared
robots.txt middleware and no per-process politeness (the per-host delay is kept in Redis, across
workers), and the usual ingest workers beside it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

from core.settings import Settings, SettingsError, load_settings
from crawler.distributed.state import SharedCrawlState, connect, crawl_prefix

log = logging.getLogger(__name__)


def worker_overrides(settings: Settings, run_id: int) -> dict[str, Any]:
    """The Scrapy settings that make a crawl a worker of distributed crawl ``run_id``."""
    c = settings.crawler
    s: dict[str, Any] = {
        "NIANBAO_DISTRIBUTED": {"redis_url": c.redis_url, "prefix": crawl_prefix(c.redis_prefix), "run_id": run_id},
        "SCHEDULER": "crawler.distributed.scheduler.RedisScheduler",
        # The per-host delay is the queue's (crawler.distributed.queue): shared by all workers.
        "NIANBAO_HOST_DELAY": c.download_delay,
        "NIANBAO_HOST_DELAY_JITTER": 0.5 if c.randomize_delay else 0.0,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "JOBDIR": None,  # the shared queue is the job state
        "CONCURRENT_ITEMS": 1,  # the scheduler's "done" needs each item stored before the next output
    }
    from crawler.settings import DOWNLOADER_MIDDLEWARES

    middlewares = dict(DOWNLOADER_MIDDLEWARES)
    del middlewares["crawler.middlewares.robots.SharedRobotsTxtMiddleware"]
    middlewares["crawler.distributed.robots.DistributedRobotsTxtMiddleware"] = 100
    s["DOWNLOADER_MIDDLEWARES"] = middlewares
    return s


def run_worker(settings: Settings, overrides: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Work for the distributed crawl announced in Redis until it is done; this worker's summary,
    or None when no crawl is running."""
    from crawler.run import _finish_ingest, _start_workers, crawler_process, process_settings

    from crawler.context import CrawlContext
    from crawler.spiders.annual_reports import AnnualReportsSpider

    state = SharedCrawlState(connect(_redis_url(settings)), crawl_prefix(settings.crawler.redis_prefix))
    meta = state.meta()
    if meta is None or meta["state"] != "running":
        return None
    s = process_settings(settings, meta["sites"], mode=meta["mode"], year=meta["year"], url=meta["url"], overrides={**(overrides or {}), **worker_overrides(settings, meta["run_id"])})
    process = crawler_process(s)
    crawler = process.create_crawler(AnnualReportsSpider)
    workers = _start_workers(crawler, settings)
    process.crawl(crawler)
    try:
        process.start()
    finally:
        ctx = CrawlContext.of(crawler)
        _, ingest_rss = _finish_ingest(ctx, workers, drain=True)
    return {**(ctx.summary or {}), "ingest_peak_rss_mb": ingest_rss}


def _redis_url(settings: Settings) -> str:
    if not settings.crawler.redis_url:
        raise SettingsError(f"{settings.source}: crawler.redis_url: not set (the distributed crawl's Redis server)")
    return settings.crawler.redis_url


def serve(settings: Settings, *, once: bool = False, poll: float = 1.0, set_args: list[str] | None = None) -> int:
    """Run one worker process per distributed crawl, waiting for crawls (``nianbao worker``).
    ``SettingsError`` (one line) if Redis does not answer at the start; an outage later is waited
    out (``crawler.distributed.outage``), here and in the worker process."""
    state = SharedCrawlState(connect(_redis_url(settings)), crawl_prefix(settings.crawler.redis_prefix))
    served: int | None = None
    while True:
        meta = state.meta()
        if meta and meta["state"] == "running" and meta["run_id"] != served:
            served = meta["run_id"]
            log.info("working for distributed crawl run %s", served)
            cmd = [sys.executable, "-m", "crawler.distributed.worker", "--config", settings.source]
            for item in set_args or []:
                cmd += ["--set", item]
            code = _run_child(cmd)
            log.info("worker for crawl run %s ended (exit %s)", served, code)
            if once:
                return code
        time.sleep(poll)


def _run_child(cmd: list[str]) -> int:
    """Run ``cmd``; a SIGTERM to this process is passed on, so the child stops gracefully."""
    child = subprocess.Popen(cmd)
    previous = signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m crawler.distributed.worker", description="Work for the distributed crawl running now, then exit.")
    p.add_argument("--config", help="settings file (default: $NIANBAO_CONFIG, ./settings.yaml)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=JSON", help="Scrapy setting override, value as JSON")
    p.add_argument("--log-level", default=os.environ.get("NIANBAO_LOG_LEVEL", "INFO"))
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("scrapy").setLevel(args.log_level)  # Scrapy's own lines at that level too
    from crawler.run import parse_overrides

    try:
        summary = run_worker(load_settings(args.config), parse_overrides(args.set))
    except SettingsError as exc:  # Redis not there when the worker starts: one line, not a traceback
        print(f"crawler.distributed.worker: {exc}", file=sys.stderr)
        return 2
    if summary is None or not summary.get("run_id"):
        print("no distributed crawl is running", file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 0 if summary.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
