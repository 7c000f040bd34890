"""PDF → simple HTML with pdfplumber: ruled tables with their merged cells, prose as paragraphs.

Why pdfplumber (measured in docs/pdf-extraction.md): its ruling-line table finder gives every
cell's box, merged cells included, and it orders characters by position, so numbers drawn as
separate or out-of-order text runs come out right; pdfminer.six alone returned such digits
reversed, and pypdfium2, though far faster, has no table finder. The reader runs at 14–28
pages/s here, above the 10 pages/s target.

This module walks the pages and joins what a page break cut; ``pdf_tables`` reads ruled tables,
``pdf_columns`` tables printed without lines, ``pdf_prose`` the paragraphs.

Memory: pages are processed one at a time and closed (``page.close()`` drops pdfplumber's
per-page caches), and pdfminer's document-wide object cache is switched off, so a 50 MB PDF
never has more than one page's objects alive.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from parser.limits import LimitExceeded, check, current
from parser.readers import ReaderError, ReaderResult
from parser.readers.html import HtmlWriter
from parser.readers.pdf_columns import take_unruled_tables
from parser.readers.pdf_prose import join_lines, paragraphs
from parser.readers.pdf_tables import TABLE_SETTINGS, assign_chars, fill_cells, grid_table

IMAGE_ONLY_MAX_CHARS = 5  # a page with an image and at most this many characters is a scan


@dataclass
class PageBlocks:
    """What one page holds, top to bottom: ("p", text) and ("table", PdfTable)."""

    blocks: list[tuple[str, Any]] = field(default_factory=list)
    chars: int = 0
    images: int = 0
    unmapped: int = 0  # characters pdfminer could not map to Unicode, shown as "(cid:N)"


class PdfReader:
    """Reads PDFs with pdfplumber, one page at a time."""


    def to_html(self, data: bytes) -> ReaderResult:
        import pdfplumber
        from pdfminer.pdfparser import PDFSyntaxError

        writer = HtmlWriter()
        warnings: list[str] = []
        pages = 0
        scanned: list[int] = []  # pages that are an image with no text on them
        pending: list[tuple[str, Any]] = []  # blocks not yet written: the last may go on
        try:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                pdf.doc.caching = False  # keep no document-wide object cache (memory)
                check("PDF has", len(pdf.pages), current().pdf_pages, "pages")
                for number, page in enumerate(pdf.pages, start=1):
                    try:
                        content = read_page(page)
                    finally:
                        page.close()
                    pages = number
                    if content.unmapped > content.chars // 10:
                        # A font without a ToUnicode map: the text is there but unreadable.
                        warnings.append(f"page {number}: {content.unmapped} glyphs have no Unicode mapping")
                    if content.images and content.chars <= IMAGE_ONLY_MAX_CHARS:
                        scanned.append(number)
                    blocks = _join_across_pages(pending, content.blocks)
                    _flush(writer, pending[:-1])
                    pending = pending[-1:] + blocks
        except LimitExceeded:
            raise
        except PDFSyntaxError as exc:
            raise ReaderError(f"not a readable PDF: {exc}") from exc
        except Exception as exc:  # pdfminer raises many kinds on damaged files
            if type(exc).__module__.startswith(("pdfminer", "pdfplumber")):
                raise ReaderError(f"PDF could not be read: {type(exc).__name__}: {exc}") from exc
            raise
        _flush(writer, pending)
        image_only = pages > 0 and writer.text_chars == 0
        if scanned and not image_only:  # e.g. the tables pasted in as pictures
            warnings.append(f"pages without a text layer (images): {', '.join(map(str, scanned))}")
        return ReaderResult(writer.render(), pages, writer.text_chars, image_only, warnings)


def _join_across_pages(pending: list[tuple[str, Any]], blocks: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Join the first block of a page to the last of the page before when it goes on there
    (a table continued, a paragraph cut by the page end); the blocks left to add."""
    if not pending or not blocks or pending[-1][0] != blocks[0][0]:
        return blocks
    (kind, last), (_kind, first) = pending[-1], blocks[0]
    if kind == "table" and first.continues(last):
        last.continue_with(first)
        return blocks[1:]
    if kind == "p" and last.full and not first.indented:
        last.text, last.full = join_lines([last.text, first.text]), first.full
        return blocks[1:]
    return blocks


def _flush(writer: HtmlWriter, blocks: list[tuple[str, Any]]) -> None:
    for kind, value in blocks:
        if kind == "table":
            writer.table(value.rows())
        else:
            writer.paragraph(value.text)


# ---------------------------------------------------------------------------------------------
# One page
# ---------------------------------------------------------------------------------------------
def read_page(page: Any) -> PageBlocks:
    """Tables (ruled) and paragraphs of one page, in reading order."""
    chars = [c for c in page.chars if c["text"].strip()]
    out = PageBlocks(chars=len(chars), images=len(page.images),
                     unmapped=sum(1 for c in chars if c["text"].startswith("(cid:")))
    tables = []
    if page.edges:
        for found in page.find_tables(TABLE_SETTINGS):
            table = grid_table(found.cells)
            if table is not None:
                tables.append(table)
    in_table, free = assign_chars(chars, tables)
    for table, owned in zip(tables, in_table):
        fill_cells(table, owned)
    items: list[tuple[float, str, Any]] = [(t.top, "table", t) for t in tables]
    if not tables:  # no ruled table: perhaps one printed without lines
        unruled, free = take_unruled_tables(free)
        items += [(t.top, "table", t) for t in unruled]
    items += [(top, "p", text) for top, text in paragraphs(free, page.height)]
    items.sort(key=lambda item: item[0])
    out.blocks = [(kind, value) for _top, kind, value in items]
    return out
