"""`nianbao crawl` and `nianbao recrawl`: run the Scrapy crawler in this process."""

from __future__ import annotations

import argparse

from nianbao.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, EXIT_UNREACHABLE
from nianbao.commands.context import open_app
from core.settings import Settings


def run_crawl_command(args: argparse.Namespace, settings: Settings) -> int:
    ids = args.site or [s.id for s in settings.sites]
    for sid in ids:
        settings.site(sid)
    if not ids:
        print("no sites configured (settings: sites): nothing to crawl")
        return EXIT_OK
    open_app(settings)  # migrate and sync the registry before Scrapy starts
    if getattr(args, "distributed", False):
        from crawler.distributed.coordinator import run_distributed_crawl

        summary = run_distributed_crawl(settings, ids, progress=_print_progress)
    else:
        from crawler.run import run_crawl

        summary = run_crawl(settings, ids, mode="crawl")
    print_crawl_summary(summary)
    return _exit_code(summary)


def _print_progress(p: dict) -> None:
    print(f"queued or in flight {p['queued_or_leased']} · in flight {p['leased']} · live workers {p['live_workers']}", flush=True)


def run_worker_command(args: argparse.Namespace, settings: Settings) -> int:
    """`nianbao worker`: work for distributed crawls (crawler.distributed.worker)."""
    open_app(settings)
    from crawler.distributed.worker import serve

    return serve(settings, once=args.once)


def run_recrawl_command(args: argparse.Namespace, settings: Settings) -> int:
    settings.site(args.site)
    open_app(settings)
    if getattr(args, "distributed", False):
        from crawler.distributed.coordinator import run_distributed_crawl

        summary = run_distributed_crawl(settings, [args.site], mode="recrawl", year=args.year, url=args.url, progress=_print_progress)
    else:
        from crawler.run import run_crawl

        summary = run_crawl(settings, [args.site], mode="recrawl", year=args.year, url=args.url)
    print_crawl_summary(summary)
    return _exit_code(summary)


def _exit_code(summary: dict) -> int:
    # Problems found on portals are findings, not a failed command; a stop before the end is, and
    # so is a site that could not be reached at all (nothing was learnt about it).
    if summary.get("finish_reason") == "shutdown":
        return EXIT_INTERRUPTED
    if summary.get("finish_reason") == "redis_lost":
        return EXIT_PROBLEMS
    return EXIT_UNREACHABLE if summary.get("unreachable_sites") else EXIT_OK


def print_crawl_summary(summary: dict) -> None:
    """The end-of-crawl summary operators read."""
    print(f"crawl run {summary.get('run_id')}: sites {', '.join(summary.get('sites', []))}")
    print(
        "pages {} · requests {} (answered {}, failed downloads {}) · reports new {} changed {} unchanged {}".format(
            summary.get("pages", 0),
            summary.get("requests", 0),
            summary.get("responses", 0),
            summary.get("failed_downloads", 0),
            summary.get("new", 0),
            summary.get("changed", 0),
            summary.get("unchanged", 0),
        )
    )
    if summary.get("pending"):
        print(
            f"fetched and kept, not parsed yet: {summary['pending']} document(s);"
            " `nianbao ingest` files them (so do the next crawl and `nianbao check`)"
        )
    statuses = summary.get("responses_by_status") or {}
    if statuses:
        print("responses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))))
    errors = summary.get("errors_by_site") or {}
    for site, kinds in sorted(errors.items()):
        detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) if isinstance(kinds, dict) else str(kinds)
        print(f"errors on {site}: {detail} (see `nianbao findings --kind crawl_error`)")
    for site in summary.get("unreachable_sites", []):
        print(f"unreachable: {site} (no answer to any request: DNS failure, connection refused or every request failed)")
    for site in summary.get("blocked_sites", []):
        print(f"blocked: {site} (anti-bot or robots.txt; see `nianbao findings --kind crawl_blocked`)")
    if summary.get("finish_reason") == "redis_lost":
        print("the crawl's shared queue was lost with Redis (restarted without persistence?): the run is closed as failed;"
              " what was stored stays stored; crawl again (docs/distributed-crawl.md §4)")
    if summary.get("resumed"):
        print(f"carried on crawl run {summary.get('run_id')}, whose coordinator had stopped")
    if summary.get("distributed"):
        workers = summary.get("workers") or {}
        print(f"workers {len(workers)} · requests put back after a worker stopped: {summary.get('requeued', 0)}")
    if summary.get("finish_reason") == "shutdown" and not summary.get("distributed"):
        resume = f"; the same command resumes from {summary['jobdir']}" if summary.get("jobdir") else ""
        print(f"crawl interrupted before the end{resume}")
