"""Crawl columns over time: a 年报 column that lists clearly fewer entries than in the previous
finished crawl, or whose list pages stopped answering (reports may be withdrawn, or the column moved).

Read from the crawl audit (``list_page_visits``, ``list_sightings``; ``storage.crawl_audit``). A
column is one list (a start URL or a sub-column) with all its pages. Counts are compared only when
both crawls read the list to its end: an incremental crawl stops paginating on a page of known
entries, and such a partial reading says nothing about the list's length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from monitor.context import CheckContext
from monitor.evidence import short_time
from monitor.rules.base import FindingDraft, Rule
from storage.crawl_audit import CRAWL_KINDS
from core.china_time import local_time
from storage.models import CrawlRun, ListPageVisit, ListSighting, Site

SHRUNK = Rule(
    "column_shrunk",
    "column_shrunk",
    "warning",
    "{site}的年报栏目 {column} 最近一次抓取（{when}）列出 {now} 条，上一次抓取（{before_when}）列出 {before} 条，"
    "少了 {lost} 条：可能有报告被撤下或栏目改版",
    "年报栏目不应无故减少条目",
)
UNREACHABLE = Rule(
    "column_unreachable",
    "column_unreachable",
    "warning",
    "{site}的年报栏目页面 {url} 最近一次抓取（{when}）无法读取（{detail}），上一次抓取（{before_when}）时可以正常读取",
    "年报栏目页面应能正常访问",
)
MIN_LOST = 5  # entries lost that always count
MIN_SHARE = 0.2  # or this share of the previous count (at least one entry)
EXAMPLES = 10
READ = ("read", "end", "fallback")  # a page that answered (``end``/``fallback``: a 404 the list expects)


@dataclass
class _Column:
    pages: dict[str, ListPageVisit] = field(default_factory=dict)  # url -> visit
    urls: set[str] = field(default_factory=set)  # distinct entries listed

    @property
    def complete(self) -> bool:
        """Read to its end: every page answered, none stopped pagination early or at the limit."""
        visits = self.pages.values()
        if not visits or any(v.status not in READ for v in visits):
            return False
        if any(v.pagination in ("stopped_known", "max_pages") for v in visits):
            return False
        return any(v.pagination == "end" or v.status == "end" for v in visits)


def _columns(ctx: CheckContext, run: CrawlRun, site_id: str) -> dict[str, _Column]:
    columns: dict[str, _Column] = defaultdict(_Column)
    by_url: dict[str, _Column] = {}
    q = select(ListPageVisit).where(ListPageVisit.crawl_run_id == run.id, ListPageVisit.site_id == site_id).order_by(ListPageVisit.id)
    for v in ctx.session.scalars(q):
        col = columns[v.column_url]
        col.pages.setdefault(v.url, v)
        by_url[v.url] = col
    rows = ctx.session.execute(
        select(ListSighting.list_url, ListSighting.url).where(ListSighting.crawl_run_id == run.id, ListSighting.site_id == site_id)
    )
    for list_url, url in rows:
        if list_url in by_url:
            by_url[list_url].urls.add(url)
    return columns


class ColumnChangeCheck:
    """Per site, the latest finished crawl's columns against the previous finished crawl's."""

    lane = "set"
    rules = (SHRUNK, UNREACHABLE)

    def run(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        sites = {sid: name for sid, name in ctx.session.execute(select(Site.id, Site.name))}
        if ctx.site_ids:
            sites = {k: v for k, v in sites.items() if k in ctx.site_ids}
        pairs: dict[str, list[CrawlRun]] = defaultdict(list)  # site -> its two newest finished crawls
        q = (
            select(CrawlRun)
            .where(CrawlRun.kind.in_(CRAWL_KINDS), CrawlRun.status == "finished")
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        )
        for run in ctx.session.scalars(q):
            for sid in run.sites or list(sites):
                if sid in sites and len(pairs[sid]) < 2:
                    pairs[sid].append(run)
            if len(pairs) == len(sites) and all(len(p) == 2 for p in pairs.values()):
                break
        for site_id, runs in sorted(pairs.items()):
            if len(runs) == 2:
                yield from self._compare(ctx, site_id, sites[site_id], runs[0], runs[1])

    def _compare(self, ctx: CheckContext, site_id: str, name: str, current: CrawlRun, previous: CrawlRun) -> Iterator[FindingDraft]:
        now, before = _columns(ctx, current, site_id), _columns(ctx, previous, site_id)
        runs = {"crawl_run_id": current.id, "previous_crawl_run_id": previous.id, "crawl_started_at": local_time(current.started_at)}
        times = {"when": short_time(current.started_at), "before_when": short_time(previous.started_at)}
        yield from self._vanished(site_id, name, now, before, runs, times)
        for column_url, col in sorted(now.items()):
            old = before.get(column_url)
            if old is None:
                continue
            failed = [v for url, v in col.pages.items() if v.status not in READ and url in old.pages and old.pages[url].status == "read"]
            if failed:
                first = failed[0]
                yield UNREACHABLE.draft(
                    site_id=site_id,
                    key=column_url,
                    evidence={**runs, "column_url": column_url, "pages": [{"url": v.url, "status": v.status, "detail": v.detail} for v in failed[:EXAMPLES]]},
                    site=name,
                    url=first.url,
                    detail=first.detail or first.status,
                    **times,
                )
                continue
            if not (col.complete and old.complete):
                continue
            lost = len(old.urls) - len(col.urls)
            if lost >= MIN_LOST or (lost >= 1 and lost >= MIN_SHARE * len(old.urls)):
                gone = sorted(old.urls - col.urls)
                yield SHRUNK.draft(
                    site_id=site_id,
                    key=column_url,
                    evidence={**runs, "column_url": column_url, "now": len(col.urls), "before": len(old.urls), "no_longer_listed": gone[:EXAMPLES]},
                    site=name,
                    column=column_url,
                    now=len(col.urls),
                    before=len(old.urls),
                    lost=lost,
                    **times,
                )

    def _vanished(
        self, site_id: str, name: str, now: dict[str, _Column], before: dict[str, _Column], runs: dict, times: dict
    ) -> Iterator[FindingDraft]:
        """Sub-columns (a year of the 年报 tree) read to their end before that the latest crawl no
        longer reached although it read every list page it found to the end: no page links them
        any more. Their entries listed nowhere else in the site's columns are lost; a sub-column
        moved to another address with its entries is no loss."""
        visits = [v for col in now.values() for v in col.pages.values()]
        if not visits or any(v.status not in READ or v.pagination == "max_pages" for v in visits):
            return  # a failing page (its own finding) or the page limit may hide a sub-column
        listed_now = {url for col in now.values() for url in col.urls}
        for column_url, old in sorted(before.items()):
            if column_url in now or not old.complete or any(v.depth == 0 for v in old.pages.values()):
                continue  # still read, never read to its end, or a start URL (the settings decide those)
            gone = sorted(old.urls - listed_now)
            lost = len(gone)
            if lost >= MIN_LOST or (lost >= 1 and lost >= MIN_SHARE * len(old.urls)):
                yield SHRUNK.draft(
                    site_id=site_id,
                    key=column_url,
                    evidence={
                        **runs, "column_url": column_url, "now": len(old.urls) - lost, "before": len(old.urls),
                        "no_longer_linked": True, "no_longer_listed": gone[:EXAMPLES],
                    },  # fmt: skip
                    site=name,
                    column=column_url,
                    now=len(old.urls) - lost,
                    before=len(old.urls),
                    lost=lost,
                    **times,
                )
