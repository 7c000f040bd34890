"""Run a nianbao crawl in-process and return its summary: ``crawl_in(process)`` for a Scrapy
``CrawlerProcess`` (what ``scrapy crawl annual_reports`` runs, through ``crawler.commands.crawl``),
``run_crawl(settings, sites, mode=…)`` for the application (``nianbao crawl``).

Both build the crawl the same way: the Scrapy settings come from ``crawler.settings`` with
``settings.yaml`` applied by the nianbao add-on (``crawler.addon``), and ``crawl_in`` starts the
ingest workers, runs the crawl and files what it kept, and returns the run summary.

One call per process: Twisted's reactor cannot be restarted, and each ``nianbao crawl`` is its own
process. ``python -m crawler.run --config settings.yaml [--site ID] [--mode recrawl] [--json]``
runs the same thing from a shell (tests and the scheduler use it to get a fresh process).
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from core.settings import Settings, SettingsError, load_settings
from crawler.adapters import AdapterRegistry
from crawler.addon import MODES, CrawlRequest, nianbao_settings
from crawler.context import CrawlContext
from crawler.extensions import with_outcomes
from crawler.scrapy_workarounds import keep_scrapy_log_level
from crawler.spiders.annual_reports import AnnualReportsSpider
from storage.db import Database
from storage.ingest_queue import IngestQueue, IngestWorker, components, pending_count

log = logging.getLogger(__name__)


def process_settings(
    settings: Settings,
    site_ids: list[str] | None = None,
    *,
    mode: str = "crawl",
    year: int | None = None,
    url: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> ScrapySettings:
    """The Scrapy settings ``run_crawl`` starts its ``CrawlerProcess`` with: ``crawler.settings``,
    the crawl request and ``overrides`` (the add-on applies ``settings.yaml`` to each crawler)."""
    s = ScrapySettings()
    s.setmodule("crawler.settings", priority="project")
    request = {"NIANBAO_SETTINGS": settings, "NIANBAO_SITES": list(site_ids or []), "NIANBAO_MODE": mode, "NIANBAO_YEAR": year, "NIANBAO_URL": url}
    s.setdict(request, priority="project")
    s.set("LOG_INSTALL_ROOT_HANDLER", False, priority="project")  # the caller (nianbao CLI) configures logging
    if overrides:
        s.setdict(overrides, priority="cmdline")
    return s


def run_crawl(
    settings: Settings,
    site_ids: list[str] | None = None,
    *,
    mode: str = "crawl",
    year: int | None = None,
    url: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Crawl ``site_ids`` (default: all sites) and return the run summary (``crawl_in``).

    ``mode="recrawl"`` fetches afresh (no conditional requests, no early stop) and needs exactly
    one site; ``year`` keeps only list entries of that report year, ``url`` fetches one URL.
    ``overrides``: Scrapy settings that win over ``settings.yaml`` (as ``scrapy crawl -s``).
    """
    CrawlRequest(tuple(site_ids or ()), mode, year, url).check(settings)
    s = process_settings(settings, site_ids, mode=mode, year=year, url=url, overrides=overrides)
    # The level the caller chose (the CLI quiets Scrapy unless --verbose), else LOG_LEVEL.
    level = logging.getLevelName(logging.getLogger("scrapy").level or s.get("LOG_LEVEL") or "INFO")
    keep_scrapy_log_level(level)
    process = CrawlerProcess(s)
    logging.getLogger("scrapy").setLevel(level)
    return crawl_in(process)


def crawl_in(process: CrawlerProcess) -> dict[str, Any]:
    """Run the nianbao crawl in ``process`` (its settings name the request: ``NIANBAO_SITES``,
    ``NIANBAO_MODE``, ``NIANBAO_YEAR``, ``NIANBAO_URL``) and return the run summary.

    With ``crawler.ingest_workers`` > 0, that many ingest consumer processes parse and file what
    the crawl keeps while it goes on fetching (``storage.ingest_queue``); the call returns once
    they have filed everything the run kept (an interrupted run leaves the rest queued for the
    next consumer). A finished run's job directory is removed; an interrupted one's is kept.

    Summary keys: run_id, mode, sites, pages, requests, responses_by_status, new, changed,
    unchanged, not_report, link_pages, failed, pending, errors_by_site, blocked_sites,
    blocked_reasons, per_site, pagination_stopped_early, robots_forbidden, finish_reason,
    elapsed_seconds (the crawl), ingest_wait_seconds (filing after it), peak_rss_mb (the crawl
    process), ingest_peak_rss_mb (the largest of its ingest workers), status, jobdir.
    """
    crawler = process.create_crawler(AnnualReportsSpider)
    settings = nianbao_settings(crawler.settings)
    request = CrawlRequest.from_scrapy_settings(crawler.settings)
    request.check(settings)
    AdapterRegistry.from_paths(settings.crawler.adapter_paths)  # a bad crawler.adapters entry: one line, before the crawl
    crawler.settings.set("NIANBAO_SETTINGS", settings, priority="cmdline")  # loaded once, for the add-on too
    workers = _start_workers(crawler, settings)
    try:
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
    summary = _run_summary(ctx, request.sites(settings), bool(workers), wait, worker_rss)
    summary["jobdir"] = _settle_jobdir(crawler.settings.get("JOBDIR"), summary["status"])
    return summary


def _run_summary(ctx: CrawlContext, sites: list[Any], filed_by_workers: bool, wait: float, worker_rss: float | None) -> dict[str, Any]:
    """The summary the run recorder wrote, with its status; with ingest workers, the outcomes as
    they stand after the workers filed (written to the run record again)."""
    summary = dict(ctx.summary or {"run_id": ctx.run.id, "mode": ctx.plan.mode, "sites": [s.id for s in sites], "finish_reason": "not started"})
    summary["status"] = "finished" if summary.get("finish_reason") == "finished" else "failed"
    if filed_by_workers and ctx.summary is not None:
        summary = with_outcomes(summary, ctx)
        summary["ingest_wait_seconds"] = wait
        summary["ingest_peak_rss_mb"] = worker_rss
        log.info(
            "crawl run %s filed %.1f s after the crawl: %d new / %d changed / %d unchanged reports, %d still to parse",
            summary["run_id"], wait, summary["new"], summary["changed"], summary["unchanged"], summary["pending"],
        )  # fmt: skip
        ctx.close_run(summary, summary["status"])
    return summary


def _settle_jobdir(jobdir: str | None, status: str) -> str | None:
    """Remove a finished run's job directory; the directory an interrupted run leaves to resume, or None."""
    if jobdir and status == "finished":
        # A finished job must not be "resumed": its seen-requests file would filter every list
        # page of the next incremental crawl. An interrupted one stays for the next run to continue.
        shutil.rmtree(jobdir, ignore_errors=True)
    return jobdir if jobdir and status != "finished" else None


def _start_workers(crawler: Crawler, settings: Settings) -> list[IngestWorker]:
    """The ingest workers of ``crawler.ingest_workers``, started, with ``crawler`` told to leave
    parsing to them; none if one cannot start (the crawl then parses what it fetches itself, as
    with ``ingest_workers: 0``) or the crawl stores nothing."""
    if not settings.crawler.ingest_workers or not crawler.settings.getbool("NIANBAO_STORAGE_ENABLED", True):
        return []
    Database(settings.database_url).dispose()  # the schema up to date before a worker reads it
    workers: list[IngestWorker] = []
    try:
        for _ in range(settings.crawler.ingest_workers):
            worker = IngestWorker(settings.database_url, str(settings.storage_dir), **components(settings))
            worker.start()
            workers.append(worker)
    except Exception:
        log.exception("an ingest worker could not start: this crawl parses what it fetches itself")
        for worker in workers:
            worker.finish(drain=False)
        return []
    crawler.settings.set("NIANBAO_DEFER_INGEST", True, priority="cmdline")
    return workers


def _finish_ingest(ctx: CrawlContext, workers: list[IngestWorker], *, drain: bool) -> tuple[float, float | None]:
    """Let the ingest workers file what the crawl kept (all of it, or with ``drain`` False only
    their current batch); if one died, file this run's leftovers here. Returns the seconds spent
    waiting and the largest peak memory of a worker (MB)."""
    if not workers:
        return 0.0, None
    started = time.monotonic()
    peaks = [stats.peak_rss_mb or 0.0 for stats in (worker.finish(drain=drain) for worker in workers) if stats]
    if drain and ctx.run.id is not None and pending_count(ctx.db, ctx.run.id):
        log.warning("documents of this crawl are still unparsed: parsing them here")
        IngestQueue(ctx.db, ctx.store, **components(ctx.plan.settings)).drain()
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
