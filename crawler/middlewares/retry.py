"""Retries with exponential backoff: county servers that fail under load need time, not hammering.

Replaces Scrapy's ``RetryMiddleware`` (same settings: RETRY_TIMES, RETRY_HTTP_CODES,
RETRY_EXCEPTIONS) and waits ``RETRY_BACKOFF_BASE * RETRY_BACKOFF_FACTOR**(n-1)`` seconds before the
n-th retry, at most ``RETRY_BACKOFF_MAX``, or what a 429/503 ``Retry-After`` asks within that cap.
The wait holds only this request; other requests and sites carry on.

A Scrapy workaround (listed in crawler/scrapy_workarounds.py), checked on Scrapy 2.19.0: the retry
request is built by the stock middleware's private ``_retry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class BackoffRetryMiddleware(RetryMiddleware):
    """``RetryMiddleware`` that sleeps between attempts."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        o = super().from_crawler(crawler)
        s = crawler.settings
        o.backoff_base = s.getfloat("RETRY_BACKOFF_BASE", 5.0)
        o.backoff_factor = s.getfloat("RETRY_BACKOFF_FACTOR", 3.0)
        o.backoff_max = s.getfloat("RETRY_BACKOFF_MAX", 120.0)
        return o

    def backoff(self, request: Request, response: Response | None = None) -> float:
        """Seconds to wait before retrying ``request`` again."""
        attempt = int(request.meta.get("retry_times", 0)) + 1
        delay = self.backoff_base * self.backoff_factor ** (attempt - 1)
        if response is not None and response.status in (429, 503):
            after = response.headers.get(b"Retry-After", b"").decode("latin-1").strip()
            if after.isdigit():
                delay = max(delay, float(after))
        return min(delay, self.backoff_max)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self.backoff(request, response)
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if delay > 0:
            await sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        delay = self.backoff(request)
        retry = self._retry(request, exception)
        if retry is not None and delay > 0:
            await sleep(delay)
        return retry
