"""What one crawl is to do: the nianbao settings, the mode and restrictions, and its sites.

No I/O: built from the settings alone, it answers the spider's and middlewares' questions about
sites (look-up by id, the hosts a site may be crawled on).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from core.settings import Settings, SiteSpec
from crawler.addon import MODES, CrawlRequest


class CrawlPlan:
    """The crawl's configuration: ``settings``, ``mode``, ``year``, ``url`` and ``sites``."""

    def __init__(self, settings: Settings, request: CrawlRequest) -> None:
        if request.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {request.mode!r}")
        self.settings = settings
        self.mode = request.mode
        self.year = request.year
        self.url = request.url
        self.sites: list[SiteSpec] = request.sites(settings)
        self._sites_by_id = {s.id: s for s in self.sites}

    def site(self, site_id: str) -> SiteSpec:
        return self._sites_by_id[site_id]

    def has_site(self, site_id: str | None) -> bool:
        return site_id in self._sites_by_id

    @property
    def site_ids(self) -> list[str]:
        return [s.id for s in self.sites]

    def allowed_hosts(self, site: SiteSpec) -> set[str]:
        """Host names the site may be crawled on: its ``allowed_domains``, else its start URLs' hosts."""
        hosts = {d.split(":")[0].lower() for d in site.allowed_domains}
        return hosts or {(urlsplit(u).hostname or "").lower() for u in site.start_urls}

    def site_allows(self, site: SiteSpec, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.allowed_hosts(site))

    def all_allowed_hosts(self) -> list[str]:
        return sorted({h for s in self.sites for h in self.allowed_hosts(s)})
