"""Try the other scheme once when a host fails on the one we asked for (docs/portals.md §4).

Many government hosts have broken TLS (the handshake on 443 fails: 北京朝阳) or no TLS at all,
and a few answer only on https. A request whose https attempt ends in a TLS error, a refused
connection or a timeout is sent again as http; an http request refused outright is sent again as
https. Once per request, before the retry middleware spends its backoff on a dead scheme.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadTimeoutError, NotConfigured
from twisted.internet import error as net_error
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)
FLAG = "scheme_fallback"  # request.meta: the scheme was switched once already


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes and the failures Twisted wrapped in it (``reasons``)."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (e.__cause__, e.__context__):
            if nxt is not None:
                stack.append(nxt)
        for reason in getattr(e, "reasons", None) or []:
            if isinstance(reason, Failure) and isinstance(reason.value, BaseException):
                stack.append(reason.value)
        for arg in e.args:  # Scrapy 2.19 wraps the failures list as the first argument
            if isinstance(arg, list):
                stack.extend(f.value for f in arg if isinstance(f, Failure) and isinstance(f.value, BaseException))


def is_tls_error(exc: BaseException) -> bool:
    """A failed TLS handshake or session, however deeply Scrapy and Twisted wrapped it."""
    for e in _causes(exc):
        module = type(e).__module__
        if module.startswith("OpenSSL") or isinstance(e, net_error.SSLError) or type(e).__name__ in ("SSLError", "SSLZeroReturnError"):
            return True
    return False


def _is_refused(exc: BaseException) -> bool:
    return any(isinstance(e, (DownloadConnectionRefusedError, net_error.ConnectionRefusedError)) for e in _causes(exc))


def _is_timeout(exc: BaseException) -> bool:
    return any(isinstance(e, (DownloadTimeoutError, net_error.TimeoutError, net_error.TCPTimedOutError)) for e in _causes(exc))


def other_scheme(url: str) -> str:
    """``url`` with http and https swapped (an explicit port is kept)."""
    if url.startswith("https://"):
        return "http://" + url[len("https://") :]
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return url


class SchemeFallback:
    """Downloader middleware: one retry on the other scheme (see module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_SCHEME_FALLBACK", True):
            raise NotConfigured
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemeFallback:
        return cls(crawler)

    def should_switch(self, request: Request, exception: BaseException) -> bool:
        if request.meta.get(FLAG):
            return False
        if request.url.startswith("https://"):
            return is_tls_error(exception) or _is_refused(exception) or _is_timeout(exception)
        if request.url.startswith("http://"):
            return _is_refused(exception)
        return False

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if not self.should_switch(request, exception):
            return None
        self.stats.inc_value("nianbao/scheme_fallback")
        # A failed download like any other: logged, so the log accounts for every failed request.
        log.info("%s failed (%s): trying %s", request.url, type(exception).__name__, other_scheme(request.url))
        return request.replace(url=other_scheme(request.url), meta={**request.meta, FLAG: True})
