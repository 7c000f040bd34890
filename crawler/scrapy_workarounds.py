"""Where the crawl works around Scrapy, and the Scrapy versions each workaround was checked on.

pyproject.toml pins Scrapy to ``SCRAPY_CHECKED`` (``>=2.19,<2.20``): every workaround below was
verified on Scrapy 2.19.0 (Twisted 26.10), by tests/test_crawler_politeness.py (robots.txt race,
per-host limit; the stock behaviour is kept there as expected failures) and the crawler tests.
Before raising the pin, re-run those tests: an ``xfail`` that starts passing means Scrapy fixed
the bug and the workaround can go; tests/test_scrapy_workarounds.py fails when a private Scrapy
member a workaround relies on is gone.

Each workaround has one home, listed in ``WORKAROUNDS``. Those that are settings or functions live
here; those that are middleware subclasses live in their middleware module, with a docstring that
says what they work around.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

import scrapy

log = logging.getLogger(__name__)

SCRAPY_CHECKED = ((2, 19), (2, 20))  # [from, to): the range pyproject.toml pins
CHECKED_ON = "Scrapy 2.19.0"


@dataclass(frozen=True)
class Workaround:
    """One place where the crawl depends on Scrapy behaviour that is a bug or private."""

    name: str
    upstream: str  # what Scrapy does
    home: str  # the dotted path of our code
    private: tuple[str, ...] = ()  # Scrapy members we rely on that are not public API ("module.Class.member")


# The per-host limit. With Scrapy 2.19's default asyncio reactor the downloader starts queued
# requests as tasks that have not yet marked themselves "transferring", so a slot with no delay lets
# a burst through past CONCURRENT_REQUESTS_PER_DOMAIN (13 in flight with a limit of 8 seen;
# tests/test_crawler_politeness.py measures it). The epoll reactor starts them synchronously and
# keeps the limit; select elsewhere. crawler.settings uses this as TWISTED_REACTOR.
REACTOR = (
    "twisted.internet.epollreactor.EPollReactor" if sys.platform.startswith("linux") else "twisted.internet.selectreactor.SelectReactor"
)


def keep_scrapy_log_level(level: str) -> None:
    """Make Scrapy keep its logger at ``level`` while it starts a ``CrawlerProcess``.

    Scrapy's logging setup (re)sets the "scrapy" logger to DEBUG from its module-level
    ``scrapy.utils.log.DEFAULT_LOGGING`` dictionary; that dictionary is changed here, the one way to
    keep the level the caller chose (the nianbao CLI quiets Scrapy unless --verbose).
    """
    from scrapy.utils import log as scrapy_log

    scrapy_log.DEFAULT_LOGGING["loggers"]["scrapy"]["level"] = level


def engine_requests_in_progress(engine: object) -> set:
    """The requests the engine has taken from its scheduler and not finished with (downloading,
    in the spider or the item pipeline, or waiting for a retry). Scrapy tells a scheduler nothing
    when a request is done; the distributed crawl's scheduler (crawler.distributed.scheduler)
    acknowledges a request to the shared queue only once it has left this set."""
    slot = getattr(engine, "_slot", None)
    return set(slot.inprogress) if slot is not None else set()


def wake_engine(engine: object) -> None:
    """Make the engine ask its scheduler for requests now, not at its next 5 s heartbeat (a
    request of another worker may have become claimable in the shared queue meanwhile)."""
    slot = getattr(engine, "_slot", None)
    if slot is not None and slot.closing is None:
        slot.nextcall.schedule()


WORKAROUNDS = (
    Workaround(
        "robots.txt race",
        "RobotsTxtMiddleware parks the requests that arrive while robots.txt downloads on one shared"
        " Deferred; later waiters get None, read as 'allow all', and disallowed URLs are fetched",
        "crawler.middlewares.robots.SharedRobotsTxtMiddleware",
        (
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware._parse_robots",
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware._robots_error",
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware._parsers",
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware._stats",
            # crawler.distributed.robots parses a robots.txt body another worker fetched with it
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware._parserimpl",
        ),
    ),
    Workaround(
        "asyncio reactor bursts past the per-host limit",
        "on the asyncio reactor a slot without delay lets queued requests through past CONCURRENT_REQUESTS_PER_DOMAIN",
        "crawler.scrapy_workarounds.REACTOR",
    ),
    Workaround(
        "Public Suffix List download",
        "CookiesMiddleware asks tldextract about cookie domains, and tldextract downloads the list on first use",
        "crawler.middlewares.cookies.OfflineCookiesMiddleware",
        ("scrapy.downloadermiddlewares.cookies.CookiesMiddleware._process_cookies",),
    ),
    Workaround(
        "retries without backoff",
        "RetryMiddleware retries at once; the retry request is built by a private method",
        "crawler.middlewares.retry.BackoffRetryMiddleware",
        ("scrapy.downloadermiddlewares.retry.RetryMiddleware._retry",),
    ),
    Workaround(
        "offsite redirects are dropped silently",
        "OffsiteMiddleware drops a redirect to a host outside allowed_domains when it is scheduled, without an errback",
        "crawler.middlewares.landing.RedirectLandingCheck",
    ),
    Workaround(
        "Scrapy resets its logger level",
        "starting a CrawlerProcess sets the 'scrapy' logger's level from scrapy.utils.log.DEFAULT_LOGGING",
        "crawler.scrapy_workarounds.keep_scrapy_log_level",
        ("scrapy.utils.log.DEFAULT_LOGGING",),
    ),
    Workaround(
        "a scheduler is not told when a request is done",
        "the engine keeps the requests it took from the scheduler in its private slot until their response is"
        " handled, and polls the scheduler only on events or every 5 s",
        "crawler.scrapy_workarounds.engine_requests_in_progress",
        (
            "scrapy.core.engine.ExecutionEngine._slot",
            "scrapy.core.engine._Slot.inprogress",
            "scrapy.core.engine._Slot.nextcall",
            "scrapy.core.engine._Slot.closing",
        ),
    ),
)


def scrapy_is_checked(version: str = scrapy.__version__) -> bool:
    """Whether ``version`` is within the range the workarounds were checked on."""
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    low, high = SCRAPY_CHECKED
    return low <= parts < high


def warn_if_unchecked() -> None:
    """Log a warning when the installed Scrapy is outside ``SCRAPY_CHECKED`` (e.g. forced past the pin)."""
    if not scrapy_is_checked():
        log.warning(
            "Scrapy %s: the crawl's Scrapy workarounds (crawler/scrapy_workarounds.py) were checked on %s only",
            scrapy.__version__, CHECKED_ON,
        )  # fmt: skip
