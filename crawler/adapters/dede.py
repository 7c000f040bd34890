"""DedeCMS / PHPCMS: ``list_<tid>_<n>.html`` or ``/plus/list.php?tid=&PageNo=`` with a 下一页 link.

The pager's 下一页 link is followed; where it is missing (a template that writes only numbers),
the next page is counted from the URL and the pager's ``共 N页``: ``list_<tid>_<n+1>.html``
(page 1 being ``index.html`` or ``list_<tid>_1.html``) or ``PageNo=<n+1>``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import ListPage, _selector
from crawler.adapters.generic import GenericAdapter
from core.settings import SiteSpec

_PAGE_COUNT = re.compile(r"共\s*(?:<[^>]+>\s*)*(\d+)\s*(?:<[^>]+>\s*)*页")
_LIST_FILE = re.compile(r"list_(\d+)_(\d+)\.html$")


class DedeAdapter(GenericAdapter):
    family = "dede"
    markers = (
        r"/plus/list\.php\?tid=",
        r"list_\d+_\d+\.html",
        r"dede_pages|class=\"pagelist\"",
        r"/plus/view\.php\?aid=",
        r"/a/[\w/]+/\d{4}/\d{4}/\d+\.html",
    )
    detail_pattern = r"/plus/view\.php\?aid=\d+|/\d{4}/\d{4}/\d+\.html$|/\d{6}/\d+\.html$"

    def parse_list(self, response: Response, site: SiteSpec) -> ListPage:
        page = super().parse_list(response, site)
        if page.next_page is None:
            url = self._counted_next(response, _selector(response))
            page.next_page = Request(url) if url else None
        return page

    def _counted_next(self, response: Response, sel: Selector) -> str | None:
        pager = " ".join(sel.css(".pagelist, .dede_pages, .pageinfo").getall()) or response.text
        count_m = _PAGE_COUNT.search(pager)
        if not count_m:
            return None
        count = int(count_m.group(1))
        parts = urlsplit(response.url)
        if parts.path.endswith("/plus/list.php"):
            query = dict(parse_qsl(parts.query))
            number = int(query.get("PageNo") or query.get("pageno") or 1)
            if number >= count:
                return None
            query["PageNo"] = str(number + 1)
            return urlunsplit(parts._replace(query=urlencode(query)))
        here = _LIST_FILE.search(parts.path)
        if here:
            tid, number = here.group(1), int(here.group(2))
        else:  # the column's index.html: the tid from the pager's own links
            tid_m = re.search(r"list_(\d+)_\d+\.html", pager)
            if not tid_m:
                return None
            tid, number = tid_m.group(1), 1
        return urljoin(response.url, f"list_{tid}_{number + 1}.html") if number < count else None
