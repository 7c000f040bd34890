"""The one table of document media types, and what kind of document a body is.

:data:`DOCUMENT_TYPES` says, for every form reports are published in on real portals, its file
extensions, media type, magic bytes, whether the crawler follows a link to such a file (and the
parser counts it as an attachment of a page), how the parser reads it, and what happens when it
cannot: a file with no reader is kept as a raw document with parse status
:data:`UNSUPPORTED_FORMAT` and the reason, never decoded as text and filed as ``not_report``.
Which reader reads a media type is the reader registry's business
(``parser.readers.reader_for``); this table only says that one is expected.

:func:`sniff_media_type` decides the media type of a body: magic bytes first, then headers, then
the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ReadBy = Literal["reader", "html", "text", "none"]
UNSUPPORTED_FORMAT = "unsupported_format"


@dataclass(frozen=True)
class DocumentType:
    """One published form: what the crawler and the parser do with it."""

    media_type: str
    extensions: tuple[str, ...]
    read_by: ReadBy  # reader: a registered reader (parser.readers); html/text: decoded; none: kept raw
    attachment: bool  # the crawler follows links to such files; the parser counts them as attachments
    magic: tuple[bytes, ...] = ()
    note: str = ""  # what happens to such a file, for the reader of this table


DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DocumentType("application/pdf", ("pdf",), "reader", True, (b"%PDF",), "read by the PDF reader; a scan is kept as image_only"),
    DocumentType("application/msword", ("doc",), "reader", True, (b"\xd0\xcf\x11\xe0",), "Word 97-2003, read through LibreOffice/antiword"),
    DocumentType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "reader", True, (b"PK\x03\x04",), "read by the DOCX reader"
    ),
    # Kingsoft WPS Writer files are Word 97 binaries (OLE2): the Word reader reads them.
    DocumentType("application/vnd.ms-works", ("wps",), "reader", True, (b"\xd0\xcf\x11\xe0",), "WPS Writer, read as Word 97"),
    DocumentType("application/vnd.ms-excel", ("xls",), "reader", True, (b"\xd0\xcf\x11\xe0",), "read by the XLS reader"),
    DocumentType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",), "reader", True, (b"PK\x03\x04",), "read by the XLSX reader"
    ),
    # Kingsoft ET spreadsheets: OLE2 like XLS, but no reader here is known to read them (yet).
    DocumentType("application/kset", ("et",), "reader", True, (b"\xd0\xcf\x11\xe0",), "WPS spreadsheet: fetched and kept raw, unsupported_format until a reader is registered"),
    # OFD (GB/T 33190, the national fixed-layout format): a ZIP holding OFD.xml.
    DocumentType("application/ofd", ("ofd",), "reader", True, (b"PK\x03\x04",), "OFD: fetched and kept raw, unsupported_format until a reader is registered"),
    DocumentType("application/zip", ("zip",), "none", True, (b"PK\x03\x04",), "archive: fetched and kept raw as evidence, unsupported_format"),
    DocumentType("application/vnd.rar", ("rar",), "none", True, (b"Rar!\x1a\x07",), "archive: fetched and kept raw as evidence, unsupported_format"),
    DocumentType("text/html", ("htm", "html", "shtml", "jsp"), "html", False, (), "a page: decoded (core.charset) and read as HTML"),
    DocumentType("text/plain", ("txt", "md"), "text", False, (), "decoded (core.charset) and read as text"),
)
_BY_EXT = {ext: t.media_type for t in DOCUMENT_TYPES for ext in t.extensions}
_BY_TYPE = {t.media_type: t for t in DOCUMENT_TYPES}
# Files the crawler follows and the parser counts as attachments, by extension.
ATTACHMENT_EXTENSIONS = tuple(ext for t in DOCUMENT_TYPES if t.attachment for ext in t.extensions)
_OLE2, _ZIP, _RAR = b"\xd0\xcf\x11\xe0", b"PK\x03\x04", b"Rar!\x1a\x07"
_OLE2_EXTS = ("doc", "xls", "wps", "et")
_ZIP_EXTS = ("docx", "xlsx", "ofd", "zip")
# Content-Type values that say only "a file": the bytes and the name decide.
_GENERIC_BINARY = frozenset(
    "application/octet-stream application/x-download application/force-download application/download binary/octet-stream "
    "application/x-msdownload application/unknown".split()
)
_TEXT_TYPES = ("application/xhtml+xml", "application/xml", "application/json")


def extension_of(name: str) -> str:
    """Lower-case extension of a URL or file name, without query string ('' if none)."""
    m = re.search(r"\.([A-Za-z0-9]{2,5})(?:$|[?#])", name.split("?")[0] + "?")
    return m.group(1).lower() if m else ""


def media_type_of_name(name: str | None) -> str | None:
    """The media type a file name's (or URL's) extension says, if the table knows it."""
    return _BY_EXT.get(extension_of(name)) if name else None


def document_type(media_type: str | None) -> DocumentType | None:
    """The table's entry for ``media_type`` (parameters such as ``; charset=`` ignored)."""
    return _BY_TYPE.get(base_type(media_type))


def base_type(media_type: str | None) -> str:
    """``text/html`` of ``text/html; charset=gbk``, lower-cased."""
    return (media_type or "").split(";")[0].strip().lower()


def is_text_type(media_type: str | None) -> bool:
    """Whether documents of ``media_type`` are text to decode (HTML, plain text, XML…)."""
    mt = base_type(media_type)
    return mt.startswith("text/") or mt in _TEXT_TYPES


def with_charset(media_type: str, charset: str | None) -> str:
    """``media_type`` carrying ``; charset=…`` (text types only): how the crawler's decision
    about a page's encoding travels with its bytes to the parser."""
    mt = base_type(media_type)
    return f"{mt}; charset={charset}" if charset and is_text_type(mt) else media_type


def follows_link_to(url: str) -> bool:
    """Whether the crawler follows a link to ``url`` as a file (its extension is an attachment's)."""
    return extension_of(url) in ATTACHMENT_EXTENSIONS


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    return bool(sample) and b"\x00" not in sample


def sniff_media_type(data: bytes, content_type: str | None = None, name: str = "") -> str:
    """The media type of ``data``; magic bytes beat a (often wrong) Content-Type header."""
    ext = extension_of(name)
    by_magic = _by_magic_bytes(data, ext)
    if by_magic:
        return by_magic
    ctype = base_type(content_type)
    if ctype in ("text/html", "application/xhtml+xml"):
        return "text/html"
    by_name = _by_name(data, ctype, ext)
    if by_name:
        return by_name
    if ctype and ctype not in _GENERIC_BINARY:
        return ctype
    return _by_content(data, ctype)


def _by_magic_bytes(data: bytes, ext: str) -> str | None:
    """The type the first bytes prove (PDF, OLE2, RAR, ZIP containers), else None."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(_OLE2):  # DOC, XLS, WPS and ET share it; the name tells which
        return _BY_EXT[ext] if ext in _OLE2_EXTS else "application/msword"
    if head.startswith(_RAR):
        return "application/vnd.rar"
    if head.startswith(_ZIP):
        return _zip_type(data[:4000], ext)
    return None


def _zip_type(sample: bytes, ext: str) -> str:
    """A ZIP container by its name, else by the members it starts with (word/, xl/, OFD.xml)."""
    if ext in ("docx", "xlsx", "ofd"):
        return _BY_EXT[ext]
    for member, kind in ((b"word/", "docx"), (b"xl/", "xlsx"), (b"OFD.xml", "ofd")):
        if member in sample:
            return _BY_EXT[kind]
    return "application/zip"


def _by_name(data: bytes, ctype: str, ext: str) -> str | None:
    """The type the file name says, where the header says nothing better (none, text/plain, a
    generic binary type): download.jsp may send any file. A text type only for bytes that are text."""
    if ext not in _BY_EXT or not (ctype in ("", "text/plain") or ctype in _GENERIC_BINARY):
        return None
    by_name = _BY_EXT[ext]
    return by_name if not is_text_type(by_name) or _looks_like_text(data) else None


def _by_content(data: bytes, ctype: str) -> str:
    """Without a telling header or name: HTML by its tags, a binary of unknown form kept as the
    header says (never read as text), else plain text."""
    sample = data[:2048].lower()
    if b"<html" in sample or b"<!doctype html" in sample or b"<table" in sample:
        return "text/html"
    if ctype and not _looks_like_text(data):
        return ctype
    return "text/plain"