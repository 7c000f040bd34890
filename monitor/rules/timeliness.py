"""Timeliness: a report missing after its deadline (``missing_year``) or published late (``late``).

Deadlines come from ``DeadlineCalendar`` (level, region, report year, holiday shifts). A report
is on time if its publication date is on or before the deadline. Without a publication date, our
own first sighting is an upper bound for it — but it proves lateness only if we were already
watching the site's lists before the deadline passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import case, func, or_, select, true

from core.agencies import UNNAMED_AGENCY
from monitor.context import AgencyInfo, CheckContext
from monitor.deadlines import Deadline
from monitor.rules.base import FindingDraft, Rule
from core.china_time import china_date, local_time
from storage.models import CrawlRun, ListSighting, RawDocument, Report

MISSING = Rule(
    "missing_year",
    "missing_year",
    "error",
    "截至 {as_of}，未发现{agency}{year}年度政府信息公开工作年度报告（{level}，截止日期 {deadline}{shift}）",
    "年度报告应在截止日期前发布",
)
LATE = Rule(
    "late",
    "late",
    "error",
    "{year}年度报告{when}，晚于{level}截止日期 {deadline}{shift}，逾期 {days} 天",
    "年度报告应在截止日期前发布",
)

DATE_SOURCES = {
    "page_meta": "页面标注的发布日期",
    "list_page": "栏目列表中的日期",
    "url_path": "网址中的日期",
    "text_signature": "正文落款日期",
    "http_last_modified": "服务器 Last-Modified 时间",
    "given": "导入时指定的日期",
}


def shift_text(deadline: Deadline) -> str:
    if deadline.due != deadline.statutory:
        return f"，原为 {deadline.statutory.isoformat()}，因节假日顺延"
    return ""


class TimelinessCheck:
    """``missing_year`` for every expected agency-year that is due; ``late`` for late reports."""

    lane = "set"
    rules = (MISSING, LATE)

    def run(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        watched_since = self._watched_since(ctx)
        order = (Report.agency_id, Report.report_year, Report.id)
        # Every current report's year (for missing_year): a narrow read, no dates.
        years_q = ctx.current_reports(
            select(Report.id, Report.agency_id, Report.report_year).order_by(*order)
        ).execution_options(yield_per=5000)
        # Only reports that may be late are read whole (the same order: merged below).
        late_q = ctx.current_reports(
            select(
                Report.id,
                Report.published_on,
                Report.published_source,
                Report.first_seen,
                RawDocument.origin,
            )
            .join(RawDocument, RawDocument.id == Report.raw_document_id, isouter=True)
            .where(self._may_be_late(ctx))
            .order_by(*order)
        ).execution_options(yield_per=5000)
        done: set[int] = set()
        agencies = ctx.agencies
        conn = ctx.session.connection()  # Core: plain rows, no ORM overhead
        rows_by_agency = conn.execute(years_q)
        candidates = iter(conn.execute(late_q))
        candidate = next(candidates, None)
        for agency_id, rows in groupby(rows_by_agency, key=lambda r: r[1]):
            info = agencies.get(agency_id)
            if info is not None and info.name == UNNAMED_AGENCY:
                info = None  # which body's deadline, or which years it owes, is unknown (rules/unnamed.py)
            years: set[int] = set()
            for rid, _, year in rows:
                years.add(year)
                if candidate is None or candidate[0] != rid:
                    continue
                _, published_on, source, first_seen, origin = candidate
                candidate = next(candidates, None)
                if info is not None and year >= self._start(ctx, info):
                    yield from self._late(
                        ctx,
                        info,
                        rid,
                        year,
                        published_on,
                        source,
                        first_seen,
                        origin,
                        watched_since,
                    )
            if info is None:
                continue
            done.add(agency_id)
            yield from self._missing(ctx, info, years)
        for agency_id, info in agencies.items():
            if info.expected and agency_id not in done:
                yield from self._missing(ctx, info, set())

    # ------------------------------------------------------------------------------------
    @staticmethod
    def _start(ctx: CheckContext, info: AgencyInfo) -> int:
        return max(ctx.settings.monitor.first_year, info.first_year or 0)

    @staticmethod
    def _may_be_late(ctx: CheckContext) -> Any:
        """Reports not published by the earliest effective deadline of their year (over every
        level and region in scope), or with no publication date: a superset of the late ones,
        so that the usual on-time report is dismissed in SQL."""
        pairs = {(info.level, info.region) for info in ctx.agencies.values()}
        years = range(ctx.settings.monitor.first_year, ctx.as_of.year + 1)
        if not pairs or not years:
            return true()
        earliest = {
            year: min(ctx.calendar.deadline(year, lvl, reg).effective for lvl, reg in pairs)
            for year in years
        }
        return or_(
            Report.published_on.is_(None),
            Report.report_year.not_in(list(earliest)),  # years no check starts from: kept
            Report.published_on > case(earliest, value=Report.report_year),
        )

    @staticmethod
    def _watched_since(ctx: CheckContext) -> dict[str, date]:
        """The first day we saw each site's lists: from then on, our first sighting means something."""
        since: dict[str, date] = {}

        def note(site: str, seen: datetime | None) -> None:
            d = china_date(seen)
            if d is not None and (site not in since or d < since[site]):
                since[site] = d

        q = select(ListSighting.site_id, func.min(ListSighting.seen_at)).group_by(
            ListSighting.site_id
        )
        for site, seen in ctx.session.execute(q):
            note(site, seen)
        runs = select(CrawlRun.sites, CrawlRun.started_at).where(
            CrawlRun.kind.in_(("crawl", "recrawl")), CrawlRun.status != "failed"
        )
        for sites, started in ctx.session.execute(runs):
            for site in sites or ():
                note(site, started)
        return since

    def _missing(
        self, ctx: CheckContext, info: AgencyInfo, years: set[int]
    ) -> Iterator[FindingDraft]:
        for year in range(self._start(ctx, info), ctx.as_of.year):
            if year in years:
                continue
            deadline = ctx.calendar.deadline(year, info.level, info.region)
            if ctx.as_of <= deadline.effective:  # not yet due: never missing
                continue
            evidence = {
                **deadline.as_evidence(),
                "as_of": ctx.as_of.isoformat(),
                "grace_days": ctx.settings.monitor.grace_days,
            }
            yield MISSING.draft(
                site_id=info.site_id,
                agency_id=info.id,
                report_year=year,
                evidence=evidence,
                as_of=ctx.as_of.isoformat(),
                agency=info.name,
                year=year,
                deadline=deadline.due.isoformat(),
                level=deadline.level_label,
                shift=shift_text(deadline),
            )

    def _late(
        self,
        ctx: CheckContext,
        info: AgencyInfo,
        report_id: int,
        year: int,
        published_on: date | None,
        source: str | None,
        first_seen: datetime | None,
        origin: str | None,
        watched_since: dict[str, date],
    ) -> Iterator[FindingDraft]:
        deadline = ctx.calendar.deadline(year, info.level, info.region)
        if published_on is not None:
            # The common case, decided before any evidence is built.
            if published_on <= deadline.effective:
                return
            when = f"于 {published_on.isoformat()} 发布（依据：{DATE_SOURCES.get(source or '', source or '未知')}）"
            days = (published_on - deadline.due).days
            basis: dict[str, Any] = {"date_basis": "published_on"}
        else:
            seen = china_date(first_seen)
            since = watched_since.get(info.site_id)
            # A first sighting proves lateness only when we were already watching before the deadline.
            if (
                seen is None
                or origin == "import"
                or since is None
                or since > deadline.effective
                or seen <= deadline.effective
            ):
                return
            when = f"未标明发布日期，本系统首次发现于 {seen.isoformat()}（自 {since.isoformat()} 起监测该网站）"
            days = (seen - deadline.due).days
            basis = {"date_basis": "first_seen", "watched_since": since.isoformat()}
        evidence: dict[str, Any] = {
            **deadline.as_evidence(),
            "grace_days": ctx.settings.monitor.grace_days,
            "published_on": published_on.isoformat() if published_on else None,
            "published_source": source,
            "published_source_label": DATE_SOURCES.get(source or "", source),
            "first_seen": local_time(first_seen),
            **basis,
        }
        evidence["days_late"] = days
        yield LATE.draft(
            site_id=info.site_id,
            agency_id=info.id,
            report_id=report_id,
            report_year=year,
            evidence=evidence,
            year=year,
            when=when,
            deadline=deadline.due.isoformat(),
            level=deadline.level_label,
            shift=shift_text(deadline),
            days=days,
        )
