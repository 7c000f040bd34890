"""The interface of a CMS family adapter: read a list page, find the next one, find attachments.

An adapter knows one family's URL shapes and list formats; it holds no state. Pagination state
that a family needs (a Hanweb record window, a gkmlpt page number) travels in the request's
``meta["list_state"]``, so requests stay serialisable for JOBDIR and shared schedulers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse

from crawler.discovery import ListEntry, classify_entry, is_more_below, looks_like_index, scan_anchors
from core.mediatype import ATTACHMENT_EXTENSIONS, extension_of
from core.settings import SiteSpec

_ATTACHMENT_URL = re.compile(r"download\.jsp|downfile\.jsp|/attachment/|/P0\d{10,}|\.(?:" + "|".join(ATTACHMENT_EXTENSIONS) + r"|txt)(?:$|\?)", re.I)
_ATTACHMENT_TEXT = re.compile(r"\.(?:" + "|".join(ATTACHMENT_EXTENSIONS) + r"|txt)\s*$|附件", re.I)
# Anything on a page that could be an attachment link: pages without it skip the anchor scan.
_ATTACHMENT_HINT = re.compile(
    r"附件|download\.jsp|downfile\.jsp|/attachment/|/P0\d{10}|\.(?:" + "|".join(ATTACHMENT_EXTENSIONS) + r"|txt)(?:[\"'?\s>#]|$)", re.I
)


@dataclass
class ListPage:
    """What one list page yields."""

    entries: list[ListEntry] = field(default_factory=list)  # article links (reports and others)
    subcolumns: list[ListEntry] = field(default_factory=list)  # year/category index pages to descend
    next_page: Request | None = None  # the following page of this same list, if any
    # Links left out, with why (duplicate, self, navigation): the crawl audit's evidence.
    dropped: list[tuple[ListEntry, str]] = field(default_factory=list)


class CmsAdapter:
    """One CMS family. Subclasses set ``family``, ``markers`` and override what differs."""

    family: ClassVar[str] = ""
    markers: ClassVar[tuple[str, ...]] = ()  # regexes; each one found on the first page scores a point
    detail_pattern: ClassVar[str | None] = None  # regex of the family's article URLs

    # Detection -----------------------------------------------------------------------------
    @classmethod
    def detect(cls, response: Response) -> int:
        """How strongly a page looks like this family (0 = not at all)."""
        return cls.score(response.url + "\n" + _text(response))

    @classmethod
    def score(cls, haystack: str) -> int:
        """How many of the family's markers ``haystack`` (URL and page text) shows."""
        return sum(1 for m in cls.markers if re.search(m, haystack))

    @classmethod
    def keeps_fragment(cls, url: str) -> bool:
        """Whether the fragment of ``url`` names a page of its own (an SPA route); False for most."""
        return False

    # Lists ---------------------------------------------------------------------------------
    def parse_list(self, response: Response, site: SiteSpec) -> ListPage:
        """Entries, sub-columns and the next page of a list page (HTML lists by default)."""
        sel = _selector(response)
        page = self.split_links(self.list_links(sel, response), response.url)
        page.next_page = self.next_page(response, sel)
        return page

    def list_links(self, sel: Selector, response: Response) -> list[ListEntry]:
        """The links of a list page; by default every anchor with its title and row date."""
        return scan_anchors(sel, response.url)

    def next_page(self, response: Response, sel: Selector) -> Request | None:
        """The request for the page after this one, or None on the last page."""
        return None

    def split_links(self, links: list[ListEntry], page_url: str) -> ListPage:
        """Sort links into article entries and sub-columns; drop navigation."""
        page = ListPage()
        seen: set[str] = set()
        for link in links:
            key = route_key(link.url)
            if key in seen or key == route_key(page_url):
                page.dropped.append((link, "duplicate" if key in seen else "self"))
                continue
            if is_more_below(link, page_url):  # 部门年报 [更多]: the block's full list
                seen.add(key)
                page.subcolumns.append(link)
                continue
            kind = classify_entry(link, article_url=self.is_detail_url(link.url))  # recall first
            if key != link.url.split("#")[0] and kind != "subcolumn" and _names_a_report(link.title):
                seen.add(key)  # a 年报 column of an SPA platform (``/gkmlpt/index#2753``), never an article
                page.subcolumns.append(link)
                continue
            if kind == "subcolumn":
                seen.add(key)
                if self.is_detail_url(link.url) and not looks_like_index(link.url) and _names_a_report(link.title):
                    page.entries.append(link)  # "2023年政府信息公开年报" on an article URL: a report
                else:
                    page.subcolumns.append(link)
            elif kind in ("report", "excluded", "candidate"):
                seen.add(key)
                if looks_like_index(link.url) and not self.is_detail_url(link.url):
                    page.subcolumns.append(link)  # a 年报 folder, never a report itself
                else:
                    page.entries.append(link)
            else:
                page.dropped.append((link, "navigation"))
        return page

    def is_detail_url(self, url: str) -> bool:
        """Whether ``url`` has the shape of this family's article pages."""
        return bool(self.detail_pattern and re.search(self.detail_pattern, url))

    # Details -------------------------------------------------------------------------------
    def attachments(self, response: Response) -> list[ListEntry]:
        """Attachment links of a detail page (files, ``download.jsp``), with their link text."""
        if not isinstance(response, TextResponse) or not _may_link_files(response):
            return []
        out: list[ListEntry] = []
        seen: set[str] = set()
        for link in scan_anchors(_selector(response), response.url, dates=False):
            if link.url in seen or not (_ATTACHMENT_URL.search(link.url) or _ATTACHMENT_TEXT.search(link.title)):
                continue
            if extension_of(link.url) in ("htm", "html", "shtml", "jsp") and "download" not in link.url and "downfile" not in link.url:
                continue
            seen.add(link.url)
            out.append(ListEntry(link.url, link.title or unquote(urlsplit(link.url).path.rsplit("/", 1)[-1])))
        return out

    def list_state(self, response: Response) -> dict[str, Any]:
        return dict(response.meta.get("list_state") or {})


# What every match of _ATTACHMENT_HINT contains, lower-cased. Substring tests on the page's bytes
# are memchr-fast; the case-insensitive alternation scans every position of the decoded page.
_HINT_BYTES = (b"download.jsp", b"downfile.jsp", b"/attachment/", b"/p0", *(f".{e}".encode() for e in (*ATTACHMENT_EXTENSIONS, "txt")))


def _may_link_files(response: TextResponse) -> bool:
    text = _text(response)
    if "附件" not in text and (response.encoding or "").lower().replace("-", "").replace("_", "") not in _NOT_ASCII_SAFE:
        low = response.body.lower()
        if not any(w in low for w in _HINT_BYTES):
            return False
    return _ATTACHMENT_HINT.search(text) is not None


_NOT_ASCII_SAFE = ("utf16", "utf16le", "utf16be", "utf32", "utf32le", "utf32be")


_ROUTE_FRAGMENT = re.compile(r"^(?:\d+|[/!].*)$")


def route_key(url: str) -> str:
    """``url`` without an in-page anchor, but with a fragment that routes an SPA (``#2753``, ``#/list``)."""
    base, _, fragment = url.partition("#")
    return url if fragment and _ROUTE_FRAGMENT.match(fragment) else base


def _names_a_report(title: str) -> bool:
    return bool(re.search(r"年报|年度报告", title))


def page_text(response: Response) -> str:
    """The decoded text of a page ("" for binary or undecodable bodies)."""
    return _text(response)


def _text(response: Response) -> str:
    if isinstance(response, TextResponse):
        try:
            return response.text
        except (UnicodeDecodeError, AttributeError):
            return ""
    return ""


def _selector(response: Response) -> Selector:
    if isinstance(response, TextResponse):
        return response.selector
    return Selector(text="<html></html>")
