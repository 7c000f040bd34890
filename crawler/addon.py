"""The nianbao add-on: ``settings.yaml`` applied to the Scrapy settings of every crawl.

``crawler.settings`` names ``NianbaoAddon`` in Scrapy's ``ADDONS``, so a crawler gets the same
settings however it is started: ``nianbao crawl`` (``crawler.run``) or ``scrapy crawl
annual_reports`` in a project folder. The nianbao settings are the ``NIANBAO_SETTINGS`` object,
else the file ``NIANBAO_CONFIG`` names, else what ``core.settings.load_settings`` finds
(``$NIANBAO_CONFIG``, ``./settings.yaml``). Their values are set at Scrapy's "project" priority,
over ``crawler.settings``' defaults; ``-s NAME=VALUE`` (and ``crawler.run``'s overrides) still win.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from core.settings import Settings, SettingsError, SiteSpec, load_settings
from crawler.scrapy_workarounds import warn_if_unchecked

MB = 1024 * 1024
MODES = ("crawl", "recrawl")


@dataclass(frozen=True)
class CrawlRequest:
    """What one crawl is asked to do: which sites, in which mode, restricted to what."""

    site_ids: tuple[str, ...] = ()  # empty: every configured site
    mode: str = "crawl"
    year: int | None = None
    url: str | None = None

    @classmethod
    def from_scrapy_settings(cls, s: BaseSettings) -> CrawlRequest:
        """The request the ``NIANBAO_SITES``/``_MODE``/``_YEAR``/``_URL`` settings make."""
        return cls(tuple(s.getlist("NIANBAO_SITES")), s.get("NIANBAO_MODE") or "crawl", s.getint("NIANBAO_YEAR") or None, s.get("NIANBAO_URL") or None)

    def check(self, settings: Settings) -> None:
        """Raise ``SettingsError`` if ``settings`` cannot serve this request."""
        if self.mode not in MODES:
            raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "recrawl" and len(self.site_ids) != 1:
            raise SettingsError("recrawl: name exactly one site")
        if (self.year is not None or self.url is not None) and self.mode != "recrawl":
            raise SettingsError("year and url restrict a recrawl: use mode='recrawl'")
        self.sites(settings)  # unknown ids fail here, with the known ones listed
        if not (self.site_ids or settings.sites):
            raise SettingsError("sites: no site configured to crawl")

    def sites(self, settings: Settings) -> list[SiteSpec]:
        return [settings.site(i) for i in self.site_ids] if self.site_ids else list(settings.sites)


def nianbao_settings(s: BaseSettings) -> Settings:
    """The nianbao settings of a crawl with Scrapy settings ``s`` (see module docstring)."""
    return s.get("NIANBAO_SETTINGS") or load_settings(s.get("NIANBAO_CONFIG"))


def crawl_values(settings: Settings, request: CrawlRequest) -> dict[str, Any]:
    """The Scrapy settings ``settings.yaml`` gives a crawl of ``request``."""
    c = settings.crawler
    sites = request.sites(settings)
    values: dict[str, Any] = {
        "USER_AGENT": c.user_agent,
        "ROBOTSTXT_OBEY": c.obey_robots,
        "DOWNLOAD_DELAY": c.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if c.randomize_delay else 0.0,
        "CONCURRENT_REQUESTS": c.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "AUTOTHROTTLE_START_DELAY": c.download_delay,
        "DOWNLOAD_TIMEOUT": c.timeout,
        "RETRY_TIMES": c.retries,
        "DOWNLOAD_MAXSIZE": int(c.max_download_mb * MB),
        "DOWNLOAD_WARNSIZE": int(min(c.max_download_mb, 20) * MB),
        "DOWNLOAD_SLOTS": download_slots(sites),
        "NIANBAO_SITE_ENCODINGS": {x.id: x.encoding for x in sites if x.encoding},
        "NIANBAO_SETTINGS": settings,
        "NIANBAO_MODE": request.mode,
        "NIANBAO_SITES": [x.id for x in sites],
        "NIANBAO_YEAR": request.year,
        "NIANBAO_URL": request.url,
    }
    if c.jobdir:
        # One job directory per kind of run: a resumed crawl must continue the same request set.
        key = json.dumps([request.mode, sorted(x.id for x in sites), request.year, request.url])
        values["JOBDIR"] = str(settings.path(c.jobdir) / f"{request.mode}-{hashlib.sha1(key.encode()).hexdigest()[:10]}")
    return values


def download_slots(sites: list[SiteSpec]) -> dict[str, dict[str, Any]]:
    """Per-host delay/concurrency from sites that set their own."""
    slots: dict[str, dict[str, Any]] = {}
    for site in sites:
        if site.download_delay is None and site.concurrency is None:
            continue
        for u in site.start_urls:
            slot: dict[str, Any] = {}
            if site.download_delay is not None:
                slot["delay"] = site.download_delay
            if site.concurrency is not None:
                slot["concurrency"] = site.concurrency
            slots[(urlsplit(u).hostname or "").lower()] = slot
    return slots


class NianbaoAddon:
    """Scrapy add-on: applies ``settings.yaml`` (``crawl_values``) to the crawler's settings."""

    def update_settings(self, s: BaseSettings) -> None:
        warn_if_unchecked()
        settings = nianbao_settings(s)
        request = CrawlRequest.from_scrapy_settings(s)
        request.check(settings)
        s.setdict(crawl_values(settings, request), priority="project")
