"""Conditional requests for documents fetched before: a 304 or the same bytes mean "unchanged".

The spider decides which requests revalidate (``crawler.revisit``) and hands the validators of
the newest stored version along in ``meta["revisit"]`` (looked up in one query per list page):
If-None-Match / If-Modified-Since go out with the request, and a 304 marks it unchanged. Servers
that send neither validator get the content-hash fallback: the same bytes as last time are also
"unchanged". Requests without ``meta["revisit"]`` (new documents, a ``recrawl``) are not touched.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class ConditionalRequests:
    """Downloader middleware: revalidate known documents instead of downloading them again."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_CONDITIONAL_REQUESTS", True):
            raise NotConfigured
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        known = request.meta.get("revisit")
        if not known or b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return
        if known.get("etag"):
            request.headers[b"If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            request.headers[b"If-Modified-Since"] = known["last_modified"]
        if known.get("etag") or known.get("last_modified"):
            self.stats.inc_value("nianbao/conditional/sent")
            statuses = set(request.meta.get("handle_httpstatus_list", [])) | {304}
            request.meta["handle_httpstatus_list"] = sorted(statuses)

    def process_response(self, request: Request, response: Response) -> Response:
        known = request.meta.get("revisit")
        if not known:
            return response
        if response.status == 304:
            request.meta["unchanged"] = True
            self.stats.inc_value("nianbao/conditional/not_modified")
        elif response.status == 200 and known.get("sha256"):
            if hashlib.sha256(response.body).hexdigest() == known["sha256"]:
                request.meta["unchanged"] = True  # the server sent no validators, or ignored them
                self.stats.inc_value("nianbao/conditional/same_hash")
        return response
