"""Conditional requests for documents fetched before: If-None-Match / If-Modified-Since from the
headers stored with the newest raw document of the URL; a 304 means "unchanged". Servers that send
neither validator get the content-hash fallback: the same bytes as last time are also "unchanged".

Only requests marked ``meta["conditional"]`` are touched (details and attachments of an
incremental crawl); a recrawl sends none, so it always gets fresh bytes.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.context import CrawlContext

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ConditionalRequests:
    """Downloader middleware: revalidate known documents instead of downloading them again."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_CONDITIONAL_REQUESTS", True):
            raise NotConfigured
        self.context = CrawlContext.of(crawler)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional") or "known_sha256" in request.meta:
            return
        known = self.context.known.validators(request.url)
        request.meta["known_sha256"] = known.sha256 if known else None
        if known is None:
            return
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        if known.etag or known.last_modified:
            self.stats.inc_value("nianbao/conditional/sent")
        statuses = set(request.meta.get("handle_httpstatus_list", [])) | {304}
        request.meta["handle_httpstatus_list"] = sorted(statuses)

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("conditional"):
            return response
        if response.status == 304:
            request.meta["unchanged"] = True
            self.stats.inc_value("nianbao/conditional/not_modified")
        elif response.status == 200 and request.meta.get("known_sha256"):
            if hashlib.sha256(response.body).hexdigest() == request.meta["known_sha256"]:
                request.meta["unchanged"] = True  # the server sent no validators, or ignored them
                self.stats.inc_value("nianbao/conditional/same_hash")
        return response
