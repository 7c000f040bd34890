"""How strongly a link points to a portal's disclosure hub or to its 政府信息公开年报 column.

A person onboarding a portal follows 政府信息公开 / 政务公开 / 信息公开 to the disclosure hub, then
政府信息公开年报 / 年度报告 / 年报 to the column (docs/portals.md §1). These functions score a link by
what it says (its ``title`` attribute or text), by the heading of the block it sits in (a box headed
政府信息公开年报 whose links read 本级政府 / 部门 / 乡镇 or 更多), and by its URL's slugs
(``zfxxgknb``, ``gknb``, ``ndbg``, ``xxgkndbg``, ``nb``, year folders; ``zwgk``, ``zfxxgk``, ``xxgk``,
``gkmlpt``; an ``xxgk.``/``zfxxgk.`` host). A fetched page adds its own evidence (``page_evidence``):
its title or ``ColumnName`` naming a 年报 column, report titles and year sub-columns in its list.
Every score carries its reasons, so an operator can see why a link won.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from tldextract import TLDExtract

from core import titles
from crawler.discovery import classify_title, normalize_title

COLUMN_MIN = 5  # a link scoring this as a column is fetched as a column candidate
HUB_MIN = 4  # a link scoring this as a hub is followed towards the column

_BLANK = re.compile(r"[\s\u3000\xa0>»›》<«‹《\[\]【】|:：·•\-—_]+")
_NIANBAO = re.compile(r"年报|年度报告|信息公开工作报告")
# 统计年报, 决算, 企业年报…: annual reports of another kind.
_OTHER_ANNUAL = re.compile(r"统计|财务|决算|预算|企业|工商|社保|年检|审计|环境|质量|慈善")
_MORE = re.compile(r"^(?:更多|more|查看更多|进入专栏|进入)$", re.I)
_HUB_WORDS = (("政府信息公开", 5), ("政务公开", 4), ("信息公开", 4), ("公开目录", 4), ("主动公开", 2))
# Siblings of the 年报 column inside the hub, not hubs themselves.
_NOT_HUB = re.compile(r"指南|制度|规定|申请|意见|年报|年度报告|监督|保障|解读|通知|公告|办法|条例")
_COLUMN_SLUGS = {"zfxxgknb", "xxgknb", "gknb", "xxgkndbg", "zfxxgkndbg", "ndbg", "gkndbg", "annualreport", "xxgkannualreport"}
_YEAR_SLUG = re.compile(r"^(?:(?:gk|xxgk)?nb_?\d{4}n?|\d{4}n?nb|n\d{4}n|\d{4}nd)$")
_HUB_SLUGS = {"zwgk", "zfxxgk", "xxgk", "gkml", "gkmlpt", "zfxxgkpt", "zfxxgkzl", "openness", "gongkai", "xxgkml", "zfgk", "govinfo", "xxgkpt"}
_HUB_HOSTS = {"xxgk", "zfxxgk", "gk", "zwgk", "gongkai", "xxgkml"}
_SCRIPTED_TITLE = re.compile(r"[^<>\"'\s]{2,40}(?:19|20)\d{2}年[^<>\"'\s]{0,24}(?:年度报告|年报)")
_SCRIPT_REDIRECT = re.compile(
    r"(?:window\.|top\.|self\.|document\.)?location(?:\.href)?\s*=\s*[\"']([^\"']+)[\"']|location\.(?:replace|assign)\(\s*[\"']([^\"']+)[\"']"
)
_NOT_A_PAGE = re.compile(r"^(?:javascript:|mailto:|tel:|#|data:|$)", re.I)
_YEAR_ONLY = re.compile(r"^(?:(?:19|20)\d{2}|[〇○零O一二三四五六七八九]{4})年?度?$")  # 2023年, 二〇二三年度
_offline_domains = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True, cache_dir=None)


@dataclass(frozen=True)
class LinkScore:
    """Evidence that a link leads to a 年报 column (``column``) or to the disclosure hub (``hub``)."""

    column: int = 0
    hub: int = 0
    reasons: tuple[str, ...] = ()  # why ``column``
    hub_reasons: tuple[str, ...] = ()  # why ``hub``
    year_level: bool = False  # a year sub-column of a 年报 tree, not the tree's root


@dataclass(frozen=True)
class PortalLink:
    """A link of a fetched page: target, the words a reader sees, the heading of its block, its score."""

    url: str
    text: str
    context: str
    score: LinkScore


def compact(text: str) -> str:
    """Link text in the titles' matching form (traditional → simplified, full-width → ASCII;
    ``core.titles``) without spaces, arrows and brackets (``【政府資訊公開年報】`` → ``政府信息公开年报``)."""
    return _BLANK.sub("", titles.normalize_title(text))


def _slugs(url: str) -> tuple[list[str], str]:
    parts = urlsplit(url)
    segments = [re.sub(r"\.[a-z]+$", "", s) for s in parts.path.lower().split("/") if s]
    return segments, (parts.query + "#" + parts.fragment).lower()


def score_link(url: str, text: str, context: str = "") -> LinkScore:
    """How strongly a link with ``text`` (under a block headed ``context``) leads to a 年报 column or the hub."""
    t, ctx = compact(text), compact(context)
    kind = classify_title(t)
    if kind in ("report", "excluded") and not _YEAR_ONLY.match(t):
        # One report (or a 解读 of one): evidence about the page it is listed on, not a column.
        return LinkScore(reasons=(f"a {'report' if kind == 'report' else 'page about a report'}, not a column",))
    reasons: list[str] = []
    column = _column_by_text(t, reasons)
    year_level = False
    if not column and ctx and _NIANBAO.search(ctx) and not _OTHER_ANNUAL.search(ctx):
        points, year_level = _column_by_block(t, ctx, kind, reasons)
        column += points
    segments, rest = _slugs(url)
    column += _column_by_slug(segments, rest, reasons)
    year_slug = next((s for s in segments if _YEAR_SLUG.match(s)), None)
    if year_slug and column:
        year_level = True
        reasons.append(f"year folder {year_slug}")
    if column and (_YEAR_ONLY.match(t) or year_level):
        year_level = True
    hub, hub_reasons = _hub_evidence(url, t, segments)
    return LinkScore(column, hub, tuple(reasons), tuple(hub_reasons), year_level)


def _column_by_text(t: str, reasons: list[str]) -> int:
    """Points for link words naming a 年报 column (not another kind of annual report)."""
    if not (t and _NIANBAO.search(t) and not _OTHER_ANNUAL.search(t)):
        return 0
    if "信息公开" in t and len(t) <= 24:
        reasons.append(f"text names the column ({t})")
        return 8
    if len(t) <= 12:
        reasons.append(f"text names a 年报 column ({t})")
        return 6
    reasons.append("long text mentioning 年报")
    return 2


def _column_by_block(t: str, ctx: str, kind: str, reasons: list[str]) -> tuple[int, bool]:
    """Points (and whether it is a year level) for a link in a block headed by a 年报 heading:
    its 更多 link, a year or a category of the tree."""
    if _MORE.match(t):
        reasons.append(f"更多 link of a block headed {ctx}")
        return 6, False
    if kind == "subcolumn" and _YEAR_ONLY.match(t):
        reasons.append(f"year {t} in a block headed {ctx}")
        return 3, True
    if kind == "subcolumn":
        reasons.append(f"category {t} in a block headed {ctx}")
        return 5, False
    return 0, False


def _column_by_slug(segments: list[str], rest: str, reasons: list[str]) -> int:
    """Points for a 年报 slug in the URL's path (or query and fragment)."""
    slug = next((s for s in segments if s in _COLUMN_SLUGS), None) or next((k for k in _COLUMN_SLUGS if k in rest), None)
    if slug:
        reasons.append(f"URL slug {slug}")
        return 3
    if any(s == "nb" for s in segments):
        reasons.append("URL slug nb")
        return 2
    return 0


def _hub_evidence(url: str, t: str, segments: list[str]) -> tuple[int, list[str]]:
    """Points, with reasons, for a link to the disclosure hub: its words, a hub slug, a disclosure host."""
    hub, reasons = 0, []
    if t and not _NOT_HUB.search(t):
        word = next(((w, n) for w, n in _HUB_WORDS if w in t), None)
        if word:
            hub += word[1] if len(t) <= 12 else 2
            reasons.append(f"text names the disclosure hub ({t})")
    hub_slug = next((s for s in segments if s in _HUB_SLUGS), None)
    if hub_slug:
        hub += 2
        reasons.append(f"URL slug {hub_slug}")
    host = (urlsplit(url).hostname or "").lower()
    if host.split(".")[0] in _HUB_HOSTS:
        hub += 2
        reasons.append(f"disclosure host {host}")
    return hub, reasons


def block_heading(anchor: Selector) -> str:
    """The heading of the box a link sits in: the nearest preceding heading-like element of its
    enclosing blocks (h1–h6, ``.title``/``.tit``/``.hd`` elements, ``<dt>``, a table caption)."""
    xpath = (
        "ancestor-or-self::*[position() <= 4]/preceding-sibling::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
        " or self::dt or self::caption or contains(@class, 'title') or contains(@class, 'tit') or contains(@class, 'hd')][1]"
    )
    for node in reversed(anchor.xpath(xpath)):  # document order: the nearest heading comes last
        text = normalize_title(" ".join(node.xpath(".//text()").getall()))
        if text and len(text) <= 30:
            return text
    return ""


def page_links(selector: Selector, base_url: str) -> list[PortalLink]:
    """Every link of a page (anchors, and frames: hubs embed lists in iframes) with its words (the
    ``title`` attribute or the text, whichever says more), the heading of its block and its score."""
    out: list[PortalLink] = []
    for node in selector.xpath("//a[@href] | //iframe[@src] | //frame[@src]"):
        href = (node.attrib.get("href") or node.attrib.get("src") or "").strip()
        if _NOT_A_PAGE.match(href):
            continue
        title = normalize_title(node.attrib.get("title") or node.attrib.get("name") or "")
        text = normalize_title(" ".join(node.xpath(".//text()").getall()))
        words = text if len(text) > len(title) else title
        url = urljoin(base_url, href)
        context = block_heading(node)
        out.append(PortalLink(url, words, context, score_link(url, words, context)))
    return out


def script_redirect(text: str, base_url: str) -> str | None:
    """Where a page sends browsers by script (``window.location.href = "…"``, ``location.replace(…)``):
    many portals' root pages are nothing else."""
    m = _SCRIPT_REDIRECT.search(text)
    if not m:
        return None
    target = next(g for g in m.groups() if g)
    return None if _NOT_A_PAGE.match(target) else urljoin(base_url, target.strip())


def page_evidence(selector: Selector, links: list[PortalLink], text: str = "") -> tuple[int, list[str]]:
    """How much a fetched page looks like a 年报 column itself: its title or ``ColumnName`` naming
    one, the report titles it lists (as links, or in ``text``, the page's source, where a list is
    rendered by script: Hanweb's inline ``<datastore>``), the year sub-columns it offers."""
    score, reasons = 0, []
    names = [titles.normalize_title(x) for x in (selector.xpath("//title/text()").get(""), selector.xpath("//meta[@name='ColumnName']/@content").get(""))]
    named = next((n for n in names if n and _NIANBAO.search(n) and not _OTHER_ANNUAL.search(n) and classify_title(n) != "report"), None)
    if named:
        score += 4
        reasons.append(f"page title names a 年报 column ({named[:30]})")
    reports = {link.url for link in links if classify_title(link.text) == "report"}
    if reports:
        score += min(len(reports), 4)
        reasons.append(f"lists {len(reports)} report title(s)")
    else:
        scripted = {t for t in _SCRIPTED_TITLE.findall(text) if classify_title(t) == "report"}
        if scripted:
            score += min(len(scripted), 4)
            reasons.append(f"its source names {len(scripted)} report title(s) outside links (a script-rendered list)")
    years = {link.url for link in links if classify_title(link.text) == "subcolumn" and _YEAR_ONLY.match(compact(link.text))}
    if years:
        score += 2
        reasons.append(f"offers {len(years)} year sub-column(s)")
    return score, reasons


def site_name(selector: Selector) -> str:
    """The portal's name: the ``SiteName`` meta, else the part of the ``<title>`` that names a body."""
    meta = normalize_title(selector.xpath("//meta[@name='SiteName' or @name='sitename']/@content").get(""))
    if meta:
        return meta
    title = normalize_title(selector.xpath("//title/text()").get(""))
    parts = [p.strip() for p in re.split(r"\s*[-_|—–·]+\s*", title) if p.strip()]
    body = next((p for p in parts if re.search(r"政府|人民|委员会|局$|办公室", p)), parts[0] if parts else "")
    return re.sub(r"(?:门户网站|网站|首页|欢迎您?)$", "", body).strip()


def registered_domain(host: str) -> str:
    """``xxgk.foo.gov.cn`` → ``foo.gov.cn``; an IP address or a bare name stays as it is."""
    if is_ip(host):
        return host
    parts = _offline_domains(host)
    return f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else host


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
