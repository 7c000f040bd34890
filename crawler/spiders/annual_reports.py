"""The one spider: every configured site's 年报 column(s), read through the site's CMS family adapter.

List pages give entries (recorded as list sightings), sub-columns (descended) and the next page
(followed while the page still shows entries not seen in an earlier run; page one is always
read). Report entries are fetched as details as the revisit policy says (``crawler.revisit``):
new ones plainly, known ones not at all within ``revisit_days``, older ones conditionally. The
storage pipeline ingests them and asks ``attachment_requests`` for files to follow.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from collections.abc import Set as AbstractSet
from typing import Any
from urllib.parse import urldefrag

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.adapters import AdapterRegistry
from crawler.audit import CrawlAudit, PageAudit
from crawler.context import CrawlContext, utcnow
from crawler.discovery import ListEntry, wanted
from crawler.items import FetchedDocument
from crawler.middlewares.landing import RedirectRejected, too_many_redirects
from crawler.middlewares.waf import BlockedByChallenge
from crawler.revisit import FetchState
from crawler.soft404 import soft_404

log = logging.getLogger(__name__)
MAX_COLUMN_DEPTH = 3  # column root → year → category → (list)
DETAIL_PRIORITY = 10  # details before more list pages: reports arrive early, lists stay cheap


class AnnualReportsSpider(Spider):
    """Crawl 政府信息公开年报 columns of the configured sites (see module docstring)."""

    name = "annual_reports"
    context: CrawlContext
    adapters: AdapterRegistry
    audit: CrawlAudit

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> AnnualReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.context = CrawlContext.of(crawler)
        spider.adapters = AdapterRegistry.from_paths(spider.context.settings.crawler.adapter_paths)
        spider.audit = CrawlAudit(spider.context)
        # Offsite filtering (redirects included) by host; each link is also checked against its own site.
        spider.allowed_domains = spider.context.all_allowed_hosts()
        return spider

    # Start ------------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        for request in self.start_requests_list():
            yield request

    def start_requests_list(self) -> Iterator[Request]:
        ctx = self.context
        ctx.start()
        if ctx.shared is not None:
            return  # a distributed crawl's worker: the coordinator seeded the shared queue
        if ctx.url:
            yield from self._single_url_requests(ctx.url)
            return
        for site in ctx.sites:
            for url in site.start_urls:
                yield self.list_request(url, site.id, site.cms, page_index=0, depth=0, column_url=url, is_start=True)

    def _single_url_requests(self, url: str) -> Iterator[Request]:
        site = self.context.sites[0]
        seen = self.context.known.last_sighting(url)
        hints = {"title": seen.title, "list_date": seen.list_date} if seen else {}
        yield self.detail_request(ListEntry(url, hints.get("title") or "", hints.get("list_date")), site.id, site.cms)

    # Requests ----------------------------------------------------------------------------------
    def list_request(
        self,
        url: str,
        site_id: str,
        cms: str,
        *,
        page_index: int,
        depth: int,
        column_url: str,
        is_start: bool = False,
        template: Request | None = None,
    ) -> Request:
        """A list page of ``site_id``; ``cms`` is the family hint (the page's markers may override it),
        or, with ``template`` (the next page an adapter built), the family that reads it."""
        meta = {
            "site_id": site_id,
            "cms": cms,
            "kind": "list",
            "page_index": page_index,
            "column_depth": depth,
            "column_url": column_url,
            "is_start": is_start,
        }
        if template is not None:  # an adapter-built request (POST window, API page): same family
            meta.update(template.meta)
            meta["family_fixed"] = True
            return template.replace(callback=self.parse_list, errback=self.on_error, meta=meta)
        if self.adapters.keeps_fragment(url):  # an SPA route (gkmlpt ``index#<catid>``): its own page
            meta["keep_fragment"] = True
            return Request(url, callback=self.parse_list, errback=self.on_error, meta=meta)
        return Request(urldefrag(url)[0], callback=self.parse_list, errback=self.on_error, meta=meta)

    def detail_request(
        self, entry: ListEntry, site_id: str, cms: str, *, list_url: str | None = None, known: FetchState | None = None
    ) -> Request:
        """A detail page; ``known``: the stored version to revalidate against (conditional request)."""
        meta = {
            "site_id": site_id,
            "cms": cms,
            "kind": "detail",
            "hints": {"title": entry.title, "list_date": entry.list_date},
            "list_url": list_url,
        }
        if known is not None:
            meta["revisit"] = known.validators()
        return Request(entry.url, callback=self.parse_detail, errback=self.on_error, meta=meta, priority=DETAIL_PRIORITY)

    def due_entries(
        self, site_id: str, entries: list[ListEntry], sighted: set[str], failed: AbstractSet[str] = frozenset()
    ) -> Iterator[tuple[ListEntry, FetchState | None]]:
        """The entries to request now, each with the stored version to revalidate (or None).

        Entries fetched within ``revisit_days`` are left out and counted (one query for all), but
        for those in ``failed`` (a file linked from the stored page failed last time): revalidated.
        """
        ctx = self.context
        states = ctx.known.fetch_states([e.url for e in entries], sighted) if ctx.mode == "crawl" and entries else {}
        for entry in entries:
            state = states.get(entry.url)
            decision = ctx.revisit.decide(state)
            if decision == "skip" and entry.url in failed:
                decision = "revalidate"
            if decision == "skip":
                ctx.counters.not_due[site_id] += 1
                continue
            yield entry, state if decision == "revalidate" else None

    def attachment_requests(self, document: FetchedDocument, links: Iterable[ListEntry]) -> list[Request]:
        """Requests for files linked from ``document`` (the Referer is the page: VSB insists)."""
        site = self.context.site(document.site_id)
        out = []
        allowed = [link for link in links if self.context.site_allows(site, link.url)]
        for link, known in self.due_entries(site.id, allowed, set()):
            meta = {
                "site_id": document.site_id,
                "cms": site.cms,
                "kind": "attachment",
                "hints": {k: v for k, v in document.hints.items() if k in ("title", "list_date")},
                "link_text": link.title,
                "parent_url": document.url,
            }
            if known is not None:
                meta["revisit"] = known.validators()
            out.append(
                Request(
                    link.url,
                    callback=self.parse_detail,
                    errback=self.on_error,
                    meta=meta,
                    headers={"Referer": document.url},
                    priority=DETAIL_PRIORITY + 1,
                )
            )
        return out

    # Lists -------------------------------------------------------------------------------------
    def parse_list(self, response: Response) -> Iterator[Request]:
        """Read a list page (``read_list``); what became of each entry is recorded with the page's
        sightings in one write on the writer thread (``crawler.audit``): only later runs read them."""
        audit = self.audit.page(response)
        for request in self.read_list(response, audit):
            if self.audit.admit(audit, request):
                yield request
        self.audit.record(audit)

    def read_list(self, response: Response, audit: PageAudit) -> Iterator[Request]:
        ctx = self.context
        meta = response.meta
        site = ctx.site(meta["site_id"])
        if ctx.is_blocked(site.id):
            audit.status, audit.detail = "blocked", "the site was blocked earlier in the run"
            return
        gone = _page_not_found(response)
        if gone:  # a column that is gone, answered with 200
            audit.status, audit.detail = "gone", gone
            ctx.record_error(site.id, _listed_url(response), "gone", gone)
            return
        family = self._family_of(response, site.cms)
        adapter = self.adapters.get(family)
        page = adapter.parse_list(response, site)
        audit.read(page, family)
        pages_read = ctx.count_page(site.id)

        entries = [e for e in page.entries if ctx.site_allows(site, e.url)]
        known, failed = ctx.known.known_and_failed([e.url for e in entries], ctx.run_id) if entries else (set(), set())
        for entry, stored in self.due_entries(site.id, [e for e in entries if self._wanted(e)], known, failed):
            yield self.detail_request(entry, site.id, family, list_url=response.url, known=stored)

        depth = int(meta.get("column_depth", 0))
        if depth < MAX_COLUMN_DEPTH:
            for sub in page.subcolumns:
                if ctx.site_allows(site, sub.url):  # each sub-column is read by the family that fits it
                    yield self.list_request(sub.url, site.id, site.cms, page_index=0, depth=depth + 1, column_url=sub.url)

        if page.next_page is None:
            return
        shell = bool(page.next_page.meta.get("list_state", {}).get("shell"))
        index = int(meta.get("page_index", 0)) + (0 if shell else 1)
        unknown = [e for e in entries if e.url not in known]
        column_url = meta.get("column_url", response.url)
        if pages_read >= ctx.settings.crawler.max_pages_per_site:
            audit.pagination = "max_pages"
            log.warning("site %s: max_pages_per_site reached, pagination stopped", site.id)
        elif ctx.mode == "recrawl" or shell or unknown or (not entries and index <= 1) or self._unstored_beyond(site.id, column_url):
            yield self.list_request(page.next_page.url, site.id, family, page_index=index, depth=depth, column_url=column_url, template=page.next_page)
        else:
            audit.pagination = "stopped_known"
            ctx.counters.stopped_early[site.id] += 1
            log.info("site %s: %s holds only known entries; pagination stops", site.id, response.url)

    def _unstored_beyond(self, site_id: str, column_url: str) -> bool:
        """Whether the column listed, on an earlier run, an entry whose document was never stored
        (its fetch failed, the raw store refused it) that this run has not asked for yet: it may
        lie on a later page (entries move down as new ones come), so pagination goes on."""
        pending = self.context.known.unstored_in_column(site_id, column_url, self.context.run_id) - self.audit.requested
        if pending:
            log.info("site %s: %d entries not stored on an earlier run not reached yet; pagination goes on", site_id, len(pending))
        return bool(pending)

    def _family_of(self, response: Response, configured: str) -> str:
        """The family that reads this list page. A page an adapter asked for (next page, API page,
        POST window) stays with it; any other page is judged by its own markers, the site's
        ``cms`` being the default they override only without ambiguity (``family_of_page``)."""
        meta = response.meta
        if meta.get("family_fixed") and meta.get("cms") in self.adapters.adapters:
            return str(meta["cms"])
        family = self.adapters.family_of_page(response, configured)
        site_id = meta["site_id"]
        if site_id not in self.context.families:  # the summary shows the family of the first page
            self.context.families[site_id] = family
        if family != configured:  # an override of the configured family is worth a line; auto choices are not
            log.log(logging.DEBUG if configured == "auto" else logging.INFO, "site %s: %s read as %s", site_id, response.url, family)
        return family

    def _wanted(self, entry: ListEntry) -> bool:
        """Every listed article but clear non-reports, of the requested year in a year-restricted recrawl."""
        return wanted(entry, self.context.year)

    # Details -----------------------------------------------------------------------------------
    def parse_detail(self, response: Response) -> Iterator[FetchedDocument]:
        meta = response.meta
        site_id = meta["site_id"]
        is_attachment = meta.get("kind") == "attachment"
        attachments = [] if is_attachment or meta.get("unchanged") else self.adapters.get(meta.get("cms") or "generic").attachments(response)
        # A deleted document answered with 200: an error like a 404, nothing to store. A page
        # that links a document is never taken for one (recall first).
        gone = None if attachments else _page_not_found(response)
        if gone:
            self.context.record_error(site_id, _listed_url(response), "gone", gone)
            return
        redirected = meta.get("redirect_urls")
        if redirected and meta.get("kind") == "detail":
            # The listed URL leads elsewhere now: remember where, so the next run knows it by the
            # document stored under the target.
            hints = meta.get("hints") or {}
            target = ListEntry(response.url, hints.get("title") or "", hints.get("list_date"))
            self.context.known.record_redirect(self.context.run_id, site_id, redirected[0], target, utcnow())
        doc = FetchedDocument(
            url=response.url,
            site_id=site_id,
            status=response.status,
            hints=dict(meta.get("hints") or {}),
            unchanged=bool(meta.get("unchanged")),
            is_attachment=is_attachment,
        )
        if doc.unchanged:
            yield doc
            return
        doc.body = response.body
        doc.headers = _flat_headers(response)
        if isinstance(response, TextResponse):
            doc.encoding = response.encoding
        if not doc.is_attachment:
            doc.attachments = attachments
        else:
            doc.hints.setdefault("attachment_name", meta.get("link_text") or "")
        yield doc

    def closed(self, reason: str) -> None:
        self.context.stop_writer()  # queued sightings written before the crawl ends

    # Errors ------------------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> Iterator[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        site_id = request.meta.get("site_id")
        ctx = self.context
        self.audit.list_failed(request, failure)  # a list page that did not answer: in the audit too
        if failure.check(BlockedByChallenge, RedirectRejected):
            return  # recorded by the WAF detector / the redirect landing check
        if failure.check(HttpError):  # before IgnoreRequest: HttpError is one
            response = failure.value.response  # type: ignore[attr-defined]
            fallback = (request.meta.get("list_state") or {}).get("fallback")
            if response.status == 404 and request.meta.get("kind") == "list" and (request.meta.get("list_state") or {}).get("missing_ok"):
                # A page past the end that a platform answers with 404 (gkmlpt categories served whole).
                log.info("site %s: %s is 404: the list ends before it", site_id, request.url)
                return
            if response.status == 404 and request.meta.get("kind") == "list" and fallback:
                # A guessed next-page URL (TRS numbering): try the other numbering once.
                log.info("site %s: %s is 404, trying %s", site_id, request.url, fallback["url"])
                state = {"trs_offset": fallback["trs_offset"]}
                template = Request(fallback["url"], meta={"list_state": state})
                yield self.list_request(
                    fallback["url"], site_id, request.meta.get("cms") or "trs",
                    page_index=int(request.meta.get("page_index", 0)), depth=int(request.meta.get("column_depth", 0)),
                    column_url=request.meta.get("column_url") or request.url, template=template,
                )  # fmt: skip
                return
            ctx.record_error(site_id, request.url, "http", f"HTTP {response.status}")
            return
        if failure.check(IgnoreRequest):
            message = str(failure.value)
            chain = too_many_redirects(request, failure)
            if chain:
                ctx.record_error(site_id, _listed_url(request), "redirect", chain)
                return
            if "robots.txt" in message:
                if request.meta.get("is_start"):
                    # A seed we may not fetch is shown as blocked, never skipped silently.
                    ctx.record_error(site_id, request.url, "blocked", "robots.txt forbids the start URL")
                    if ctx.count_forbidden_start(site_id) >= len(ctx.site(site_id).start_urls):
                        ctx.block(site_id, "robots.txt forbids every start URL")
                else:
                    ctx.record_error(site_id, request.url, "robots", "forbidden by robots.txt: not fetched")
            return
        ctx.record_error(site_id, request.url, "network", f"{failure.type.__name__}: {failure.getErrorMessage()}")


def _page_not_found(response: Response) -> str | None:
    """Why an HTML page answered 200 is an error page saying "not found" (``crawler.soft404``)."""
    if response.status != 200 or not isinstance(response, HtmlResponse):
        return None
    return soft_404(response.selector)


def _listed_url(r: Request | Response) -> str:
    """The URL the crawl asked for before any redirect: the one its errors are recorded under."""
    chain = r.meta.get("redirect_urls")
    return str(chain[0]) if chain else r.url


def _flat_headers(response: Response) -> dict[str, str]:
    """Response headers as stored with the raw document (lower-case names, last value; no cookies)."""
    out: dict[str, str] = {}
    for name, values in response.headers.items():
        key = name.decode("latin-1").lower()
        if key == "set-cookie" or not values:
            continue
        out[key] = values[-1].decode("latin-1")
    return out

