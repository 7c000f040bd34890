"""Sites without a known CMS: the site's ``selectors`` (CSS or XPath), else every link + 下一页."""

from __future__ import annotations

from urllib.parse import urljoin

from parsel import Selector, SelectorList
from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, ListPage, _selector
from crawler.discovery import ListEntry, normalize_date, normalize_title, scan_anchors
from core.settings import SiteSpec

_NEXT_TEXTS = ("下一页", "下页", "后一页", "next", "Next", ">")


def select(node: Selector, query: str) -> SelectorList[Selector]:
    """Run a selector written as XPath (starts with / or ( or .) or as CSS."""
    return node.xpath(query) if query.lstrip().startswith(("/", "(", ".")) else node.css(query)


def first_text(node: Selector, query: str | None) -> str:
    if not query:
        return ""
    found = select(node, query)
    if not found:
        return ""
    first = found[0]
    value = first.get() if isinstance(first.root, str) else " ".join(first.xpath(".//text()").getall())
    return normalize_title(value or "")


class GenericAdapter(CmsAdapter):
    family = "generic"

    def parse_list(self, response: Response, site: SiteSpec) -> ListPage:
        sel = _selector(response)
        sels = site.selectors
        if sels is not None and sels.item:
            links = [e for e in (self._entry(item, response.url, sels) for item in select(sel, sels.item)) if e]
            if not links:  # a page of another layout (a sub-column): every anchor, rather than nothing
                links = scan_anchors(sel, response.url)
        else:
            links = scan_anchors(sel, response.url)
        page = self.split_links(links, response.url)
        page.next_page = self._next(response, sel, sels.next_page if sels else None)
        return page

    def _entry(self, item: Selector, base: str, sels) -> ListEntry | None:  # type: ignore[no-untyped-def]
        link = select(item, sels.link)[0] if sels.link and select(item, sels.link) else (item.css("a[href]") or [None])[0]
        if link is None:
            return None
        href = link.get() if isinstance(link.root, str) else link.attrib.get("href")
        if not href:
            return None
        title = first_text(item, sels.title)
        if not title and not isinstance(link.root, str):
            title = normalize_title(link.attrib.get("title") or " ".join(link.xpath(".//text()").getall()))
        date = normalize_date(first_text(item, sels.date) if sels.date else " ".join(item.xpath(".//text()").getall()))
        return ListEntry(urljoin(base, href.strip()), title, date)

    def _next(self, response: Response, sel: Selector, query: str | None) -> Request | None:
        href = None
        if query:
            found = select(sel, query)
            if found:
                first = found[0]
                href = first.get() if isinstance(first.root, str) else first.attrib.get("href")
        if not href:
            for a in sel.xpath("//a[@href]"):
                if normalize_title(" ".join(a.xpath(".//text()").getall())) in _NEXT_TEXTS:
                    href = a.attrib["href"]
                    break
        if not href or href.strip().startswith(("javascript", "#")):
            return None
        url = urljoin(response.url, href.strip())
        return None if url == response.url else Request(url)
