"""HTML → rows of cells: paragraphs become one-cell text rows, each data ``<table>`` becomes a
rectangular grid with rowspan/colspan expanded (the spanning cell's text in its top-left slot,
'' in the slots it covers — the same shape the tab-separated text layout has).

Besides the rows of the article body, :func:`read_html` collects what the page chrome says about
the document: head metas, the title candidates, the metadata table lines and attachment links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.etree

from core.mediatype import ATTACHMENT_EXTENSIONS
from parser.text_rows import Row, strip_markup, text_to_rows

_SKIP = frozenset(
    "script style noscript template head select option textarea button iframe object embed svg canvas map "
    "title meta link".split()
)
_BLOCK = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol tr td th table tbody thead tfoot section article header footer blockquote "
    "pre hr dd dt dl form center address figure figcaption caption main nav aside body html".split()
)
_MAX_GRID = 200_000  # expanded cells per table
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONTENT_CLASSES = ("TRS_Editor", "trs_editor_view", "TRS_UEDITOR", "v_news_content", "article-content", "article_con")
_CONTENT_IDS = ("UCAP-CONTENT", "zoom")
# Attachments are the files core.mediatype's table says the crawler follows (PDF, Word, WPS, Excel,
# ET, OFD, archives), or download scripts.
_ATTACH_EXTS = tuple(sorted(ATTACHMENT_EXTENSIONS, key=len, reverse=True))
_ATTACH_EXT = re.compile(r"\.(" + "|".join(_ATTACH_EXTS) + r")(?:$|[?#&])", re.I)
_DOWNLOAD = re.compile(r"download\.jsp|downfile\.jsp|/download\b|filedownload", re.I)
# What every link _is_attachment accepts holds somewhere in the page's bytes, lower-cased (ASCII in
# GBK and UTF-8 alike): words first (substring tests are memchr-fast), then the exact shape.
_ANY_ATTACHMENT_WORDS = (*(f".{e}".encode() for e in _ATTACH_EXTS), b"download", b"downfile")
_ANY_ATTACHMENT = re.compile(rb"\.(?:" + "|".join(_ATTACH_EXTS).encode() + rb")\b|download|downfile")


@dataclass
class HtmlDocument:
    """What one HTML page holds, before any interpretation."""

    rows: list[Row] = field(default_factory=list)  # the article body (or the whole body)
    chrome_lines: list[str] = field(default_factory=list)  # text outside the body (metadata tables…)
    metas: dict[str, str] = field(default_factory=dict)  # lower-cased name → content
    h1: str | None = None
    class_title: str | None = None
    html_title: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (absolute url, text) of attachments
    has_images: bool = False


def collapse(text: str) -> str:
    """Collapse runs of whitespace (NBSP and U+3000 included) to one space and trim."""
    return " ".join(text.split())


def _classes(el: lxml.etree._Element) -> list[str]:
    return (el.get("class") or "").split()


def _find_content(root: lxml.etree._Element) -> lxml.etree._Element | None:
    """The article body of known CMS templates (TRS, VSB, Hanweb ``#zoom``…), or None."""
    best: tuple[int, lxml.etree._Element] | None = None
    wanted = set(_CONTENT_CLASSES)
    # ElementPath attribute tests run in C; XPath contains() over every node is ten times slower.
    for el in root.iterfind(".//*[@class]"):
        cls = wanted.intersection(_classes(el))
        if cls:
            rank = min(_CONTENT_CLASSES.index(c) for c in cls)
            if best is None or rank < best[0]:
                best = (rank, el)
    if best is not None:
        return best[1]
    for ident in _CONTENT_IDS:
        el = root.find(f".//*[@id='{ident}']")
        if el is not None:
            return el
    for el in root.iterfind(".//*[@id]"):
        if (el.get("id") or "").startswith("vsb_content"):
            return el
    return None


def _hidden(el: lxml.etree._Element) -> bool:
    style = el.get("style")
    # Word puts a long style on every cell: test cheap substrings before the regex.
    if style and ("none" in style or "hidden" in style) and _HIDDEN.search(style):
        return True
    return el.get("hidden") is not None


def _span(value: str | None) -> int:
    if not value:
        return 1
    if not value.isdigit():
        m = re.match(r"\s*(\d+)", value)
        value = m.group(1) if m else "1"
    return min(max(int(value), 1), 200)


def cell_text(el: lxml.etree._Element) -> str:
    """Visible text of a table cell. Word splits words and numbers into runs, so the pieces are
    joined without separators (scripts and styles are stripped from the tree beforehand)."""
    return " ".join("".join(el.itertext()).split())


def table_grid(table: lxml.etree._Element) -> list[list[str]]:
    """A leaf ``<table>`` as a rectangular grid with rowspan/colspan expanded."""
    filled: dict[tuple[int, int], str] = {}
    width = 0
    r = 0
    for tr in table.iter("tr"):
        if _hidden(tr):
            continue
        c = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th") or _hidden(td):
                continue
            while (r, c) in filled:
                c += 1
            rowspan, colspan = td.get("rowspan"), td.get("colspan")
            rs = _span(rowspan) if rowspan else 1
            cs = _span(colspan) if colspan else 1
            if len(filled) + rs * cs > _MAX_GRID:  # hostile spans: no real table is this large
                rs = cs = 1
            text = strip_markup(cell_text(td))
            filled[(r, c)] = text
            if rs > 1 or cs > 1:
                for dr in range(rs):
                    for dc in range(cs):
                        if dr or dc:
                            filled[(r + dr, c + dc)] = ""
            c += cs
            width = max(width, c)
        r += 1
    width = min(width, max(1, 2 * _MAX_GRID // max(r, 1)))
    grid = []
    for i in range(r):
        row = [filled.get((i, j), "") for j in range(width)]
        if any(row):
            grid.append(row)
    return grid


def may_link_attachments(data: bytes) -> bool:
    """False when no link of this HTML page can be an attachment link to the parser (so the page
    cannot be a link page), decided from the raw bytes without parsing them."""
    low = data.lower()
    return any(w in low for w in _ANY_ATTACHMENT_WORDS) and _ANY_ATTACHMENT.search(low) is not None


def _is_attachment(href: str, text: str) -> bool:
    return bool(_ATTACH_EXT.search(href) or _DOWNLOAD.search(href) or _ATTACH_EXT.search(text + "?"))


def parse_tree(text: str) -> lxml.etree._Element | None:
    """lxml tree of a page, or None when there is nothing to parse."""
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        # huge_tree lifts libxml2's depth limit of 256: pages with thousands of unclosed
        # <font> tags would otherwise lose everything below it.
        root = lxml.etree.fromstring(text, lxml.etree.HTMLParser(huge_tree=True, remove_comments=True))
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    if root is not None:
        lxml.etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)
    return root


def _read_head(root: lxml.etree._Element, doc: HtmlDocument) -> None:
    """The head's metas (first of each name) and ``<title>`` into ``doc``."""
    head = root.find("head")
    if head is None:
        return
    for m in head.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        if name and m.get("content") is not None and name not in doc.metas:
            doc.metas[name] = collapse(m.get("content") or "")
    t = head.find("title")
    if t is not None:
        doc.html_title = collapse("".join(t.itertext())) or None


def _base_url(root: lxml.etree._Element, url: str | None) -> str | None:
    """The URL links resolve against: the page's ``<base href>`` if any, else its own URL."""
    base_el = root.find(".//base[@href]")
    if base_el is not None and url:
        return urljoin(url, base_el.get("href") or "")
    return url


def _first_h1(body: lxml.etree._Element) -> str | None:
    """Text of the first non-empty ``<h1>``."""
    for h in body.iter("h1"):
        t = collapse("".join(h.itertext()))
        if t:
            return t
    return None


def _class_title(body: lxml.etree._Element) -> str | None:
    """Text of the first short element with class ``title`` (the CMS's article title)."""
    for el in body.iterfind(".//*[@class]"):
        if "title" in (el.get("class") or "").lower().split():
            t = collapse("".join(el.itertext()))
            if t and len(t) < 120:
                return t
    return None


def _attachment_links(body: lxml.etree._Element, base: str | None) -> list[tuple[str, str]]:
    """(absolute url, text) of every distinct attachment link in the body, in page order."""
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in body.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        label = collapse("".join(a.itertext())) or collapse(a.get("title") or "")
        if not _is_attachment(href, label):
            continue
        absolute = urljoin(base, href) if base else href
        if absolute not in seen:
            seen.add(absolute)
            links.append((absolute, label))
    return links


def read_html(text: str, url: str | None = None) -> HtmlDocument:
    """Read an HTML page into body rows, chrome lines, metas, title candidates and attachment links."""
    doc = HtmlDocument()
    root = parse_tree(text)
    if root is None:
        return doc
    _read_head(root, doc)
    base = _base_url(root, url)
    body = root.find("body")
    if body is None:
        body = root
    _BodyWalker(doc, _find_content(body)).walk(body)
    doc.h1 = _first_h1(body)
    doc.class_title = _class_title(body)
    doc.links = _attachment_links(body, base)
    return doc


class _BodyWalker:
    """One pass over the body: rows inside the article ``content`` go to ``doc.rows``, the rest to
    ``doc.chrome_lines``. Iterative, because malformed pages nest unclosed tags thousands deep."""

    def __init__(self, doc: HtmlDocument, content: lxml.etree._Element | None) -> None:
        self.doc = doc
        self.content = content
        self.inside = content is None
        self.buf: list[str] = []
        self.stack: list[tuple[str, object]] = []

    def flush(self) -> None:
        """The text gathered since the last block boundary, as one line."""
        if not self.buf:
            return
        line = collapse(strip_markup("".join(self.buf)))
        self.buf.clear()
        if line:
            if self.inside:
                self.doc.rows.append(Row([line], table=False))
            else:
                self.doc.chrome_lines.append(line)

    def emit(self, rows: list[Row]) -> None:
        if self.inside:
            self.doc.rows.extend(rows)
        else:
            self.doc.chrome_lines.extend(r.line() for r in rows)

    def walk(self, body: lxml.etree._Element) -> None:
        stack, buf, open_, close = self.stack, self.buf, self.open, self.close  # hot loop: local names
        stack.append(("open", body))
        while stack:
            kind, obj = stack.pop()
            if kind == "text":
                buf.append(obj)  # type: ignore[arg-type]
            elif kind == "close":
                close(obj)  # type: ignore[arg-type]
            else:
                open_(obj)  # type: ignore[arg-type]
        self.flush()

    def close(self, el: lxml.etree._Element) -> None:
        self.flush()
        if el is self.content:
            self.inside = False

    def open(self, el: lxml.etree._Element) -> None:
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP or _hidden(el):
            return
        if el is self.content:
            self.flush()
            self.inside = True
        if tag == "br":
            self.flush()
        elif tag == "img":
            self.doc.has_images = self.doc.has_images or self.inside
        elif tag == "table" and el.find(".//table") is None:
            self.leaf(el, [Row(cells, table=True) for cells in table_grid(el)])
        elif tag == "pre":
            self.leaf(el, text_to_rows("".join(el.itertext())))
        else:
            self.descend(el, tag)

    def leaf(self, el: lxml.etree._Element, rows: list[Row]) -> None:
        """A data table or preformatted block: its rows as a whole, not walked into."""
        self.flush()
        self.emit(rows)
        if el is self.content:
            self.inside = False

    def descend(self, el: lxml.etree._Element, tag: str) -> None:
        """Push the element's children and texts; a block element flushes before and after."""
        if tag in _BLOCK:
            self.flush()
            self.stack.append(("close", el))
        elif el is self.content:
            self.stack.append(("close", el))
        for child in reversed(el):
            if child.tail:
                self.stack.append(("text", child.tail))
            self.stack.append(("open", child))
        if el.text:
            self.stack.append(("text", el.text))
