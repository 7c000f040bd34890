"""Where a redirect lands: the allow-list is checked again, and dead columns are told apart.

A column that 301s to the portal's homepage looks alive (门头沟), a column that moved to another
host may 404 there (海淀), and a deleted TRS document refreshes to its parent folder
(docs/portals.md §3–4). Every redirected request (HTTP 3xx or meta refresh) is checked when it
is scheduled, before it is fetched:

- a host the site does not allow → crawl error ``moved`` (a host allowed to another site counts
  as foreign too: sites are judged one by one);
- the homepage, reached from a page that was not one → crawl error ``moved``;
- a detail page sent to a folder or index page → crawl error ``gone``.

Either way the landing page is not fetched. Redirects that never land are crawl errors
``redirect`` too: a loop (a redirect back to a URL of its own chain, which Scrapy's duplicate
filter would drop without a word) is refused when it is scheduled; a chain longer than
``REDIRECT_MAX_TIMES``, which Scrapy's ``RedirectMiddleware`` ends with an ``IgnoreRequest``,
is named by ``too_many_redirects`` for the spider's error handler.

A Scrapy workaround too (listed in crawler/scrapy_workarounds.py), checked on Scrapy 2.19.0:
Scrapy's ``OffsiteMiddleware`` drops a redirect to a foreign host silently (no errback) when it is
scheduled; this check listens to the same ``request_scheduled`` signal, so the redirect is
recorded as ``moved`` before it is dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.python.failure import Failure

from crawler.context import CrawlContext
from crawler.discovery import looks_like_index

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_HOMEPAGE = re.compile(r"^/?(?:(?:index|default|home|main|portal)\.(?:s?html?|jsp|php|aspx?))?$", re.I)


class RedirectRejected(IgnoreRequest):
    """A redirect that leads off the site or to a page that is not what was asked for (recorded)."""


def is_homepage(url: str) -> bool:
    """The root of a host (``/``, ``/index.html``…)."""
    return bool(_HOMEPAGE.match(urlsplit(url).path))


def landing_problem(origin: str, target: str, *, allowed: bool, kind: str) -> tuple[str, str] | None:
    """(error kind, detail) when a redirect from ``origin`` to ``target`` must not be followed."""
    if not allowed:
        return "moved", f"redirected to another host: {target}"
    if is_homepage(target) and not is_homepage(origin):
        return "moved", f"redirected to the homepage: {target}"
    if kind == "detail" and looks_like_index(target) and not looks_like_index(origin):
        return "gone", f"redirected to a folder or list page (deleted document?): {target}"
    return None


def redirect_loop(chain: list[str], target: str) -> str | None:
    """The loop when ``target`` is a URL the redirect chain ``chain`` already went through."""
    seen = {urldefrag(u)[0] for u in chain}
    if urldefrag(target)[0] in seen:
        return "redirect loop: " + " → ".join([*chain, target])
    return None


def too_many_redirects(request: Request, failure: Failure) -> str | None:
    """The reason when ``failure`` is Scrapy giving up a chain of redirects that went on too long."""
    if not failure.check(IgnoreRequest) or str(failure.value) != "max redirections reached":
        return None
    chain = [*request.meta.get("redirect_urls", []), request.url]
    shown = chain if len(chain) <= 4 else [*chain[:2], "…", *chain[-2:]]
    return f"more than {len(chain) - 1} redirects, no page reached: " + " → ".join(shown)


class RedirectLandingCheck:
    """Downloader middleware + ``request_scheduled`` handler (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_REDIRECT_CHECK", True):
            raise NotConfigured
        self.context = CrawlContext.of(crawler)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLandingCheck:
        o = cls(crawler)
        # At scheduling time, so a redirect to a host no site allows is seen before Scrapy's
        # OffsiteMiddleware drops it silently.
        crawler.signals.connect(o.request_scheduled, signal=signals.request_scheduled)
        return o

    def request_scheduled(self, request: Request, spider: object) -> None:
        self.check(request)

    def process_request(self, request: Request) -> None:
        # Requests that skip the scheduler (engine.download) are checked here.
        self.check(request)

    def check(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        site_id = request.meta.get("site_id")
        if not chain or not site_id or request.meta.get("landing_checked") == request.url:
            return
        ctx = self.context
        loop = redirect_loop(chain, request.url)
        if loop:
            self.stats.inc_value("nianbao/redirect/loop")
            ctx.run.record_error(site_id, chain[0], "redirect", loop)
            raise RedirectRejected(loop)
        site = ctx.plan.site(site_id)
        problem = landing_problem(chain[0], request.url, allowed=ctx.plan.site_allows(site, request.url), kind=request.meta.get("kind", ""))
        if problem is None:
            request.meta["landing_checked"] = request.url
            return
        kind, detail = problem
        self.stats.inc_value(f"nianbao/redirect/{kind}")
        ctx.run.record_error(site_id, chain[0], kind, detail)
        raise RedirectRejected(detail)
