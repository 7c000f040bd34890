"""Repair the encoding of HTML responses before anyone reads their text (docs/portals.md §3).

Portals label GBK pages gb2312, misspell the meta (``httpequiv="ContentType"``), send a
``charset=utf-8`` header over GBK bytes or ``iso-8859-1`` on error pages. Rules: gb2312/gbk labels
decode as gb18030; bytes that are valid UTF-8 are UTF-8 whatever the labels say; otherwise the
first declared charset that decodes cleanly wins, and gb18030 is the fallback.
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_GB_LABELS = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "gb_2312", "cp936", "euc-cn", "csgb2312", "iso-ir-58", "chinese", "gb18030", "ms936", "936"}
_LATIN_LABELS = {"iso-8859-1", "latin1", "latin-1", "ascii", "us-ascii", "windows-1252", "cp1252"}
# Any meta that names a charset, spelled right or not (httpequiv, http_equiv, ContentType…).
_ANY_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def normalize_label(label: str | None) -> str | None:
    """A Python codec name for a charset label; gb2312/gbk become gb18030."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _GB_LABELS:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    """Charsets the response claims: header first, then the meta (misspelled metas included)."""
    labels = [http_content_type_encoding(content_type) if content_type else None, html_body_declared_encoding(body)]
    m = _ANY_META_CHARSET.search(body[:4096])
    if m:
        labels.append(m.group(1).decode("ascii", "ignore"))
    out: list[str] = []
    for label in labels:
        name = normalize_label(label)
        if name and name not in out:
            out.append(name)
    return out


def choose_encoding(body: bytes, content_type: str | None = None, override: str | None = None) -> str:
    """The encoding to read ``body`` with, validated against the bytes themselves."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    if override:
        return normalize_label(override) or override
    if body.isascii():
        declared = declared_charsets(body, content_type)
        return declared[0] if declared else "utf-8"
    try:
        body.decode("utf-8")
        return "utf-8"  # non-ASCII bytes that are valid UTF-8 are almost never anything else
    except UnicodeDecodeError:
        pass
    for name in declared_charsets(body, content_type):
        if name in _LATIN_LABELS or codecs.lookup(name).name in ("utf-8", "latin-1", "ascii", "cp1252"):
            continue  # a latin label over CJK bytes is a lie (error pages say iso-8859-1)
        try:
            body.decode(name)
            return name
        except (UnicodeDecodeError, LookupError):
            continue
    return "gb18030"


class CharsetFixer:
    """Downloader middleware: re-labels text responses with the encoding their bytes really use."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_CHARSET_FIX", True):
            raise NotConfigured
        self.stats = crawler.stats
        self.overrides = crawler.settings.getdict("NIANBAO_SITE_ENCODINGS")  # site id -> encoding

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetFixer:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        chosen = choose_encoding(response.body, content_type, self.overrides.get(request.meta.get("site_id", "")))
        if normalize_label(response.encoding) == normalize_label(chosen):
            return response
        self.stats.inc_value("nianbao/charset/repaired")
        return response.replace(encoding=chosen)
