"""Crawl-run recording: the ``CrawlRun`` row (start, end, counters) and a progress line every N seconds."""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.context import CrawlContext
from core.process_memory import peak_rss_mb

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.http import Response
    from scrapy.crawler import Crawler

log = logging.getLogger("crawler.progress")


class CrawlRunRecorder:
    """Extension: opens the run on start, logs progress, writes the summary on close."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.context = CrawlContext.of(crawler)
        self.interval = interval
        self.started = time.monotonic()
        self._loop: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        if not crawler.settings.getbool("NIANBAO_RUN_RECORDING", True):
            raise NotConfigured
        o = cls(crawler, crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 30.0))
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(o.response_received, signal=signals.response_received)
        return o

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        # Any answer, an error status or a redirect included, shows the site can be reached.
        site_id = request.meta.get("site_id")
        if site_id:
            self.context.counters.answered[site_id] += 1

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        run_id = self.context.start()
        log.info("crawl run %s started (%s): %s", run_id, self.context.plan.mode, ", ".join(self.context.plan.site_ids))
        if self.interval > 0:
            self._loop = create_looping_call(self.log_progress)
            self._loop.start(self.interval, now=False)

    def log_progress(self) -> None:
        s = self.summary()
        log.info(
            "crawl run %s: %d requests (%d answered, %d failed downloads), %d list pages, %d new / %d changed / %d unchanged reports, "
            "%d to parse, %d errors, blocked: %s, unreachable: %s",
            s["run_id"], s["requests"], s["responses"], s["failed_downloads"], s["pages"], s["new"], s["changed"], s["unchanged"],
            s["pending"], error_count(s), ", ".join(s["blocked_sites"]) or "none", ", ".join(s["unreachable_sites"]) or "none",
        )  # fmt: skip

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        summary = self.summary(finish_reason=reason)
        status = "finished" if reason == "finished" else "failed"
        if self.context.shared is not None:
            # A distributed crawl's worker: the coordinator writes the run's summary, from every worker's.
            self.context.summary = summary
            log.info("worker of crawl run %s %s after %.1f s", summary["run_id"], status, summary["elapsed_seconds"])
            return
        self.context.close_run(summary, status)
        self.log_progress()
        log.info("crawl run %s %s after %.1f s", summary["run_id"], status, summary["elapsed_seconds"])

    def summary(self, finish_reason: str | None = None) -> dict[str, Any]:
        """The run summary (also stored as ``CrawlRun.stats``)."""
        ctx = self.context
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        prefix = "downloader/response_status_count/"
        by_status = {int(k[len(prefix) :]): v for k, v in stats.items() if k.startswith(prefix)}
        c = ctx.counters
        per_site = {
            site.id: {
                "pages": c.pages[site.id],
                "not_due": c.not_due[site.id],
                "family": ctx.families.get(site.id, site.cms),
            }
            for site in ctx.plan.sites
        }
        summary = {
            "run_id": ctx.run.id,
            "mode": ctx.plan.mode,
            "sites": ctx.plan.site_ids,
            "pages": sum(c.pages.values()),
            # Every download attempt (robots.txt and retries included), those answered, those that failed
            # (DNS, refused, reset, timeout): the same counters Scrapy's stats dump shows.
            "requests": int(stats.get("downloader/request_count", 0)),
            "responses": sum(by_status.values()),
            # A request a middleware drops (robots.txt forbids it) is counted by Scrapy as an exception
            # of the downloader, but nothing was downloaded, nor failed: robots_forbidden says it.
            "failed_downloads": int(stats.get("downloader/exception_count", 0))
            - int(stats.get("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0)),
            "responses_by_status": dict(sorted(by_status.items())),
            "blocked_sites": sorted(c.blocked),
            "blocked_reasons": dict(c.blocked),
            "per_site": per_site,
            "not_due": sum(c.not_due.values()),  # known details not requested (revisit_days)
            "pagination_stopped_early": dict(c.stopped_early),
            "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
            "peak_rss_mb": peak_rss_mb(),
            "cpu_seconds": round(sum(os.times()[:2]), 3),  # this process: user + system
            "finish_reason": finish_reason,
            "elapsed_seconds": round(time.monotonic() - self.started, 3),
        }
        return with_outcomes(summary, ctx)


def error_count(summary: dict[str, Any]) -> int:
    """The run's crawl errors (``crawl_errors`` rows) in all, from a summary."""
    return sum(n for kinds in summary.get("errors_by_site", {}).values() for n in kinds.values())


def unreachable_sites(ctx: CrawlContext, errors_by_site: dict[str, dict[str, int]]) -> list[str]:
    """Sites that could not be reached at all: not one answer to their requests (robots.txt aside)
    and at least one network failure (DNS, refused, reset, timeout). A site refused by robots.txt
    or a WAF answered, and is reported as blocked instead."""
    return sorted(
        site.id for site in ctx.plan.sites if not ctx.counters.answered[site.id] and errors_by_site.get(site.id, {}).get("network")
    )


# Summary keys of document outcomes, and the outcome each counts.
OUTCOME_KEYS = {
    "new": "new", "changed": "changed", "unchanged": "unchanged", "not_report": "not_report",
    "link_pages": "link_page", "failed": "failed", "pending": "pending",
}  # fmt: skip


def with_outcomes(summary: dict[str, Any], ctx: CrawlContext) -> dict[str, Any]:
    """``summary`` with the outcome counts and errors as they stand now, overall and per site
    (again after an ingest consumer has filed what the crawl kept)."""
    outcomes = ctx.outcomes_by_site()
    for key, outcome in OUTCOME_KEYS.items():
        summary[key] = sum(c[outcome] for c in outcomes.values())
        for site_id, row in summary.get("per_site", {}).items():
            row[outcome] = outcomes.get(site_id, {}).get(outcome, 0)  # per site: by the outcome's own name
    summary["errors_by_site"] = ctx.run.errors_by_site()
    summary["unreachable_sites"] = unreachable_sites(ctx, summary["errors_by_site"])
    return summary
