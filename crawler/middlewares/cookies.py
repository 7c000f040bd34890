"""Cookies without a trip to the Internet.

Scrapy's ``CookiesMiddleware`` asks tldextract whether a cookie's domain is a public suffix, and
tldextract's default is to download the Public Suffix List on first use. A crawler of government
sites should talk to government sites only (and tests to loopback only), so this one reads the
snapshot of the list that ships with tldextract.

A Scrapy workaround (listed in crawler/scrapy_workarounds.py), checked on Scrapy 2.19.0: it
overrides the stock middleware's private ``_process_cookies``.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookiejar import Cookie

from scrapy import Request
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.http.cookies import CookieJar
from scrapy.utils.httpobj import urlparse_cached
from tldextract import TLDExtract

_offline_split = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True, cache_dir=None)


def is_public_suffix(domain: str) -> bool:
    """True for ``gov.cn`` and the like: no cookie may be set for a whole suffix."""
    return not _offline_split(domain).domain


class OfflineCookiesMiddleware(CookiesMiddleware):
    """``CookiesMiddleware`` with the bundled Public Suffix List snapshot."""

    def _process_cookies(self, cookies: Iterable[Cookie], *, jar: CookieJar, request: Request) -> None:
        for cookie in cookies:
            cookie_domain = cookie.domain.removeprefix(".")
            hostname = urlparse_cached(request).hostname
            if hostname is None:
                continue
            request_domain = hostname.lower()
            if cookie_domain and is_public_suffix(cookie_domain):
                if cookie_domain != request_domain:
                    continue
                cookie.domain = request_domain
            jar.set_cookie_if_ok(cookie, request)
