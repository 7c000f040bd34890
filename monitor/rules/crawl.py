"""Crawl health: pages of a site blocked or failing in its latest crawl (reports may be missed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import select

from monitor.context import CheckContext
from monitor.evidence import short_time
from monitor.rules.base import FindingDraft, Rule
from core.china_time import local_time
from storage.models import CrawlError, CrawlRun, Site

BLOCKED = Rule(
    "crawl_blocked",
    "crawl_blocked",
    "info",
    "{site}最近一次抓取（{when}）有 {count} 个页面被拦截或被 robots.txt 禁止抓取（如 {example}），可能遗漏报告",
    "网站应允许正常访问",
)
FAILED = Rule(
    "crawl_error",
    "crawl_error",
    "info",
    "{site}最近一次抓取（{when}）有 {count} 个页面抓取或解析出错（如 {example}）",
    "网站页面应能正常访问",
)
EXAMPLES = 10
BLOCKING = (
    "blocked",
    "robots",
)  # a WAF challenge or robots.txt: the site keeps pages from us


class CrawlHealthCheck:
    """One finding per site and kind, from the errors of the site's latest crawl run."""

    lane = "set"
    rules = (BLOCKED, FAILED)

    def run(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        sites = {
            sid: name for sid, name in ctx.session.execute(select(Site.id, Site.name))
        }
        if ctx.site_ids:
            sites = {k: v for k, v in sites.items() if k in ctx.site_ids}
        latest: dict[str, CrawlRun] = {}
        runs = ctx.session.scalars(
            select(CrawlRun)
            .where(CrawlRun.kind.in_(("crawl", "recrawl", "demo")))
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        )
        for run in runs:
            for sid in run.sites or list(sites):
                if sid in sites and sid not in latest:
                    latest[sid] = run
            if len(latest) == len(sites):
                break
        for sid, run in sorted(latest.items()):
            grouped: dict[str, list[CrawlError]] = defaultdict(list)
            q = (
                select(CrawlError)
                .where(CrawlError.crawl_run_id == run.id, CrawlError.site_id == sid)
                .order_by(CrawlError.id)
            )
            for err in ctx.session.scalars(q):
                grouped["blocked" if err.kind in BLOCKING else "failed"].append(err)
            for group, errors in grouped.items():
                rule = BLOCKED if group == "blocked" else FAILED
                evidence = {
                    "crawl_run_id": run.id,
                    "crawl_started_at": local_time(run.started_at),
                    "count": len(errors),
                    "errors": [
                        {
                            "url": e.url,
                            "kind": e.kind,
                            "detail": e.detail[:300],
                            "at": local_time(e.at),
                        }
                        for e in errors[:EXAMPLES]
                    ],
                }
                yield rule.draft(
                    site_id=sid,
                    evidence=evidence,
                    site=sites[sid],
                    when=short_time(run.started_at),
                    count=len(errors),
                    example=errors[0].url,
                )
