"""Readers: every non-HTML published form (PDF, DOCX, DOC/WPS, XLS/XLSX) turned into simple HTML.

Each reader returns a plain HTML string — paragraphs as ``<p>``, tables as ``<table>`` with
``rowspan``/``colspan`` kept and cell text exactly as printed — so that one interpreter, the
HTML path of :func:`parser.parse_document`, reads every form the same way.

Heavy libraries (pdfplumber, python-docx, openpyxl, xlrd) are imported inside the readers, so
importing this registry costs nothing and a missing optional library only fails its own form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass
class ReaderResult:
    """A document converted to HTML, with what the conversion saw on the way."""

    html: str
    pages: int = 0  # PDF pages, DOCX/DOC 1, spreadsheet sheets
    text_chars: int = 0  # non-blank characters of text found; 0 means nothing to read
    image_only: bool = False  # pages present but no text layer (a scan)
    warnings: list[str] = field(default_factory=list)


@runtime_checkable
class Reader(Protocol):
    """Converts one family of media types to HTML."""

    media_types: tuple[str, ...]

    def to_html(self, data: bytes) -> ReaderResult:
        """Convert the document ``data`` to simple HTML."""
        ...


class ReaderError(Exception):
    """A document of a known form that could not be converted (corrupt, converter missing)."""


_REGISTRY: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Make ``reader`` the one used for each of its media types (a later one replaces)."""
    for media_type in reader.media_types:
        _REGISTRY[media_type.lower()] = reader
    return reader


def reader_for(media_type: str | None) -> Reader | None:
    """The reader for ``media_type`` (parameters such as ``; charset=`` ignored), or None."""
    if not media_type:
        return None
    return _REGISTRY.get(media_type.split(";")[0].strip().lower())


def _register_builtin() -> None:
    # Imported here, not at the top, so each reader module can import ReaderResult from us.
    from parser.readers.docx import DocxReader
    from parser.readers.office import LegacyWordReader
    from parser.readers.pdf import PdfReader
    from parser.readers.xlsx import XlsReader, XlsxReader

    for reader in (PdfReader(), DocxReader(), LegacyWordReader(), XlsxReader(), XlsReader()):
        register(reader)


_register_builtin()

__all__ = ["Reader", "ReaderError", "ReaderResult", "reader_for", "register"]
