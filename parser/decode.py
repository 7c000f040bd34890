"""Bytes → text for Chinese government pages, whose declared charsets are often wrong."""

from __future__ import annotations

import codecs
import re

# gb2312 / gbk labels routinely cover GBK-only or GB18030 characters: decode the superset.
_GB_LABELS = frozenset(
    "gb2312 gbk gb-2312 gb-2312-80 gb2312-80 x-gbk cp936 windows-936 ms936 gb18030 csgb2312 chinese euc-cn "
    "euccn x-euc-cn iso-ir-58 csiso58gb231280".split()
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{2,40})""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_\-.]{2,40})""", re.I)
_WESTERN = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252", "mac-roman"})
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, mapping every GB label to gb18030; None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower().replace("_", "-")
    if name in _GB_LABELS:
        return "gb18030"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec in ("gb2312", "gbk") else codec


def sniff_charset(data: bytes) -> str | None:
    """Charset declared inside the document: XML declaration or any ``<meta … charset=…>``.

    Matches on the attribute text alone, so ``httpequiv`` and other misspellings still count.
    """
    head = data[:4096]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return normalize_charset(m.group(1).decode("ascii", "ignore")) if m else None


def charset_from_media_type(media_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, if any."""
    if not media_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", media_type, re.I)
    return normalize_charset(m.group(1)) if m else None


def _attempt(data: bytes, codec: str) -> tuple[str, int] | None:
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        return None
    return text, text.count("\ufffd")


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a document, trusting evidence in this order: BOM, valid UTF-8, the declared or
    in-document charset if it decodes cleanly, gb18030; otherwise the candidate with the fewest
    U+FFFD replacement characters.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    non_ascii = sum(1 for b in data if b >= 0x80) if len(data) < 2_000_000 else len(data) // 4
    utf8 = _attempt(data, "utf-8")
    assert utf8 is not None
    # A UTF-8 page with a few broken bytes; GBK bytes read as UTF-8 fail on nearly every character.
    if utf8[1] * 100 < non_ascii:
        return utf8[0]
    candidates: list[str] = []
    western: list[str] = []
    for label in (normalize_charset(declared), sniff_charset(data), "gb18030"):
        if not label or label in candidates or label in western or label in ("utf-8", "utf-8-sig"):
            continue
        # Single-byte Western codecs decode any bytes "cleanly"; on a Chinese page they are
        # only believable when nothing else fits.
        (western if label in _WESTERN or label.startswith(("iso8859", "cp125")) else candidates).append(label)
    candidates += western
    best = utf8
    for codec in candidates:
        result = _attempt(data, codec)
        if result is None:
            continue
        if result[1] == 0:
            return result[0]
        if result[1] < best[1]:
            best = result
    return best[0]
