"""Repair the encoding of HTML responses before anyone reads their text (docs/portals.md §3).

The decision is ``core.charset.choose_encoding``, the same the parser makes: BOM, bytes that are
UTF-8, then the site's configured encoding, the header and the meta (misspelt metas included),
each validated against the bytes; gb2312/gbk labels decode as gb18030. The chosen encoding goes
on with the bytes to the parser (``crawler.ingest_job`` puts it in the media type).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse

from core.charset import choose_encoding, normalize_charset

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["CharsetFixer", "choose_encoding"]


class CharsetFixer:
    """Downloader middleware: re-labels text responses with the encoding their bytes really use."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_CHARSET_FIX", True):
            raise NotConfigured
        self.stats = crawler.stats
        self.overrides = crawler.settings.getdict("NIANBAO_SITE_ENCODINGS")  # site id -> encoding

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetFixer:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        chosen = choose_encoding(response.body, content_type, self.overrides.get(request.meta.get("site_id", "")))
        if normalize_charset(response.encoding) == normalize_charset(chosen):
            return response
        self.stats.inc_value("nianbao/charset/repaired")
        return response.replace(encoding=chosen)
