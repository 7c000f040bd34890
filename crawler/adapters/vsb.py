"""VSB 博达: ``<col>.htm`` then ``<col>/N.htm`` counting down; articles ``/info/<tree>/<id>.htm``.

Page 1 of a column of N pages is ``<col>.htm``; page k ≥ 2 is ``<col>/(N−k+1).htm``, down to
``<col>/1.htm``. The pager's own 下页 link is followed; where a template has none (pagers written
by script, numbered links only), the next file is worked out from the numbers: from ``<col>.htm``
the highest ``<col>/M.htm`` it links, from ``<col>/M.htm`` the file ``M−1``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter

_PAGE_FILE = re.compile(r"^(.*)/(\d+)\.htm$")


class VsbAdapter(CmsAdapter):
    family = "vsb"
    markers = (
        r"vsb_content|v_news_content",
        r"_showDynClick",
        r"/info/\d+/\d+\.htm",
        r"class=\"p_(?:pages|no|next|t)",
        r"/system/_content/download\.jsp",
        r"wbtreeid|wbnewsid",
    )
    detail_pattern = r"/info/\d+/\d+\.htm(?:$|\?)|content\.jsp\?.*wbnewsid="

    def next_page(self, response: Response, sel: Selector) -> Request | None:
        # Page numbers count down, so follow the pager's own 下页 link instead of computing it.
        href = sel.css(".p_next a::attr(href), .p_next_d a::attr(href)").get()
        if not href:
            href = sel.xpath("//a[normalize-space(.)='下页' or normalize-space(.)='下一页']/@href").get()
        if href and href.startswith("javascript"):
            return None
        url = urljoin(response.url, href) if href else self._counted_down(response, sel)
        return None if not url or url == response.url else Request(url)

    def _counted_down(self, response: Response, sel: Selector) -> str | None:
        """The next page from the file numbers alone (a pager without a 下页 link)."""
        parts = urlsplit(response.url)
        here = _PAGE_FILE.match(parts.path)
        if here:  # <col>/M.htm → <col>/(M−1).htm, the last page being 1.htm
            number = int(here.group(2))
            return urljoin(response.url, f"{number - 1}.htm") if number > 1 else None
        if not parts.path.endswith(".htm"):
            return None
        folder = parts.path[: -len(".htm")]  # <col>.htm → the files in <col>/
        numbers = []
        for href in sel.xpath("//a/@href").getall():
            m = _PAGE_FILE.match(urlsplit(urljoin(response.url, href)).path)
            if m and m.group(1) == folder:
                numbers.append(int(m.group(2)))
        return urljoin(response.url, f"{folder}/{max(numbers)}.htm") if numbers else None
