"""Find a portal's 年报 column(s) in-process: ``run_discover(settings, url)`` → ``DiscoveryResult``.

Runs the ``discover`` spider with the crawl's Scrapy settings (``crawler.run.scrapy_settings``:
user agent, robots.txt, delays, timeouts, retries from ``settings.yaml``). One call per process,
like every Scrapy run: Twisted's reactor cannot be restarted.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils import log as scrapy_log

from crawler.column_search import DiscoveryResult
from crawler.run import scrapy_settings
from crawler.spiders.discover import DEFAULT_MAX_PAGES, DiscoverSpider
from core.settings import Settings


def run_discover(settings: Settings, url: str, *, max_pages: int = DEFAULT_MAX_PAGES, overrides: dict[str, Any] | None = None) -> DiscoveryResult:
    """Search ``url``'s portal for its 年报 column(s), fetching at most ``max_pages`` pages."""
    s = scrapy_settings(settings, overrides=overrides)
    s.set("JOBDIR", None, priority="cmdline")  # a search is short and never resumed
    level = logging.getLevelName(logging.getLogger("scrapy").level or s.get("LOG_LEVEL") or "INFO")
    scrapy_log.DEFAULT_LOGGING["loggers"]["scrapy"]["level"] = level  # keep the caller's level (see crawler.run)
    process = CrawlerProcess(s)
    logging.getLogger("scrapy").setLevel(level)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, url=url, max_pages=max_pages)
    process.start()
    spider: DiscoverSpider = crawler.spider  # type: ignore[assignment]
    return spider.search.finish()
