"""The counters each worker publishes, and the run summary the coordinator makes of them.

The summary has the keys of a single-process crawl's (``crawler.run.crawl_in``): outcomes and
errors are read from the database rows of the run, whoever wrote them; pages, requests and
responses are the sum of the workers' last published counters (a worker killed mid-crawl counts
up to its last tick, and a request it held is fetched again by another worker and counted there).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import TYPE_CHECKING, Any

from core.process_memory import peak_rss_mb
from crawler.context import CrawlContext
from crawler.extensions import with_outcomes

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.distributed.state import SharedCrawlState


def worker_counters(crawler: Crawler, **extra: Any) -> dict[str, Any]:
    """This worker's counters (JSON-ready) as the coordinator adds them up."""
    ctx = CrawlContext.of(crawler)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    prefix = "downloader/response_status_count/"
    c = ctx.counters
    return {
        "requests": int(stats.get("downloader/request_count", 0)),
        "responses_by_status": {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)},
        "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
        "pages": dict(c.pages),
        "not_due": dict(c.not_due),
        "stopped_early": dict(c.stopped_early),
        "outcomes": {site: dict(counts) for site, counts in c.outcomes.items()},
        "families": dict(ctx.families),
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": round(sum(os.times()[:2]), 3),
        **extra,
    }


def distributed_summary(ctx: CrawlContext, state: SharedCrawlState, *, finish_reason: str, elapsed: float) -> dict[str, Any]:
    """The run summary of the distributed crawl ``ctx`` coordinates (see module docstring)."""
    workers = state.workers()
    pages: Counter[str] = Counter()
    not_due: Counter[str] = Counter()
    stopped: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    families: dict[str, str] = {}
    for w in workers.values():
        pages.update(w.get("pages", {}))
        not_due.update(w.get("not_due", {}))
        stopped.update(w.get("stopped_early", {}))
        statuses.update({int(k): v for k, v in w.get("responses_by_status", {}).items()})
        families.update(w.get("families", {}))
        for site, counts in w.get("outcomes", {}).items():
            ctx.counters.outcomes[site].update(counts)  # 304s and documents not stored, as counted by the workers
    blocked = state.blocked()
    summary: dict[str, Any] = {
        "run_id": ctx.run.id,
        "mode": ctx.plan.mode,
        "sites": ctx.plan.site_ids,
        "distributed": True,
        "pages": sum(pages.values()),
        "requests": sum(int(w.get("requests", 0)) for w in workers.values()),
        "responses_by_status": dict(sorted(statuses.items())),
        "blocked_sites": sorted(blocked),
        "blocked_reasons": blocked,
        "per_site": {
            site.id: {"pages": pages[site.id], "not_due": not_due[site.id], "family": families.get(site.id, site.cms)} for site in ctx.plan.sites
        },
        "not_due": sum(not_due.values()),
        "pagination_stopped_early": dict(stopped),
        "robots_forbidden": sum(int(w.get("robots_forbidden", 0)) for w in workers.values()),
        "workers": {name: {k: w.get(k) for k in ("requests", "claimed", "acked", "peak_rss_mb", "cpu_seconds")} for name, w in workers.items()},
        "requeued": state.queue.requeued(),
        "peak_rss_mb": max((float(w.get("peak_rss_mb") or 0) for w in workers.values()), default=None),
        "finish_reason": finish_reason,
        "elapsed_seconds": round(elapsed, 3),
    }
    return with_outcomes(summary, ctx)
