"""Scrapy settings of the nianbao crawl. The nianbao add-on (``crawler.addon``, in ``ADDONS``)
overlays values from ``settings.yaml`` (delays, concurrency, timeouts, user agent, per-site slots
and encodings, JOBDIR) on every crawler, whether ``nianbao crawl`` or ``scrapy crawl
annual_reports`` starts it; ``-s`` options and ``crawler.run``'s overrides win over both.

Politeness follows docs/portals.md §4: one request at a time per host, a randomised delay,
AutoThrottle, robots.txt obeyed, long timeouts, backoff on 5xx/429/timeouts, challenges not retried.
"""

from __future__ import annotations

from crawler import scrapy_workarounds

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identification and politeness --------------------------------------------------------------
USER_AGENT = "Mozilla/5.0 (compatible; nianbao/0.1; annual-report monitor)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16  # across all sites
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
# The ±50% randomisation RANDOMIZE_DOWNLOAD_DELAY gave; Scrapy 2.19 names it DOWNLOAD_DELAY_JITTER.
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60  # county servers take many seconds; 20 s is too short
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
COOKIES_ENABLED = True
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = True
METAREFRESH_MAXDELAY = 100

# Retries with backoff (crawler.middlewares.retry) ---------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]  # never 412/521/512: those are challenges
RETRY_BACKOFF_BASE = 5.0  # seconds before the first retry; ×3 for each further one
RETRY_BACKOFF_FACTOR = 3.0
RETRY_BACKOFF_MAX = 120.0

# Not Scrapy's default asyncio reactor: it lets bursts past CONCURRENT_REQUESTS_PER_DOMAIN (a Scrapy
# workaround, explained in crawler/scrapy_workarounds.py).
TWISTED_REACTOR = scrapy_workarounds.REACTOR

# Swappable for scrapy-redis: all "already known" state lives in the database.
SCHEDULER = "scrapy.core.scheduler.Scheduler"
DUPEFILTER_CLASS = "scrapy.dupefilters.RFPDupeFilter"
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.FragmentAwareFingerprinter"  # gkmlpt index#<catid> routes

# Scrapy hands each callback's output to CONCURRENT_ITEMS (default 100) cooperative tasks per
# response. Our callbacks yield one item or a page of requests, so 100 tasks (a Cooperator, 100
# Deferreds) per response cost more CPU than the rest of the crawl; one is enough.
CONCURRENT_ITEMS = 1

# Components --------------------------------------------------------------------------------
ADDONS = {"crawler.addon.NianbaoAddon": 0}
# `scrapy crawl annual_reports` runs the crawl as `nianbao crawl` does (crawler.run.crawl_in).
COMMANDS_MODULE = "crawler.commands"
REMOTE_CONTROL_ENABLED = False
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.landing.RedirectLandingCheck": 40,  # before OffsiteMiddleware (50) drops foreign hosts
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "crawler.middlewares.cookies.OfflineCookiesMiddleware": 700,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # process_exception runs from high to low numbers: the other scheme is tried before a backoff.
    "crawler.middlewares.scheme.SchemeFallback": 555,
    "crawler.middlewares.conditional.ConditionalRequests": 560,
    # process_response runs from high to low numbers: the challenge check and the charset repair see
    # the decompressed body (590) and act before meta refresh (580) and retries (550).
    "crawler.middlewares.charset.CharsetFixer": 586,
    "crawler.middlewares.waf.WafDetector": 588,
    # HttpProxyMiddleware (750) stays enabled: http_proxy / https_proxy from the environment work.
}
ITEM_PIPELINES = {"crawler.pipelines.StoragePipeline": 300}
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
    "scrapy.extensions.telnet.TelnetConsole": None,
}

# nianbao -------------------------------------------------------------------------------------
NIANBAO_SETTINGS = None  # a core.settings.Settings object (set by crawler.run)
NIANBAO_CONFIG = None  # else: path of settings.yaml (None: $NIANBAO_CONFIG / ./settings.yaml)
# The crawl request: `scrapy crawl annual_reports -s NIANBAO_SITES=trs,vsb` (crawler.addon.CrawlRequest)
NIANBAO_MODE = "crawl"  # crawl | recrawl
NIANBAO_SITES: list[str] = []  # site ids; empty: all configured sites
NIANBAO_YEAR = None  # recrawl: only entries of this report year
NIANBAO_URL = None  # recrawl: only this URL
NIANBAO_PROGRESS_INTERVAL = 30.0  # seconds between progress log lines
NIANBAO_SITE_ENCODINGS: dict[str, str] = {}  # site id -> forced encoding (settings.yaml sites[].encoding)
NIANBAO_INGEST_BATCH = 32  # most documents stored in one batch (crawler.group_commit)
# Keep documents whose links do not depend on parsing them for an ingest consumer to parse
# (storage.ingest_queue); set by crawler.run.crawl_in when it starts one. Off: parse everything inline.
NIANBAO_DEFER_INGEST = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
