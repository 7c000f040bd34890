"""Readers: every non-HTML published form (PDF, DOCX, DOC/WPS, XLS/XLSX) turned into simple HTML.

Each reader returns a plain HTML string — paragraphs as ``<p>``, tables as ``<table>`` with
``rowspan``/``colspan`` kept and cell text exactly as printed — so that one interpreter, the
HTML path of :func:`parser.parse_document`, reads every form the same way.

Which reader reads which media type is a setting (``parser.readers``, merged over
``core.settings.DEFAULT_READERS``): adding a form is one reader module and one settings line
(docs/extending.md). Heavy libraries (pdfplumber, python-docx, openpyxl, xlrd) are imported inside
the readers, so loading them costs little and a missing optional library only fails its own form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol, cast, runtime_checkable

from core.registry import ComponentError, load_object
from core.settings import DEFAULT_READERS
from parser.limits import DEFAULT_LIMITS, DocumentLimits


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
    """Converts documents of the media types settings map to it (``parser.readers``) to HTML.

    A reader is a class whose instances are made with no arguments; one instance serves every
    media type it is named for.
    """

    def to_html(self, data: bytes) -> ReaderResult:
        """Convert the document ``data`` to simple HTML (raise ReaderError if it cannot)."""
        ...


class ReaderError(Exception):
    """A document of a known form that could not be converted (corrupt, converter missing)."""


def load_reader(path: str, setting: str = "parser.readers") -> Reader:
    """An instance of the reader class ``path`` names; ComponentError (exit code 2) if there is
    none or it is not a reader."""
    cls = load_object(path, setting)
    if not isinstance(cls, type) or not callable(getattr(cls, "to_html", None)):
        raise ComponentError(f"{setting}: {path!r} is not a reader class (a class with to_html(data) -> ReaderResult)")
    try:
        reader = cls()
    except TypeError as exc:
        raise ComponentError(f"{setting}: reader {path!r} cannot be made without arguments: {exc}") from exc
    return cast(Reader, reader)


class Readers:
    """The readers in use, by media type (parameters such as ``; charset=`` ignored)."""

    def __init__(self, by_media_type: Mapping[str, Reader], limits: DocumentLimits | None = None) -> None:
        self._by_media_type = {media_type.lower(): reader for media_type, reader in by_media_type.items()}
        self.limits = limits or DEFAULT_LIMITS  # what one document may cost them (parser.limits)

    @classmethod
    def from_paths(cls, paths: Mapping[str, str], setting: str = "parser.readers", limits: DocumentLimits | None = None) -> Readers:
        """Readers from ``media type → dotted path`` (settings' ``parser.reader_paths``), each
        loaded and checked now: a misspelt path fails here, naming the setting, not mid-crawl."""
        instances: dict[str, Reader] = {}
        for media_type, path in paths.items():
            if path not in instances:
                instances[path] = load_reader(path, f"{setting}[{media_type!r}]")
        return cls({media_type: instances[path] for media_type, path in paths.items()}, limits)

    def reader_for(self, media_type: str | None) -> Reader | None:
        """The reader for ``media_type``, or None (HTML and text are read by the parser itself)."""
        if not media_type:
            return None
        return self._by_media_type.get(media_type.split(";")[0].strip().lower())

    @property
    def media_types(self) -> list[str]:
        return list(self._by_media_type)


@cache
def default_readers() -> Readers:
    """The built-in readers (``core.settings.DEFAULT_READERS``): what a parse without settings uses."""
    return Readers.from_paths(DEFAULT_READERS)


def reader_for(media_type: str | None, readers: Readers | None = None) -> Reader | None:
    """The reader of ``readers`` (default: the built-ins) for ``media_type``, or None."""
    return (readers or default_readers()).reader_for(media_type)


__all__ = ["Reader", "ReaderError", "ReaderResult", "Readers", "default_readers", "load_reader", "reader_for"]
