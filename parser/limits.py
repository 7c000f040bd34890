"""How much one document may cost to read: the one home of every reader limit.

A document from the web may be built to exhaust the machine — a 0.4 MB DOCX whose main part
inflates to 400 MB, a 1.6 KB XLSX whose only cell sits at row 1,048,576, a text file served as
WPS that keeps LibreOffice busy. Every reader checks what it is about to read against the
:class:`DocumentLimits` in use (:func:`current`) *before* it reads or allocates it, and raises
:class:`LimitExceeded` with the reason; :func:`parser.parse_document` turns that into parse
status ``failed`` with a warning ``limit: …``, and the raw bytes stay in the raw store.

Values are overridden in settings (``parser: {limits: {...}}``, validated by
``core.settings.LimitSettings``); :meth:`DocumentLimits.with_overrides` applies them.
"""

from __future__ import annotations

import contextlib
import contextvars
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import IO, Any

MB = 1024 * 1024


@dataclass(frozen=True)
class DocumentLimits:
    """The most one document may make a reader read, hold or wait for."""

    document_bytes: int = 200 * MB  # the file itself
    archive_members: int = 5000  # entries in a ZIP package (DOCX, XLSX)
    member_bytes: int = 100 * MB  # one member's declared uncompressed size
    archive_bytes: int = 300 * MB  # all members' declared uncompressed sizes together
    compression_ratio: int = 200  # uncompressed / compressed of a member...
    ratio_floor_bytes: int = 1 * MB  # ...checked only for members larger than this
    xml_bytes: int = 50 * MB  # one XML part the reader parses (document.xml, a worksheet)
    sheet_cells: int = 500_000  # cells one worksheet holds, and rows × columns of its used range
    pdf_pages: int = 2000
    converter_seconds: float = 60.0  # wall time of one LibreOffice/antiword run, killed after

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> DocumentLimits:
        """These limits with ``overrides`` (field → value; None values ignored) applied."""
        known = {f.name for f in fields(self)}
        values = {k: v for k, v in (overrides or {}).items() if v is not None}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown document limits: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return replace(self, **values)


DEFAULT_LIMITS = DocumentLimits()
_active: contextvars.ContextVar[DocumentLimits] = contextvars.ContextVar("document_limits", default=DEFAULT_LIMITS)


class LimitExceeded(Exception):
    """A document that would cost more than a limit allows; ``str(exc)`` says which and by how much."""

    def __init__(self, what: str, size: float, limit: float, unit: str = "") -> None:
        self.what, self.size, self.limit = what, size, limit
        super().__init__(f"{what} {_amount(size, unit)} (limit {_amount(limit, unit)})")


def _amount(n: float, unit: str) -> str:
    if unit == "bytes":
        return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{int(n)} bytes"
    if unit == ":1":
        return f"{n:.0f}:1"
    if unit == "s":
        return f"{n:.0f} s"
    return f"{int(n):,}{(' ' + unit) if unit else ''}"


def current() -> DocumentLimits:
    """The limits in force for the document being read."""
    return _active.get()


@contextlib.contextmanager
def in_force(limits: DocumentLimits | None) -> Iterator[DocumentLimits]:
    """Make ``limits`` (None: the defaults) the ones :func:`current` returns inside the block."""
    token = _active.set(limits or DEFAULT_LIMITS)
    try:
        yield _active.get()
    finally:
        _active.reset(token)


def check(what: str, size: float, limit: float, unit: str = "") -> None:
    """Raise :class:`LimitExceeded` when ``size`` is over ``limit``."""
    if size > limit:
        raise LimitExceeded(what, size, limit, unit)


def check_archive(package: zipfile.ZipFile, kind: str) -> None:
    """Check a ZIP package's declared sizes before anything in it is read: member count, each
    member's size and compression ratio, the total."""
    limits = current()
    infos = package.infolist()
    check(f"{kind} package holds", len(infos), limits.archive_members, "members")
    total = 0
    for info in infos:
        check(f"{kind} member {info.filename} inflates to", info.file_size, limits.member_bytes, "bytes")
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            check(f"{kind} member {info.filename} compression ratio", ratio, limits.compression_ratio, ":1")
        total += info.file_size
    check(f"{kind} members inflate to", total, limits.archive_bytes, "bytes")


def read_member(package: zipfile.ZipFile, name: str, kind: str, limit: int | None = None) -> bytes:
    """Member ``name`` read through a bounded stream: never more than ``limit`` (default: the
    XML part limit) bytes are inflated, whatever the package's headers claim."""
    limit = current().xml_bytes if limit is None else limit
    info = package.getinfo(name)
    check(f"{kind} member {name} inflates to", info.file_size, limit, "bytes")
    with package.open(info) as stream:
        return read_bounded(stream, limit, f"{kind} member {name} inflates to")


def read_bounded(stream: IO[bytes], limit: int, what: str) -> bytes:
    """At most ``limit`` bytes of ``stream``; LimitExceeded if there are more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise LimitExceeded(what, len(data), limit, "bytes")
    return data


__all__ = [
    "DEFAULT_LIMITS",
    "DocumentLimits",
    "LimitExceeded",
    "check",
    "check_archive",
    "current",
    "in_force",
    "read_bounded",
    "read_member",
]
