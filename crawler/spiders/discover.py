"""The ``discover`` spider: from a portal's home (or 政府信息公开) page to its 年报 column(s).

It fetches one page at a time what ``crawler.column_search.ColumnSearch`` names, with the project's
Scrapy settings (robots.txt, delays, AutoThrottle, retries, charset repair all apply) and none of
the crawl's storage: no pipeline, no run record, no database. Anti-bot challenges are recognised
with the WAF detector's rules and reported, never parsed. A platform category (``/gkmlpt/index#<catid>``)
is judged by its list API's first page (``crawler.platform_shell``).
``scrapy crawl discover -a url=… -a max_pages=…`` runs it too; ``crawler.discover`` is the API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.adapters import detect_family
from crawler.column_search import Candidate, ColumnSearch
from crawler.middlewares.waf import challenge_reason
from crawler.platform_shell import api_titles

DEFAULT_MAX_PAGES = 30


class DiscoverSpider(Spider):
    """Best-first search for 政府信息公开年报 columns (see module docstring)."""

    name = "discover"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "NIANBAO_RUN_RECORDING": False,  # the crawl's run record, WAF and redirect checks keep
        "NIANBAO_WAF_DETECTION": False,  # per-site state in the database; discovery has neither
        "NIANBAO_REDIRECT_CHECK": False,
        "JOBDIR": None,
        "CONCURRENT_REQUESTS": 1,
    }

    def __init__(self, url: str, max_pages: int | str = DEFAULT_MAX_PAGES, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.search = ColumnSearch(url, int(max_pages))

    async def start(self) -> AsyncIterator[Request]:
        for request in self._next():
            yield request

    def _next(self) -> Iterator[Request]:
        cand = self.search.next_candidate()
        if cand is not None:
            yield Request(cand.fetch_url or cand.url, callback=self.parse_page, errback=self.on_error, meta={"candidate": cand}, dont_filter=True)

    def parse_page(self, response: Response) -> Iterator[Request]:
        cand: Candidate = response.meta["candidate"]
        if not isinstance(response, TextResponse) and not cand.fetch_url:
            kind = response.headers.get(b"Content-Type", b"").decode("latin-1") or "no Content-Type"
            self.search.page_failed(cand, f"not an HTML page ({kind})")
        else:
            cookies = [c.decode("latin-1") for c in response.headers.getlist(b"Set-Cookie")]
            text = response.text if isinstance(response, TextResponse) else None
            reason = challenge_reason(response.status, cookies, response.body, text)
            if reason:
                self.search.page_failed(cand, reason)
            elif cand.fetch_url:  # a platform category's list API
                titles = api_titles(response.body)
                if titles is None:
                    self.search.page_failed(cand, "the list API answered no article list")
                else:
                    self.search.category_listed(cand, titles)
            else:
                self.search.page_fetched(cand, response.url, response.selector, detect_family(response), text or "")
        yield from self._next()

    def on_error(self, failure: Failure) -> Iterator[Request]:
        cand: Candidate = failure.request.meta["candidate"]  # type: ignore[attr-defined]
        if failure.check(HttpError):  # before IgnoreRequest: HttpError is one
            response = failure.value.response  # type: ignore[attr-defined]
            cookies = [c.decode("latin-1") for c in response.headers.getlist(b"Set-Cookie")]
            reason = challenge_reason(response.status, cookies, response.body, None)
            self.search.page_failed(cand, reason or f"HTTP {response.status}")
        elif failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
            self.search.page_failed(cand, "robots.txt forbids it: not fetched", forbidden=True)
        else:
            self.search.page_failed(cand, f"{failure.type.__name__}: {failure.getErrorMessage()}")
        yield from self._next()
