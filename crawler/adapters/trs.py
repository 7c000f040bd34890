"""TRS WCM (拓尔思): static ``index.html``, ``index_1.html``…, paged by a ``createPageHTML`` call."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, _text

# createPageHTML(page count, 0-based current page, base name, extension)
_CREATE_PAGE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]")
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*['\"]?(\d+)")
_PAGE_IN_URL = re.compile(r"/([\w-]+?)(?:_(\d+))?\.(s?html?)$")


class TrsAdapter(CmsAdapter):
    family = "trs"
    markers = (
        r"createPageHTML\(",
        r"var\s+countPage",
        r"/\d{6}/t\d{8}_\d+\.s?html?",
        r"trs_editor_view|TRS_Editor|TRS_UEDITOR",
        r"_trs_uv",
    )
    detail_pattern = r"/(?:\d{6}/)?t\d{8}_\d+\.s?html?(?:$|\?)"

    def next_page(self, response: Response, sel: Selector) -> Request | None:
        text = _text(response)
        count: int | None = None
        base, ext = "index", "html"
        m = _CREATE_PAGE.search(text)
        if m:
            count, base, ext = int(m.group(1)), m.group(3), m.group(4)
        else:
            c = _COUNT_PAGE.search(text)
            if c:
                count = int(c.group(1))
        if not count or count <= 1:
            return None
        # The page we are on comes from our own URL: templates disagree on what they pass as "current".
        path = urlsplit(response.url).path
        here = _PAGE_IN_URL.search(path)
        current = int(here.group(2)) if here and here.group(2) else 0
        if here and not m:
            base, ext = here.group(1), here.group(3)
        if current + 1 >= count:
            return None
        return Request(urljoin(response.url, f"{base}_{current + 1}.{ext}"))
