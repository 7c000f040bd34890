"""TRS WCM (拓尔思): static ``index.html``, ``index_1.html``…, paged by a ``createPageHTML`` call.

Numbering is not uniform (docs/portals.md §2.1): most sites name page k ≥ 2 ``index_{k-1}``, some
``index_{k}`` (offset 1). The offset is read from the call on the first page (its "current page"
argument is what the site's own pager adds one to), carried in ``list_state`` for the following
pages, and when the call says nothing, the second page is asked for as ``index_1`` with
``index_2`` as the fallback if that is 404 (the spider follows ``list_state["fallback"]``).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, _text

MAX_OFFSET = 2  # index_{k+1} is the largest shift seen (rsj.km.gov.cn)

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
        call_current: int | None = None
        base, ext = "index", "html"
        m = _CREATE_PAGE.search(text)
        if m:
            count, call_current, base, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        else:
            c = _COUNT_PAGE.search(text)
            if c:
                count = int(c.group(1))
        if not count or count <= 1:
            return None
        # The page we are on comes from our own URL: templates disagree on what they pass as "current".
        here = _PAGE_IN_URL.search(urlsplit(response.url).path)
        number = int(here.group(2)) if here and here.group(2) else 0
        if here and not m:
            base, ext = here.group(1), here.group(3)
        state = self.list_state(response)
        offset = state.get("trs_offset")
        if offset is None and number == 0 and call_current:
            offset = min(call_current, MAX_OFFSET)  # the first page calls itself page 1 (or 2)
        position = 0 if number == 0 else number - int(offset or 0)  # 0-based page we are on
        if position + 1 >= count:
            return None
        if offset is None:  # nothing tells: the common numbering, the shifted one if that is 404
            fallback = {"url": urljoin(response.url, f"{base}_{position + 2}.{ext}"), "trs_offset": 1}
            return Request(urljoin(response.url, f"{base}_{position + 1}.{ext}"), meta={"list_state": {"trs_offset": 0, "fallback": fallback}})
        return Request(urljoin(response.url, f"{base}_{position + 1 + int(offset)}.{ext}"), meta={"list_state": {"trs_offset": int(offset)}})
