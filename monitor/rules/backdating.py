"""``backdated``: the page claims a date on which our own crawl of its list did not show it.

Evidence is ours: a crawl of the very list page where the report later appeared, made after
the claimed publication day, that did not list the report URL. Only crawl runs with an id are
compared, so pages of one run are never mistaken for separate crawls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from monitor.context import CheckContext, chunked
from monitor.evidence import short_time
from monitor.rules.base import FindingDraft, Rule
from core.china_time import china_date, local_time
from storage.models import ListSighting, Report

BACKDATED = Rule(
    "backdated",
    "backdated",
    "warning",
    "{year}年度报告标注的发布日期为 {claimed}，但本系统 {crawled} 抓取所在栏目列表时尚未出现该报告"
    "（首次在列表中出现于 {listed}），疑似倒签发布日期",
    "标注的发布日期之后的抓取未见该报告",
)


@dataclass
class _Listing:
    """A report URL on one list page: its claimed date, the runs that listed it, the first time."""

    agency_id: int
    year: int
    claimed: date
    first: datetime
    runs: set[int | None] = field(default_factory=set)


class BackdatingCheck:
    """Compares claimed publication dates with our list crawls (``ListSighting``)."""

    lane = "set"
    rules = (BACKDATED,)

    def run(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        # Every (report, list page, crawl run) where the report URL was listed.
        grouped = (
            Report.id,
            Report.agency_id,
            Report.report_year,
            Report.published_on,
            ListSighting.list_url,
            ListSighting.crawl_run_id,
        )
        q = ctx.current_reports(
            select(*grouped, func.min(ListSighting.seen_at))
            .join(ListSighting, ListSighting.url == Report.source_url)
            .where(Report.published_on.is_not(None))
            .group_by(*grouped)
        )
        listed: dict[tuple[int, str], _Listing] = {}
        for (
            rid,
            agency_id,
            year,
            claimed,
            list_url,
            run_id,
            seen,
        ) in ctx.session.execute(q):
            entry = listed.setdefault(
                (rid, list_url), _Listing(agency_id, year, claimed, seen)
            )
            entry.runs.add(run_id)
            entry.first = min(entry.first, seen)
        if not listed:
            return
        crawls = self._crawls(ctx, {lu for _, lu in listed})
        for (rid, list_url), entry in sorted(listed.items()):
            misses = [
                (at, run)
                for run, at in crawls.get(list_url, [])
                if run not in entry.runs
                and at < entry.first
                and (d := china_date(at)) is not None
                and d > entry.claimed
            ]
            if not misses:
                continue
            at, run = min(misses)
            info = ctx.agencies.get(entry.agency_id)
            evidence = {
                "published_on": entry.claimed.isoformat(),
                "list_url": list_url,
                "crawl_run_id": run,
                "crawled_at": local_time(at),
                "first_listed_at": local_time(entry.first),
                "crawls_without_report": len(misses),
            }
            yield BACKDATED.draft(
                site_id=info.site_id if info else None,
                agency_id=entry.agency_id,
                report_id=rid,
                report_year=entry.year,
                key=list_url,
                evidence=evidence,
                year=entry.year,
                claimed=entry.claimed.isoformat(),
                crawled=short_time(at),
                listed=short_time(entry.first),
            )

    @staticmethod
    def _crawls(
        ctx: CheckContext, list_urls: set[str]
    ) -> dict[str, list[tuple[int, datetime]]]:
        """``list URL → [(crawl run, when it was read)]`` for the given list pages."""
        out: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
        for urls in chunked(sorted(list_urls)):
            q = (
                select(
                    ListSighting.list_url,
                    ListSighting.crawl_run_id,
                    func.min(ListSighting.seen_at),
                )
                .where(
                    ListSighting.list_url.in_(urls),
                    ListSighting.crawl_run_id.is_not(None),
                )
                .group_by(ListSighting.list_url, ListSighting.crawl_run_id)
            )
            for list_url, run, at in ctx.session.execute(q):
                out[list_url].append((run, at))
        return out
