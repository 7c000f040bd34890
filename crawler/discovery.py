"""Which list entries are annual reports, which are sub-columns to descend, and what is neither.

Judged from the entry's title as the list shows it (docs/portals.md §5), read by ``core.titles``:
a report names 年报 / 年度报告 / 信息公开工作报告 and a year; 解读, 图解, 一图读懂 and notices about
compiling reports are clear negative evidence; a bare year (2023年) or a category (县级部门, 乡镇)
is a sub-column of the column tree. Recall first (``classify_entry``): inside a configured column
every other article or attachment link is a candidate, fetched for the parser to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from parsel import Selector

from core import titles
from core.mediatype import follows_link_to

TitleKind = Literal["report", "excluded", "subcolumn", "other"]
EntryKind = Literal["report", "candidate", "excluded", "subcolumn", "other"]

_REPORT = re.compile(r"年报|年度报告|信息公开工作报告|工作年度报|信息公开年度")
_SUBCOLUMN_YEAR = re.compile(r"^\s*((?:20[0-4]\d|199\d)|[〇零○O一二三四五六七八九]{4})\s*年?\s*度?\s*(?:政府信息公开)?\s*(?:工作)?\s*(?:年报|年度报告)?\s*$")
_SUBCOLUMN_CATEGORY = re.compile(
    r"^\s*(?:[县市区旗州]?(?:级|直|属)?(?:部门|单位|政府部门|工作部门)|乡镇(?:[（(]?街道[）)]?)?|街道|镇街|乡镇人民政府|"
    r"(?:县|市|区)?政府(?:办公室)?|本级政府|部门年报|乡镇年报|街道年报|政府年报|[县市区]政府年报)\s*(?:年报|年度报告)?\s*$"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_SKIP_HREF = re.compile(r"^\s*(?:javascript:|mailto:|tel:|#|data:)", re.I)
# Pager and site chrome: never an article, whatever else the link looks like.
_NAVIGATION_TEXT = re.compile(
    r"^(?:首页|网站首页|上一?页|下一?页|前页|后页|尾页|末页|第?\d{1,4}页?|更多|more|返回|<<|>>|<|>|«|»|\.\.\.|…|"
    r"网站地图|联系我们|关于我们|无障碍|English|登录|注册|打印|关闭|收藏)$",
    re.I,
)
# Article URLs of the CMS families and of most hand-made sites: a CMS id or a dated path.
_ARTICLE_URL = re.compile(
    r"/t\d{8}_\d+|/art/\d{4}/\d{1,2}/\d{1,2}/|/content/(?:\d+/\d+/)?post_\d+|/info/\d+/\d+|/\d{4}-?\d{2}(?:-?\d{2})?/[^/]*\d[^/]*\.\w+$"
    r"|[?&](?:id|articleid|newsid|wbnewsid|contentid|docid|infoid)=\w+",
    re.I,
)


@dataclass(frozen=True)
class ListEntry:
    """A link found on a list page: where it goes, its title, the date the list shows."""

    url: str
    title: str
    list_date: str | None = None


def normalize_title(text: str) -> str:
    """A link title as the list shows it, whitespace (incl. U+3000 and &nbsp;) collapsed; the
    matching form of titles is ``core.titles.normalize_title``."""
    return re.sub(r"[\s\u3000\xa0]+", " ", text or "").strip()


def report_year(title: str) -> int | None:
    """The year a list title reports on (``core.titles.report_year``), else None."""
    return titles.report_year(title)


def classify_title(title: str) -> TitleKind:
    """From the title alone: ``report`` (names a report and a year), ``excluded`` (clear negative
    evidence: 解读, 通知 about compiling reports…), ``subcolumn`` (a year or category index) or
    ``other`` (nothing to tell)."""
    t = titles.normalize_title(title)
    if not t:
        return "other"
    if _SUBCOLUMN_YEAR.match(t) or _SUBCOLUMN_CATEGORY.match(t):
        return "subcolumn"
    if titles.negative_evidence(t):
        return "excluded"
    if _REPORT.search(t.replace(" ", "")) and titles.report_year(t):
        return "report"
    return "other"


def classify_entry(entry: ListEntry, *, article_url: bool = False) -> EntryKind:
    """What a link of a configured 年报 column is, recall first: besides ``classify_title``'s
    kinds, every article or attachment link whose title says nothing either way (no year, no
    年报 words, cut short with …) is a ``candidate``: it is fetched and the parser decides.
    ``article_url``: the adapter knows the URL as one of its family's article pages. Links that
    are pager or site chrome, or index pages, stay ``other``; so do links of no article shape and
    no date whose title does not name a report either."""
    kind = classify_title(entry.title)
    if kind != "other":
        return kind
    if not entry.title.strip():  # a thumbnail's link: its titled twin on the same row decides
        return "candidate" if follows_link_to(entry.url) else "other"
    if _NAVIGATION_TEXT.match(normalize_title(entry.title)) or (looks_like_index(entry.url) and not article_url):
        return "other"
    if article_url or follows_link_to(entry.url) or _ARTICLE_URL.search(entry.url) or titles.is_report_title(entry.title):
        return "candidate"  # a title naming a report needs no URL shape or date (a hand-made /nb/5.html)
    return "candidate" if entry.list_date else "other"


_PAGER_FILE = re.compile(r"^(?:index|list|default)(?:_\d+)*$")
_MORE = re.compile(r"^(?:更多|查看更多|more|更多信息)\s*(?:>>|»|>|＞＞)?$", re.I)


def is_more_below(entry: ListEntry, page_url: str) -> bool:
    """A 更多 link into a folder below the list page's own (``/nb/index.html`` → ``/nb/bmnb/``):
    the full list of a block the page shows only the top of (部门年报 [更多]). 更多 links elsewhere
    (the portal's news) are site chrome."""
    if not _MORE.match(normalize_title(entry.title)):
        return False
    here, there = urlsplit(page_url), urlsplit(entry.url)
    folder, _, own = here.path.rpartition("/")
    own_stem = own.split(".")[0]
    if there.netloc != here.netloc or not there.path.startswith(folder + "/"):
        return False
    rest = there.path[len(folder) + 1 :]
    if not rest or there.path == here.path:
        return False
    if "/" in rest:  # a folder below; not a numbered page of this list (VSB: nb.htm → nb/12.htm)
        return not (own_stem and rest.startswith(own_stem + "/") and rest[len(own_stem) + 1 :].split(".")[0].isdigit())
    # A file beside an index page (its folder is the column's): a list of its own, not a page of this one.
    stem = rest.split(".")[0]
    return bool(_PAGER_FILE.match(own_stem or "index")) and not (stem.isdigit() or _PAGER_FILE.match(stem))


def wanted(entry: ListEntry, year: int | None = None) -> bool:
    """Whether to fetch an entry an adapter listed as an article: all but those whose title is
    clear negative evidence; with ``year`` (a year-restricted recrawl), not those whose title
    names another year (a title without a year is fetched)."""
    return unwanted_reason(entry, year) is None


def unwanted_reason(entry: ListEntry, year: int | None = None) -> str | None:
    """Why ``wanted`` leaves an entry out (``excluded_title``, ``other_year``), else None."""
    if classify_title(entry.title) == "excluded":
        return "excluded_title"
    if year is not None:
        named = titles.report_year(entry.title)
        if named is not None and named != year:
            return "other_year"
    return None


def normalize_date(text: str | None) -> str | None:
    """The first date in ``text`` as YYYY-MM-DD, else None."""
    if not text:
        return None
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def looks_like_index(url: str) -> bool:
    """A URL of a column/index page rather than an article (never emitted as a report)."""
    path = urlsplit(url).path
    return path.endswith("/") or bool(re.search(r"/(?:index|default|list)(?:_\d+)?\.s?html?$", path, re.I))


def scan_anchors(selector: Selector, base_url: str, *, dates: bool = True) -> list[ListEntry]:
    """Every link of a page with its best title (``title`` attribute first) and the date beside it.

    ``dates=False`` skips looking for the date (attachment links have none worth the XPath).
    """
    out: list[ListEntry] = []
    for a in selector.xpath("//a[@href]"):
        href = a.attrib.get("href", "")
        if _SKIP_HREF.match(href):
            continue
        title = normalize_title(a.attrib.get("title") or "")
        text = normalize_title(" ".join(a.xpath(".//text()").getall()))
        if not title or (text and len(text) > len(title) and not text.endswith("...")):
            title = title or text
        out.append(ListEntry(urljoin(base_url, href.strip()), title, _date_near(a) if dates else None))
    return out


def _date_near(a: Selector) -> str | None:
    """The date printed in the link's own row (li/tr/dd/p or its direct parent)."""
    own = normalize_date(" ".join(a.xpath(".//text()").getall()))
    if own:
        return own
    for xp in ("ancestor::li[1]", "ancestor::tr[1]", "ancestor::dd[1]", "ancestor::p[1]", ".."):
        row = a.xpath(xp)
        if row:
            text = " ".join(row[0].xpath(".//text()").getall())
            if len(text) < 400:  # a whole page is no "row"
                found = normalize_date(text)
                if found:
                    return found
    return None
