"""Find a portal's 年报 column(s) in-process: ``run_discover(settings, url)`` → ``DiscoveryResult``.

Runs the ``discover`` spider with the crawl's Scrapy settings (``crawler.settings`` with the
``crawler:`` values of ``settings.yaml``: user agent, robots.txt, delays, timeouts, retries). One
call per process, like every Scrapy run: Twisted's reactor cannot be restarted.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from core.settings import Settings
from crawler.addon import CrawlRequest, crawl_values
from crawler.column_search import DiscoveryResult
from crawler.scrapy_workarounds import keep_scrapy_log_level
from crawler.spiders.discover import DEFAULT_MAX_PAGES, DiscoverSpider


def discover_settings(settings: Settings, overrides: dict[str, Any] | None = None) -> ScrapySettings:
    """``crawler.settings`` with ``settings.yaml`` applied as for a crawl, minus what only a crawl
    of configured sites needs (the add-on's checks, a job directory); ``overrides`` win."""
    s = ScrapySettings()
    s.setmodule("crawler.settings", priority="project")
    s.setdict(crawl_values(settings, CrawlRequest()), priority="project")  # as the add-on maps settings.yaml
    # Applied above already; the add-on would also refuse a settings file without sites.
    s.set("ADDONS", {}, priority="cmdline")
    s.set("JOBDIR", None, priority="cmdline")  # a search is short and never resumed
    s.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # the caller configures logging
    if overrides:
        s.setdict(overrides, priority="cmdline")
    return s


def run_discover(settings: Settings, url: str, *, max_pages: int = DEFAULT_MAX_PAGES, overrides: dict[str, Any] | None = None) -> DiscoveryResult:
    """Search ``url``'s portal for its 年报 column(s), fetching at most ``max_pages`` pages."""
    s = discover_settings(settings, overrides)
    level = logging.getLevelName(logging.getLogger("scrapy").level or s.get("LOG_LEVEL") or "INFO")
    keep_scrapy_log_level(level)  # keep the caller's level, as crawler.run does
    process = CrawlerProcess(s)
    logging.getLogger("scrapy").setLevel(level)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, url=url, max_pages=max_pages)
    process.start()
    spider: DiscoverSpider = crawler.spider  # type: ignore[assignment]
    return spider.search.finish()
