"""robots.txt in a distributed crawl: fetched once per host for the whole crawl, obeyed alike by every worker.

The first worker to need a host's robots.txt fetches it (``SharedRobotsTxtMiddleware``, with its
fix of Scrapy's robots.txt race) and keeps the body in the shared state; a worker that finds a body
there parses that one and fetches nothing. Should two fetch at once, the first body kept is the one
all of them use. A robots.txt that could not be read is kept as empty: allow all, Scrapy's rule.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawler.context import CrawlContext
from crawler.middlewares.robots import SharedRobotsTxtMiddleware


class DistributedRobotsTxtMiddleware(SharedRobotsTxtMiddleware):
    """``SharedRobotsTxtMiddleware`` whose robots.txt bodies live in the distributed crawl's shared state."""

    def _shared(self):  # type: ignore[no-untyped-def]
        return CrawlContext.of(self.crawler).shared

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        shared = self._shared()
        if shared is not None and netloc not in self._parsers:
            body = shared.robots_body(netloc)
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        shared = self._shared()
        if shared is not None:
            response = response.replace(body=shared.keep_robots_body(netloc, response.body))
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        super()._robots_error(exc, netloc)
        shared = self._shared()
        if shared is not None:
            body = shared.keep_robots_body(netloc, b"")
            if body:  # another worker read it: use that one
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
