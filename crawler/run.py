"""Run the crawl in-process: ``run_crawl(settings, sites, mode=…)`` → the run summary.

One call per process: Twisted's reactor cannot be restarted, and each ``nianbao crawl`` is its own
process. ``python -m crawler.run --config settings.yaml [--site ID] [--mode recrawl] [--json]``
runs the same thing from a shell (tests and the scheduler use it to get a fresh process).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from scrapy.utils import log as scrapy_log

from crawler.adapters import AdapterRegistry
from crawler.context import MODES, CrawlContext
from crawler.extensions import with_outcomes
from crawler.spiders.annual_reports import AnnualReportsSpider
from storage.ingest_queue import IngestQueue, IngestWorker, pending_count
from core.errors import UsageError
from core.settings import Settings, SettingsError, load_settings
from storage.db import Database

MB = 1024 * 1024
log = logging.getLogger(__name__)


def scrapy_settings(
    settings: Settings,
    site_ids: list[str] | None = None,
    *,
    mode: str = "crawl",
    year: int | None = None,
    url: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> ScrapySettings:
    """``crawler.settings`` with the values of ``settings.yaml`` and ``overrides`` applied."""
    s = ScrapySettings()
    s.setmodule("crawler.settings", priority="project")
    c = settings.crawler
    sites = [settings.site(i) for i in site_ids] if site_ids else list(settings.sites)
    values: dict[str, Any] = {
        "USER_AGENT": c.user_agent,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "DOWNLOAD_DELAY": c.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if c.randomize_delay else 0.0,
        "CONCURRENT_REQUESTS": c.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "AUTOTHROTTLE_START_DELAY": c.download_delay,
        "DOWNLOAD_TIMEOUT": c.timeout,
        "RETRY_TIMES": c.retries,
        "DOWNLOAD_MAXSIZE": int(c.max_download_mb * MB),
        "DOWNLOAD_WARNSIZE": int(min(c.max_download_mb, 20) * MB),
        "DOWNLOAD_SLOTS": _slots(sites),
        "NIANBAO_SITE_ENCODINGS": {x.id: x.encoding for x in sites if x.encoding},
        "NIANBAO_SETTINGS": settings,
        "NIANBAO_MODE": mode,
        "NIANBAO_SITES": [x.id for x in sites],
        "NIANBAO_YEAR": year,
        "NIANBAO_URL": url,
        "LOG_INSTALL_ROOT_HANDLER": False,  # the caller (nianbao CLI) configures logging
        "REMOTE_CONTROL_ENABLED": False,
    }
    if c.jobdir:
        # One job directory per kind of run: a resumed crawl must continue the same request set.
        key = hashlib.sha1(json.dumps([mode, sorted(x.id for x in sites), year, url]).encode()).hexdigest()[:10]
        values["JOBDIR"] = str(settings.path(c.jobdir) / f"{mode}-{key}")
    s.setdict(values, priority="project")
    if overrides:
        s.setdict(overrides, priority="cmdline")
    return s


def _slots(sites: list[Any]) -> dict[str, dict[str, Any]]:
    """Per-host delay/concurrency from sites that set their own."""
    slots: dict[str, dict[str, Any]] = {}
    for site in sites:
        if site.download_delay is None and site.concurrency is None:
            continue
        for u in site.start_urls:
            slot: dict[str, Any] = {}
            if site.download_delay is not None:
                slot["delay"] = site.download_delay
            if site.concurrency is not None:
                slot["concurrency"] = site.concurrency
            slots[(urlsplit(u).hostname or "").lower()] = slot
    return slots


def run_crawl(
    settings: Settings,
    site_ids: list[str] | None = None,
    *,
    mode: str = "crawl",
    year: int | None = None,
    url: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Crawl ``site_ids`` (default: all sites) and return the run summary.

    ``mode="recrawl"`` fetches afresh (no conditional requests, no early stop) and needs exactly
    one site; ``year`` keeps only list entries of that report year, ``url`` fetches one URL.
    With ``crawler.ingest_workers`` > 0, that many ingest consumer processes parse and file what
    the crawl keeps while it goes on fetching (``storage.ingest_queue``); the call returns once
    they have filed everything the run kept (an interrupted run leaves the rest queued for the
    next consumer).

    Summary keys: run_id, mode, sites, pages, requests, responses_by_status, new, changed,
    unchanged, not_report, link_pages, failed, pending, errors_by_site, blocked_sites,
    blocked_reasons, per_site, pagination_stopped_early, robots_forbidden, finish_reason,
    elapsed_seconds (the crawl), ingest_wait_seconds (filing after it), peak_rss_mb (the crawl
    process), ingest_peak_rss_mb (the largest of its ingest workers), status.
    """
    if mode not in MODES:
        raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "recrawl" and (not site_ids or len(site_ids) != 1):
        raise SettingsError("recrawl: name exactly one site")
    if (year is not None or url is not None) and mode != "recrawl":
        raise SettingsError("year and url restrict a recrawl: use mode='recrawl'")
    for site_id in site_ids or []:
        settings.site(site_id)  # unknown ids fail here, with the known ones listed
    if not (site_ids or settings.sites):
        raise SettingsError("sites: no site configured to crawl")
    AdapterRegistry.from_paths(settings.crawler.adapter_paths)  # a bad crawler.adapters entry: one line, before the crawl
    s = scrapy_settings(settings, site_ids, mode=mode, year=year, url=url, overrides=overrides)
    workers = _start_workers(settings) if s.getbool("NIANBAO_STORAGE_ENABLED", True) else []
    if workers:
        s.set("NIANBAO_DEFER_INGEST", True, priority="cmdline")
    # Scrapy's logging setup (re)sets its logger to DEBUG from DEFAULT_LOGGING while it starts; keep
    # the level the caller chose (the CLI quiets Scrapy unless --verbose), else LOG_LEVEL.
    level = logging.getLevelName(logging.getLogger("scrapy").level or s.get("LOG_LEVEL") or "INFO")
    scrapy_log.DEFAULT_LOGGING["loggers"]["scrapy"]["level"] = level
    try:
        process = CrawlerProcess(s)
        logging.getLogger("scrapy").setLevel(level)
        crawler = process.create_crawler(AnnualReportsSpider)
        process.crawl(crawler)
    except BaseException:
        for worker in workers:
            worker.finish(drain=False)
        raise
    try:
        process.start()
    finally:
        ctx = CrawlContext.of(crawler)
        finished = (ctx.summary or {}).get("finish_reason") == "finished"
        wait, worker_rss = _finish_ingest(ctx, workers, drain=finished)
    summary = dict(ctx.summary or {"run_id": ctx.run_id, "mode": mode, "sites": site_ids or [s.id for s in settings.sites], "finish_reason": "not started"})
    summary["status"] = "finished" if summary.get("finish_reason") == "finished" else "failed"
    if workers and ctx.summary is not None:
        summary = with_outcomes(summary, ctx)
        summary["ingest_wait_seconds"] = wait
        summary["ingest_peak_rss_mb"] = worker_rss
        log.info(
            "crawl run %s filed %.1f s after the crawl: %d new / %d changed / %d unchanged reports, %d still to parse",
            summary["run_id"], wait, summary["new"], summary["changed"], summary["unchanged"], summary["pending"],
        )  # fmt: skip
        ctx.close_run(summary, summary["status"])
    jobdir = s.get("JOBDIR")
    if jobdir and summary["status"] == "finished":
        # A finished job must not be "resumed": its seen-requests file would filter every list
        # page of the next incremental crawl. An interrupted one stays for the next run to continue.
        shutil.rmtree(jobdir, ignore_errors=True)
    summary["jobdir"] = jobdir if jobdir and summary["status"] != "finished" else None
    return summary


def _start_workers(settings: Settings) -> list[IngestWorker]:
    """The ingest workers of ``crawler.ingest_workers``, started; none if one cannot start (the
    crawl then parses what it fetches itself, as with ``ingest_workers: 0``)."""
    if not settings.crawler.ingest_workers:
        return []
    Database(settings.database_url).dispose()  # the schema up to date before a worker reads it
    workers: list[IngestWorker] = []
    try:
        for _ in range(settings.crawler.ingest_workers):
            worker = IngestWorker(settings.database_url, str(settings.storage_dir), settings.ingest.filed_hooks)
            worker.start()
            workers.append(worker)
    except Exception:
        log.exception("an ingest worker could not start: this crawl parses what it fetches itself")
        for worker in workers:
            worker.finish(drain=False)
        return []
    return workers


def _finish_ingest(ctx: CrawlContext, workers: list[IngestWorker], *, drain: bool) -> tuple[float, float | None]:
    """Let the ingest workers file what the crawl kept (all of it, or with ``drain`` False only
    their current batch); if one died, file this run's leftovers here. Returns the seconds spent
    waiting and the largest peak memory of a worker (MB)."""
    if not workers:
        return 0.0, None
    started = time.monotonic()
    peaks = [stats.peak_rss_mb or 0.0 for stats in (worker.finish(drain=drain) for worker in workers) if stats]
    if drain and ctx.run_id is not None and pending_count(ctx.db, ctx.run_id):
        log.warning("documents of this crawl are still unparsed: parsing them here")
        IngestQueue(ctx.db, ctx.store, filed_hooks=ctx.settings.ingest.filed_hooks).drain()
    return round(time.monotonic() - started, 3), max(peaks, default=None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m crawler.run", description="Run one nianbao crawl and print its summary.")
    p.add_argument("--config", help="settings file (default: $NIANBAO_CONFIG, ./settings.yaml)")
    p.add_argument("--site", action="append", help="site id (repeatable; default: all)")
    p.add_argument("--mode", choices=MODES, default="crawl")
    p.add_argument("--year", type=int)
    p.add_argument("--url")
    p.add_argument("--set", action="append", default=[], metavar="NAME=JSON", help="Scrapy setting override, value as JSON")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    overrides: dict[str, Any] = {}
    for item in args.set:
        name, _, raw = item.partition("=")
        try:
            overrides[name] = json.loads(raw)
        except ValueError:
            overrides[name] = raw
    try:
        summary = run_crawl(load_settings(args.config), args.site, mode=args.mode, year=args.year, url=args.url, overrides=overrides)
    except (SettingsError, UsageError) as exc:
        print(f"crawler.run: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=None if args.json else 2, default=str))
    return 0 if summary["status"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
