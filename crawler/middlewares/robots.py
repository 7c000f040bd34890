"""robots.txt, obeyed by every request, including those queued before robots.txt arrived.

Scrapy 2.19's ``RobotsTxtMiddleware`` parks the requests that arrive while a host's robots.txt
is downloading on one shared ``Deferred``. A Deferred is a callback chain, not a future: the first
waiter's callback consumes the parser and every later waiter receives ``None``, which the
middleware reads as "no robots.txt, allow all" — disallowed URLs were fetched (3 of 4 in
tests/test_crawler_politeness.py, on either reactor). Here every waiter gets its own Deferred.

A Scrapy workaround (listed in crawler/scrapy_workarounds.py), checked on Scrapy 2.19.0. It
replaces ``robot_parser`` and relies on the stock middleware's private ``_parsers``,
``_parse_robots``, ``_robots_error`` and ``_stats``.
"""

from __future__ import annotations

from collections import defaultdict

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """``RobotsTxtMiddleware`` whose waiting requests each receive the parsed robots.txt."""

    def __init__(self, crawler) -> None:  # type: ignore[no-untyped-def]
        super().__init__(crawler)
        self._waiters: defaultdict[str, list[Deferred[RobotParser | None]]] = defaultdict(list)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc in self._parsers:
            parser = self._parsers[netloc]
            if not isinstance(parser, Deferred):
                return parser
            waiter: Deferred[RobotParser | None] = Deferred()  # one per request: nothing shared
            self._waiters[netloc].append(waiter)
            return await maybe_deferred_to_future(waiter)

        self._parsers[netloc] = Deferred()  # marks "download in progress"; never awaited here
        robotsreq = Request(
            f"{url.scheme}://{url.netloc}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        try:
            assert self.crawler.engine is not None
            response = await self.crawler.engine.download_async(robotsreq)
            await self._parse_robots(response, netloc, request)
        except Exception as exc:  # noqa: BLE001 — unreachable robots.txt: Scrapy's rule, allow
            self._robots_error(exc, netloc)
        self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        assert not isinstance(parser, Deferred)
        for waiter in self._waiters.pop(netloc, []):
            waiter.callback(parser)
        return parser
