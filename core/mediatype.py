"""Decide what kind of document a body is: from magic bytes first, then headers, then the name."""

from __future__ import annotations

import re

_BY_EXT = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "htm": "text/html",
    "html": "text/html",
    "shtml": "text/html",
    "jsp": "text/html",
    "txt": "text/plain",
    "md": "text/plain",
}
ATTACHMENT_EXTENSIONS = ("pdf", "doc", "docx", "wps", "xls", "xlsx")


def extension_of(name: str) -> str:
    """Lower-case extension of a URL or file name, without query string ('' if none)."""
    m = re.search(r"\.([A-Za-z0-9]{2,5})(?:$|[?#])", name.split("?")[0] + "?")
    return m.group(1).lower() if m else ""


def sniff_media_type(data: bytes, content_type: str | None = None, name: str = "") -> str:
    """The media type of ``data``; magic bytes beat a (often wrong) Content-Type header."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: DOC, XLS, WPS share it; the name tells which
        ext = extension_of(name)
        return _BY_EXT.get(ext, "application/msword") if ext in ("doc", "xls", "wps") else "application/msword"
    if head.startswith(b"PK\x03\x04"):
        ext = extension_of(name)
        if ext in ("docx", "xlsx"):
            return _BY_EXT[ext]
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document" if b"word/" in data[:4000] else _BY_EXT.get(ext, "application/zip")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return "text/html"
    ext = extension_of(name)
    if ext in _BY_EXT and ctype in ("", "application/octet-stream", "application/x-download", "text/plain"):
        if _BY_EXT[ext] != "text/plain" or ctype != "text/html":
            return _BY_EXT[ext]
    if ctype:
        return ctype
    sample = data[:2048].lower()
    if b"<html" in sample or b"<!doctype html" in sample or b"<table" in sample:
        return "text/html"
    return "text/plain"
