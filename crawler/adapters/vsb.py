"""VSB 博达: ``<col>.htm`` then ``<col>/N.htm`` counting down; articles ``/info/<tree>/<id>.htm``."""

from __future__ import annotations

from urllib.parse import urljoin

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter


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
        if not href or href.startswith("javascript"):
            return None
        url = urljoin(response.url, href)
        return None if url == response.url else Request(url)
