"""Reading the crawl audit: per list page of a run, what was seen, followed, skipped (and why), and
what came of it; and the whole story of one link. Only reads what the crawl recorded
(``list_page_visits``, ``list_sightings`` with decisions, ``crawl_errors``, ``raw_documents``,
``reports``); written by ``crawler.audit``. Used by ``nianbao audit`` and the monitor's checks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.china_time import local_time
from storage.models import Agency, CrawlError, CrawlRun, ListPageVisit, ListSighting, RawDocument, Report

CRAWL_KINDS = ("crawl", "recrawl", "demo")
# What became of a followed entry, in the order tables show them.
FATES = ("report", "not_report", "unsupported_format", "failed", "queued", "fetch_error", "not_fetched")
# Followed at list time, refused before any fetch: counted as skipped, with this reason.
REFUSED = {"robots": "robots", "blocked": "blocked"}
SKIP_REASONS = ("offsite", "excluded_title", "other_year", "duplicate", "not_due", "robots", "blocked")
_REPORT_OUTCOMES = ("new", "changed", "unchanged")

# For compliance officers: why a link was or was not fetched, and what it became.
REASON_TEXT = {
    "fetch": "新链接，已抓取",
    "revalidate": "已收录的链接，已按条件请求复查是否更新",
    "offsite": "链接指向本网站以外的地址，未抓取",
    "excluded_title": "标题表明不是年报本身（如解读、图解、编制通知），未抓取",
    "other_year": "按年度重新抓取时，标题中的年份不是所要的年度，未抓取",
    "duplicate": "同一链接在本次抓取中已经请求过，不再重复抓取",
    "not_due": "此前已抓取，未到复查时间（revisit_days），本次未再请求",
    "robots": "网站的 robots.txt 禁止抓取该链接",
    "blocked": "网站返回反爬虫验证（WAF），该网站本次抓取受阻",
}
FATE_TEXT = {
    "report": "已作为年报入库",
    "not_report": "已抓取，经解析不是年报",
    "unsupported_format": "已抓取并保存原件，格式暂不能读取",
    "failed": "已抓取，但解析或入库失败",
    "queued": "已抓取，等待解析入库",
    "fetch_error": "抓取出错（页面打不开或已删除）",
    "not_fetched": "未见抓取记录（抓取中断或被拦截）",
}
PAGE_STATUS_TEXT = {
    "read": "已读取",
    "failed": "列表页打不开",
    "blocked": "被反爬虫验证拦截",
    "robots": "robots.txt 禁止抓取",
    "moved": "被重定向到其他页面",
    "redirect": "重定向循环或次数过多，未到达页面",
    "gone": "页面显示“页面不存在”（返回 200 的错误页）",
    "end": "列表到此结束",
    "fallback": "改用另一种翻页地址",
    "ignored": "未抓取",
}


@dataclass
class EntryFate:
    """What one listed entry became in one run."""

    url: str
    title: str
    list_url: str
    decision: str | None
    reason: str | None
    fate: str | None = None  # FATES, for entries that were followed
    detail: str = ""
    report_ids: list[int] = field(default_factory=list)

    @property
    def skip_reason(self) -> str | None:
        """Why the entry brought nothing: its recorded reason, or robots/blocked found after."""
        if self.decision == "skipped":
            return self.reason
        if self.fate in REFUSED:
            return REFUSED[self.fate]
        return None


def runs_of_site(s: Session, site_id: str, limit: int | None = None) -> list[CrawlRun]:
    """The crawl runs that included ``site_id``, newest first."""
    q = select(CrawlRun).where(CrawlRun.kind.in_(CRAWL_KINDS)).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    out = []
    for run in s.scalars(q):
        if not run.sites or site_id in run.sites:
            out.append(run)
            if limit and len(out) >= limit:
                break
    return out


def entry_fates(s: Session, run: CrawlRun, site_id: str) -> tuple[list[ListPageVisit], list[EntryFate]]:
    """The run's list pages of ``site_id`` and every entry they listed, with what became of it."""
    visits = list(
        s.scalars(select(ListPageVisit).where(ListPageVisit.crawl_run_id == run.id, ListPageVisit.site_id == site_id).order_by(ListPageVisit.id))
    )
    pages = {v.url for v in visits}
    rows = s.execute(
        select(ListSighting.url, ListSighting.title, ListSighting.list_url, ListSighting.decision, ListSighting.reason)
        .where(ListSighting.crawl_run_id == run.id, ListSighting.site_id == site_id)
        .order_by(ListSighting.id)
    ).all()
    entries = [EntryFate(u, t, lu, d, r) for u, t, lu, d, r in rows if lu in pages]
    links: dict[str, list[str]] = defaultdict(list)  # a fetched page -> links followed from it (redirect, attachments)
    for u, _, lu, _, _ in rows:
        if lu not in pages and lu != u:
            links[lu].append(u)
    errors: dict[str, CrawlError] = {}
    for e in s.scalars(select(CrawlError).where(CrawlError.crawl_run_id == run.id, CrawlError.site_id == site_id).order_by(CrawlError.id)):
        errors.setdefault(e.url, e)
    resolver = _Resolver(s, run, site_id, links, errors)
    blocked = (run.stats or {}).get("blocked_reasons", {}).get(site_id)
    for entry in entries:
        if entry.decision != "followed":
            continue
        entry.fate, entry.detail, entry.report_ids = resolver.fate(entry.url)
        if entry.fate == "not_fetched" and blocked:
            entry.fate, entry.detail = "blocked", blocked
    return visits, entries


class _Resolver:
    """What one fetched URL became in a run: errors, stored documents, reports, followed links."""

    def __init__(self, s: Session, run: CrawlRun, site_id: str, links: dict[str, list[str]], errors: dict[str, CrawlError]) -> None:
        self.s, self.run, self.links, self.errors = s, run, links, errors
        self.docs: dict[str, RawDocument] = {}
        for doc in s.scalars(select(RawDocument).where(RawDocument.crawl_run_id == run.id, RawDocument.site_id == site_id).order_by(RawDocument.id)):
            self.docs[doc.url] = doc  # the newest version of the run wins

    def fate(self, url: str, depth: int = 0) -> tuple[str, str, list[int]]:
        err = self.errors.get(url)
        if err is not None and err.kind in REFUSED:
            return err.kind, err.detail, []
        doc = self.docs.get(url)
        if doc is None:
            doc = self._earlier(url)
            if doc is None:
                targets = self.links.get(url, [])
                if targets and depth < 3:  # a redirect: the document is stored under its target
                    return self.fate(targets[0], depth + 1)
                if err is not None:
                    return ("failed" if err.kind in ("parse", "storage") else "fetch_error"), f"{err.kind}: {err.detail}", []
                return "not_fetched", "", []
        reports = self._reports(doc)
        if reports:
            return "report", "", reports
        outcome = "queued" if doc.ingest_pending else (doc.ingest_outcome or "queued")
        if outcome in ("link_page", "not_report") and depth < 3:  # what its attachments became
            found = [self.fate(link, depth + 1) for link in self.links.get(doc.url, [])]
            for wanted in ("report", "queued", "unsupported_format", "failed"):
                hits = [f for f in found if f[0] == wanted]
                if hits:
                    return wanted, "via an attachment", [i for f in hits for i in f[2]]
        if outcome in _REPORT_OUTCOMES:
            outcome = "failed"  # filed as a report, yet no report row names it
        if outcome not in FATES:
            outcome = "not_report" if outcome == "link_page" else "failed"
        detail = f"{err.kind}: {err.detail}" if err is not None else ""
        return outcome, detail, []

    def _earlier(self, url: str) -> RawDocument | None:
        """A version stored by an earlier run and revalidated in this one (a 304)."""
        doc = self.s.scalars(select(RawDocument).where(RawDocument.url == url).order_by(RawDocument.fetched_at.desc(), RawDocument.id.desc()).limit(1)).first()
        if doc is not None and _aware(doc.fetched_at) >= _aware(self.run.started_at):
            return doc
        return None

    def _reports(self, doc: RawDocument) -> list[int]:
        if doc.ingest_pending or doc.ingest_outcome not in (*_REPORT_OUTCOMES, None):
            return []
        return list(self.s.scalars(select(Report.id).where(or_(Report.raw_document_id == doc.id, Report.source_url == doc.url)).order_by(Report.id)))


def page_summaries(visits: Iterable[ListPageVisit], entries: Iterable[EntryFate]) -> list[dict[str, Any]]:
    """Per list page: entries seen / followed / skipped by reason / what the followed became."""
    by_page: dict[str, list[EntryFate]] = defaultdict(list)
    for e in entries:
        by_page[e.list_url].append(e)
    out = []
    for v in sorted(visits, key=lambda v: (v.column_url, v.page_index, v.id)):
        listed = by_page.get(v.url, [])
        skipped = Counter(e.skip_reason for e in listed if e.skip_reason)
        fates = Counter(e.fate for e in listed if e.fate and not e.skip_reason)
        out.append(
            {
                "url": v.url,
                "column_url": v.column_url,
                "page_index": v.page_index,
                "depth": v.depth,
                "family": v.family,
                "status": v.status,
                "detail": v.detail,
                "seen": len(listed),
                "followed": sum(fates.values()),
                "skipped": dict(skipped),
                "outcomes": dict(fates),
                "pagination": v.pagination,
                "dropped": (v.dropped or {}).get("counts", {}),
                "subcolumns": v.subcolumns,
            }
        )
    return out


def site_audit(s: Session, site_id: str, run: CrawlRun) -> dict[str, Any]:
    """The audit of ``site_id`` in ``run``: its list pages and the totals."""
    visits, entries = entry_fates(s, run, site_id)
    pages = page_summaries(visits, entries)
    totals: dict[str, Any] = {"pages": len(pages), "seen": 0, "followed": 0, "skipped": Counter(), "outcomes": Counter()}
    for p in pages:
        totals["seen"] += p["seen"]
        totals["followed"] += p["followed"]
        totals["skipped"].update(p["skipped"])
        totals["outcomes"].update(p["outcomes"])
    totals["skipped"] = dict(totals["skipped"])
    totals["outcomes"] = dict(totals["outcomes"])
    return {"site": site_id, "run": run_info(run), "pages": pages, "totals": totals}


def run_info(run: CrawlRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "started_at": local_time(run.started_at),
        "finished_at": local_time(run.finished_at) if run.finished_at else None,
    }


def link_story(s: Session, site_id: str, url: str, runs: list[CrawlRun]) -> dict[str, Any]:
    """Everything recorded about ``url``: where and when it was listed, what was decided in each
    of ``runs`` (newest first), what was fetched, what the parser made of it, which report."""
    listed = []
    for run in runs:
        visits, entries = entry_fates(s, run, site_id)
        for e in entries:
            if e.url != url:
                continue
            why = e.skip_reason or e.reason
            listed.append(
                {
                    "run": run.id,
                    "run_status": run.status,
                    "seen_at": local_time(run.started_at),
                    "list_url": e.list_url,
                    "title": e.title,
                    "decision": "skipped" if e.skip_reason else e.decision,
                    "reason": why,
                    "outcome": None if e.skip_reason else e.fate,
                    "detail": e.detail,
                    "report_ids": e.report_ids,
                    "explanation": _explain(e),
                }
            )
    linked = list(s.execute(select(ListSighting.url).where(ListSighting.list_url == url, ListSighting.url != url).distinct()).scalars())
    fetched = [
        {
            "url": d.url,
            "run": d.crawl_run_id,
            "fetched_at": local_time(d.fetched_at),
            "http_status": d.http_status,
            "media_type": d.media_type,
            "size": d.size,
            "outcome": "queued" if d.ingest_pending else d.ingest_outcome,
        }
        for d in s.scalars(select(RawDocument).where(RawDocument.url.in_([url, *linked])).order_by(RawDocument.id))
    ]
    errors = [
        {"run": e.crawl_run_id, "at": local_time(e.at), "kind": e.kind, "detail": e.detail}
        for e in s.scalars(select(CrawlError).where(CrawlError.url == url).order_by(CrawlError.id))
    ]
    reports = [
        {"id": r.id, "agency": name, "report_year": r.report_year, "parse_status": r.parse_status, "source_url": r.source_url, "superseded": r.superseded}
        for r, name in s.execute(
            select(Report, Agency.name).join(Agency, Agency.id == Report.agency_id).where(Report.source_url.in_([url, *linked])).order_by(Report.id)
        )
    ]
    return {"site": site_id, "url": url, "listed": listed, "links": linked, "fetched": fetched, "errors": errors, "reports": reports}


def _explain(e: EntryFate) -> str:
    """The Chinese sentence an officer reads about one entry in one run."""
    reason = e.skip_reason
    if reason:
        return REASON_TEXT.get(reason, reason)
    first = REASON_TEXT.get(e.reason or "", "")
    fate = FATE_TEXT.get(e.fate or "", "")
    return "；".join(t for t in (first, fate) if t)


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns: they were stored as UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
