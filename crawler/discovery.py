"""Which list entries are annual reports, which are sub-columns to descend, and what is neither.

Judged from the entry's title as the list shows it (docs/portals.md §5): a report names 年报 /
年度报告 / 信息公开工作报告 and a year; 解读, 图解, 一图读懂 and notices about compiling reports are
not reports; a bare year (2023年) or a category (县级部门, 乡镇) is a sub-column of the column tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit

from parsel import Selector

TitleKind = Literal["report", "excluded", "subcolumn", "other"]

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_YEAR_ARABIC = re.compile(r"(?<!\d)(20[0-4]\d|199\d)\s*年?")
_YEAR_CHINESE = re.compile(r"([〇零○O一二三四五六七八九]{4})\s*年")
_REPORT = re.compile(r"年报|年度报告|信息公开工作报告|工作年度报|信息公开年度")
_EXCLUDED = re.compile(r"解读|图解|一图读懂|读懂|图说|通知|部署|编制|格式|问答|视频|动漫|征集|培训|会议|转发|印发")
_SUBCOLUMN_YEAR = re.compile(r"^\s*((?:20[0-4]\d|199\d)|[〇零○一二三四五六七八九]{4})\s*年?\s*度?\s*(?:政府信息公开)?\s*(?:工作)?\s*(?:年报|年度报告)?\s*$")
_SUBCOLUMN_CATEGORY = re.compile(
    r"^\s*(?:[县市区旗州]?(?:级|直|属)?(?:部门|单位|政府部门|工作部门)|乡镇(?:[（(]?街道[）)]?)?|街道|镇街|乡镇人民政府|"
    r"(?:县|市|区)?政府(?:办公室)?|本级政府|部门年报|乡镇年报|街道年报|政府年报|[县市区]政府年报)\s*(?:年报|年度报告)?\s*$"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_SKIP_HREF = re.compile(r"^\s*(?:javascript:|mailto:|tel:|#|data:)", re.I)


@dataclass(frozen=True)
class ListEntry:
    """A link found on a list page: where it goes, its title, the date the list shows."""

    url: str
    title: str
    list_date: str | None = None


def normalize_title(text: str) -> str:
    """Collapse whitespace (incl. U+3000 and &nbsp;) and strip truncation dots."""
    return re.sub(r"[\s\u3000\xa0]+", " ", text or "").strip()


def report_year(title: str) -> int | None:
    """The year a title names (2023年 or 二〇二三年), else None."""
    m = _YEAR_ARABIC.search(title)
    if m:
        return int(m.group(1))
    m = _YEAR_CHINESE.search(title)
    if m:
        return int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
    return None


def classify_title(title: str) -> TitleKind:
    """``report``, ``excluded`` (解读/通知…), ``subcolumn`` (a year or category index) or ``other``."""
    t = normalize_title(title)
    if not t:
        return "other"
    if _SUBCOLUMN_YEAR.match(t) or _SUBCOLUMN_CATEGORY.match(t):
        return "subcolumn"
    if _REPORT.search(t):
        if _EXCLUDED.search(t):
            return "excluded"
        return "report" if report_year(t) else "other"
    return "other"


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
