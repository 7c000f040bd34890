"""The crawl audit: what became of every entry of every list page, so an operator can see why a
report was not found without reading logs (``nianbao audit``; docs/crawling.md, "The crawl audit").

For each list page the spider reads, a ``PageAudit`` notes the entries its adapter listed, the
links it dropped, the detail requests the page made and whether pagination went on; at the end of
the page it becomes one ``list_page_visits`` row and one ``list_sightings`` row per entry with a
decision (``followed`` / ``skipped``) and a reason, written in one transaction on the crawl's
writer thread (``KnownDocuments.record_list_page``). A list page that fails is recorded the same
way, with no entries. What happened to a followed entry afterwards (robots.txt, a WAF challenge,
an HTTP error, the document and what the parser made of it) is read from the run's other records
(``crawl_errors``, ``raw_documents``, ``reports``) by ``storage.crawl_audit``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.discovery import ListEntry, unwanted_reason
from crawler.middlewares.landing import RedirectRejected, too_many_redirects
from crawler.middlewares.waf import BlockedByChallenge
from crawler.run_record import utcnow

if TYPE_CHECKING:
    from crawler.adapters.base import ListPage
    from crawler.context import CrawlContext

# Reasons recorded with a sighting's decision. Followed: ``fetch`` (asked for plainly),
# ``revalidate`` (asked for conditionally). Skipped: the others.
FOLLOWED_REASONS = ("fetch", "revalidate")
SKIPPED_REASONS = ("offsite", "excluded_title", "other_year", "duplicate", "not_due")
DROPPED_LINKS = 50  # links an adapter dropped, kept per page (the counts are always complete)


@dataclass
class PageAudit:
    """What one list page listed and what the crawl did with it (see the module docstring)."""

    run_id: int | None
    site_id: str
    url: str
    column_url: str
    page_index: int
    depth: int
    seen_at: datetime
    family: str | None = None
    status: str = "read"  # read|blocked|failed|robots|moved|redirect|gone|end|fallback|ignored
    detail: str = ""
    entries: list[ListEntry] = field(default_factory=list)
    subcolumns: int = 0
    dropped: list[tuple[ListEntry, str]] = field(default_factory=list)
    pagination: str | None = None  # end|followed|stopped_known|max_pages
    # request URL of a listed entry -> what its requests became, in order (fetch|revalidate|duplicate)
    requests: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, request: Request, run_id: int | None, url: str | None = None) -> PageAudit:
        meta = request.meta
        return cls(
            run_id=run_id,
            site_id=meta["site_id"],
            url=url or request.url,
            column_url=meta.get("column_url") or request.url,
            page_index=int(meta.get("page_index", 0)),
            depth=int(meta.get("column_depth", 0)),
            seen_at=utcnow(),
            family=meta.get("cms"),
        )

    def read(self, page: ListPage, family: str) -> None:
        """The adapter's reading of the page."""
        self.family = family
        self.entries = list(page.entries)
        self.subcolumns = len(page.subcolumns)
        self.dropped = list(page.dropped)
        self.pagination = "end" if page.next_page is None else None

    def note_request(self, request: Request, requested: set[str]) -> bool:
        """Note a request the page made; False for a detail URL already requested in this run
        (a duplicate: not passed on, as Scrapy's duplicate filter would drop it unseen)."""
        kind = request.meta.get("kind")
        if kind == "detail":
            if request.url in requested:
                self.requests[request.url].append("duplicate")
                return False
            requested.add(request.url)
            self.requests[request.url].append("revalidate" if request.meta.get("revisit") else "fetch")
        elif kind == "list" and int(request.meta.get("column_depth", 0)) == self.depth and not self.pagination:
            self.pagination = "followed"
        return True

    def decisions(self, allows: Callable[[str], bool], year: int | None, requested: AbstractSet[str] = frozenset()) -> list[tuple[ListEntry, str, str]]:
        """(entry, decision, reason) for every listed entry, in list order; ``requested``: the
        detail URLs requested in this run (one fetched already is not due again: a duplicate)."""
        pending = {url: list(reasons) for url, reasons in self.requests.items()}
        out = []
        for entry in self.entries:
            if not allows(entry.url):
                out.append((entry, "skipped", "offsite"))
                continue
            unwanted = unwanted_reason(entry, year)
            if unwanted:
                out.append((entry, "skipped", unwanted))
                continue
            key = _request_url(entry.url)
            made = pending.get(key)
            # due_entries leaves out only what is not due; fetched in this very run, it is a duplicate
            reason = made.pop(0) if made else ("duplicate" if key in requested else "not_due")
            out.append((entry, "followed" if reason in FOLLOWED_REASONS else "skipped", reason))
        return out

    def rows(
        self, allows: Callable[[str], bool], year: int | None, requested: AbstractSet[str] = frozenset()
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The ``list_page_visits`` row and the ``list_sightings`` rows of the page."""
        counts: dict[str, int] = defaultdict(int)
        links = []
        for link, why in self.dropped:
            counts[why] += 1
            if why == "navigation" and len(links) < DROPPED_LINKS:
                links.append({"url": link.url[:500], "title": (link.title or "")[:100], "reason": why})
        visit = {
            "crawl_run_id": self.run_id,
            "site_id": self.site_id,
            "url": self.url[:2000],
            "column_url": self.column_url[:2000],
            "page_index": self.page_index,
            "depth": self.depth,
            "family": self.family,
            "status": self.status,
            "detail": self.detail[:500],
            "entries": len(self.entries),
            "subcolumns": self.subcolumns,
            "pagination": self.pagination if self.status == "read" else None,
            "dropped": {"counts": dict(counts), "links": links} if counts else {},
            "at": self.seen_at,
        }
        sightings = [
            {
                "crawl_run_id": self.run_id,
                "site_id": self.site_id,
                "list_url": self.url[:2000],
                "url": entry.url[:2000],
                "title": (entry.title or "")[:500],
                "list_date": entry.list_date,
                "seen_at": self.seen_at,
                "decision": decision,
                "reason": reason,
            }
            for entry, decision, reason in self.decisions(allows, year, requested)
        ]
        return visit, sightings


class CrawlAudit:
    """The crawl's audit recorder: one per spider (it remembers the detail URLs requested)."""

    def __init__(self, context: CrawlContext) -> None:
        self.context = context
        self.requested: set[str] = set()

    def page(self, response: Response) -> PageAudit:
        return PageAudit.of(response.request or Request(response.url, meta=response.meta), self.context.run_id, response.url)

    def admit(self, audit: PageAudit, request: Request) -> bool:
        return audit.note_request(request, self.requested)

    def record(self, audit: PageAudit) -> None:
        """Write the page's visit and sightings later, on the writer thread (one transaction)."""
        ctx = self.context
        site = ctx.site(audit.site_id)
        visit, sightings = audit.rows(lambda url: ctx.site_allows(site, url), ctx.year, self.requested)
        ctx.write_later(ctx.known.record_list_page, visit, sightings)

    def list_failed(self, request: Request, failure: Failure) -> None:
        """Record a list page that did not answer with a list (see ``failure_status``)."""
        if request.meta.get("kind") != "list" or not request.meta.get("site_id"):
            return
        audit = PageAudit.of(request, self.context.run_id)
        audit.status, audit.detail = failure_status(request, failure)
        self.record(audit)


def failure_status(request: Request, failure: Failure) -> tuple[str, str]:
    """(status, detail) of a list request that failed, as the spider's error handler treats it."""
    if failure.check(BlockedByChallenge):
        return "blocked", str(failure.value)
    if failure.check(RedirectRejected):
        return "moved", str(failure.value)
    if failure.check(HttpError):
        status = failure.value.response.status  # type: ignore[attr-defined]
        state = request.meta.get("list_state") or {}
        if status == 404 and state.get("missing_ok"):
            return "end", "HTTP 404: the platform ends the list here"
        if status == 404 and state.get("fallback"):
            return "fallback", f"HTTP 404: tried {state['fallback']['url']}"
        return "failed", f"HTTP {status}"
    chain = too_many_redirects(request, failure)
    if chain:
        return "redirect", chain
    if failure.check(IgnoreRequest):
        message = str(failure.value)
        return ("robots", "forbidden by robots.txt") if "robots.txt" in message else ("ignored", message)
    return "failed", f"{failure.type.__name__}: {failure.getErrorMessage()}"


def _request_url(url: str) -> str:
    """``url`` as a Scrapy request spells it (percent-encoded): how detail requests are keyed."""
    try:
        return Request(url).url
    except ValueError:
        return url
