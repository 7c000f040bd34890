"""The one decision of how a page's bytes decode (docs/portals.md §3), for the crawler and the parser.

Portals label GBK pages gb2312, misspell the meta (``httpequiv="ContentType"``), send a
``charset=utf-8`` header over GBK bytes or ``iso-8859-1`` on error pages. Rules, in order:

1. a byte-order mark decides;
2. bytes that are valid UTF-8 are UTF-8 whatever the labels say (GBK text almost never is);
3. UTF-8 with a few broken bytes (GBK read as UTF-8 fails on nearly every character);
4. the declared charsets, in order: the site's configured encoding (``sites[].encoding``), the
   HTTP header (or the charset the crawler passed on with the bytes), the document's own meta /
   XML declaration — each one only if its decode is clean (no U+FFFD; or a handful on a long
   page that reads as Chinese); a single-byte Western label over CJK bytes is a lie, believed
   only when nothing else fits;
5. then gb18030; failing all, the decode with the fewest U+FFFD.

Every GB label (gb2312, gbk, x-gbk, cp936…) decodes as gb18030, their superset.
"""

from __future__ import annotations

import codecs
import re

_GB_LABELS = frozenset(
    "gb2312 gbk gb-2312 gb-2312-80 gb2312-80 gb-2312-80 x-gbk cp936 windows-936 ms936 936 gb18030 csgb2312 chinese euc-cn "
    "euccn x-euc-cn iso-ir-58 csiso58gb231280 gb-18030".split()
)
# Any meta that names a charset, spelled right or not (httpequiv, http_equiv, ContentType…).
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]{2,40})""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_\-.]{2,40})""", re.I)
_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-:.]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_WESTERN = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252", "mac-roman"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_SAMPLE = 400_000  # bytes judged: enough to tell, cheap on huge pages


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, every GB label mapped to gb18030; None if unknown."""
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


def charset_of_media_type(media_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, normalised, if any."""
    if not media_type:
        return None
    m = _PARAM.search(media_type)
    return normalize_charset(m.group(1)) if m else None


def declared_in_document(data: bytes) -> str | None:
    """The charset a document declares itself: XML declaration or any ``<meta … charset=…>``
    (matched on the attribute text alone, so ``httpequiv="ContentType"`` metas count)."""
    head = data[:4096]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return normalize_charset(m.group(1).decode("ascii", "ignore")) if m else None


def _bom(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _is_western(codec: str) -> bool:
    return codec in _WESTERN or codec.startswith(("iso8859", "cp125", "windows-125"))


def _judge(sample: bytes, codec: str) -> tuple[int, str] | None:
    """(U+FFFD count, text) of decoding ``sample`` with ``codec``; None for an unknown codec."""
    try:
        text = sample.decode(codec, errors="replace")
    except LookupError:
        return None
    return text.count("\ufffd"), text


def _cjk_share(text: str) -> float:
    """Share of CJK characters among the non-ASCII ones (judged on the first 20,000 characters)."""
    head = text[:20_000]
    non_ascii = len(head) - len(head.encode("ascii", "ignore"))
    return len(_CJK.findall(head)) / non_ascii if non_ascii else 1.0


def choose_encoding(
    data: bytes, header: str | None = None, site: str | None = None, *, content_type: str | None = None
) -> str:
    """The codec to read ``data`` with (module docstring). ``header``: a Content-Type value or a
    bare charset (from the HTTP header, or passed on by the crawler; ``content_type`` is another
    name for it); ``site``: the site's configured encoding (``sites[].encoding``)."""
    header = header if header is not None else content_type
    bom = _bom(data)
    if bom:
        return bom  # rule 1
    declared = _declared_charsets(data, header, site)
    if data.isascii():
        return declared[0] if declared else "utf-8"
    sample = _sample(data)
    if _is_utf8(sample):
        return "utf-8"  # rule 2
    non_ascii = (len(sample) - len(sample.translate(None, _HIGH_BYTES))) or 1
    utf8 = _judge(sample, "utf-8")
    assert utf8 is not None
    if utf8[0] * 100 < non_ascii:
        return "utf-8"  # rule 3: a few broken bytes; GBK read as UTF-8 fails on nearly every character
    judged = _judge_declared(sample, declared)
    believed = _believed_label(judged, non_ascii)
    if believed:
        return believed  # rule 4
    gb = judged.get("gb18030") or _judge(sample, "gb18030")
    assert gb is not None
    if gb[0] * 200 < non_ascii:
        return "gb18030"  # rule 5
    western = [c for c in declared if _is_western(c)]
    if western and not declared_in_document(data):
        return western[0]  # nothing Chinese fits: the Western label may be true after all
    return _fewest_replacements(judged, utf8, gb)


def _declared_charsets(data: bytes, header: str | None, site: str | None) -> list[str]:
    """The charsets the labels name, once each, in the order they are believed: the operator's
    setting first (it exists because the site's own labels were found wrong), the header, the
    document's own declaration."""
    declared: list[str] = []
    for label in (normalize_charset(site), charset_of_media_type(header) or normalize_charset(header), declared_in_document(data)):
        if label and label not in declared:
            declared.append(label)
    return declared


def _sample(data: bytes) -> bytes:
    """The bytes judged: the first ``_SAMPLE``, ending at a line break so that no character is cut in half."""
    sample = data[:_SAMPLE]
    if len(data) > _SAMPLE:
        sample = sample[: sample.rfind(b"\n") + 1 or _SAMPLE]
    return sample


def _is_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _judge_declared(sample: bytes, declared: list[str]) -> dict[str, tuple[int, str] | None]:
    """Each declared charset's decode of ``sample``, but Western labels and UTF-8 (judged apart)."""
    return {c: _judge(sample, c) for c in declared if not _is_western(c) and c not in ("utf-8", "utf-8-sig")}


def _believed_label(judged: dict[str, tuple[int, str] | None], non_ascii: int) -> str | None:
    """The first declared charset whose decode is clean, else the first with a stray broken byte
    in a page that reads as Chinese; None when no label is to be believed."""
    for codec, j in judged.items():
        if j is not None and j[0] == 0:
            return codec
    for codec, j in judged.items():
        if j is not None and j[0] * 200 < non_ascii and _cjk_share(j[1]) >= 0.5:
            return codec
    return None


def _fewest_replacements(judged: dict[str, tuple[int, str] | None], utf8: tuple[int, str], gb: tuple[int, str]) -> str:
    """Failing every rule: the decode with the fewest U+FFFD (ties: the name sorting first)."""
    scored = [(j[0], c) for c, j in judged.items() if j is not None] + [(utf8[0], "utf-8"), (gb[0], "gb18030")]
    return min(scored)[1]


def decode(data: bytes, header: str | None = None, site: str | None = None) -> str:
    """``data`` as text, decoded as :func:`choose_encoding` says (a BOM dropped)."""
    codec = choose_encoding(data, header, site)
    bom = _bom(data)
    if bom:
        data = data[len(next(b for b, n in _BOMS if n == bom)) :]
    return data.decode(codec, errors="replace")


__all__ = ["charset_of_media_type", "choose_encoding", "declared_in_document", "decode", "normalize_charset"]
