"""XLSX (openpyxl) and XLS (xlrd; LibreOffice → XLSX as a fallback) → simple HTML.

Each visible sheet's used range becomes tables with merged ranges as spans. Where the sheet
draws borders, bordered rows are the tables and unbordered rows with text (a title, a section
heading above a table) become paragraphs; a sheet with no borders at all is split into tables
at its empty rows. Numbers are written as the sheet holds them (Excel's 15 significant digits,
no thousands separators, no trailing ``.0``), not as a display format would round them.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from parser.limits import LimitExceeded, check, check_archive, current
from parser.readers import ReaderError, ReaderResult
from parser.readers.html import HtmlWriter, rows_from_grid


@dataclass
class SheetData:
    """One sheet, reader-neutral: texts, merged ranges and which cells have borders."""

    grid: list[list[str]]  # rows × columns of the used range, "" for empty
    merges: list[tuple[int, int, int, int]]  # (first row, first col, last row, last col), inclusive
    bordered: set[tuple[int, int]] = field(default_factory=set)


def cell_text(value: Any) -> str:
    """A cell value as text, as exactly as the file stores it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def sheet_html(sheet: SheetData, writer: HtmlWriter) -> None:
    """Write one sheet's paragraphs and tables."""
    grid = sheet.grid
    if not grid:
        return
    covered: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for m in sheet.merges:
        for r in range(m[0], m[2] + 1):
            for c in range(m[1], m[3] + 1):
                covered[(r, c)] = m
    n_cols = max(len(row) for row in grid)

    def row_empty(r: int) -> bool:
        return not any(grid[r][c].strip() for c in range(len(grid[r]))) and not any(
            covered.get((r, c), (r,))[0] < r for c in range(n_cols))

    def row_bordered(r: int) -> bool:
        return any((r, c) in sheet.bordered for c in range(n_cols))

    use_borders = bool(sheet.bordered)
    blocks: list[tuple[str, list[int]]] = []  # ("table" | "p", row numbers)
    for r in range(len(grid)):
        if use_borders:
            kind = "table" if row_bordered(r) else ("p" if not row_empty(r) else "")
        else:
            kind = "" if row_empty(r) else "table"
        if not kind:
            blocks.append(("", []))
        elif blocks and blocks[-1][0] == kind == "table":
            blocks[-1][1].append(r)
        else:
            blocks.append((kind, [r]))
    for kind, rows in blocks:
        if not rows:
            continue
        if kind == "p" or (not use_borders and _single_text(grid, rows)):
            for r in rows:
                writer.paragraph(" ".join(t for t in grid[r] if t.strip()))
        else:
            writer.table(_table_rows(grid, covered, rows, n_cols))


def _single_text(grid: list[list[str]], rows: list[int]) -> bool:
    return len(rows) == 1 and sum(1 for t in grid[rows[0]] if t.strip()) == 1


def _table_rows(grid: list[list[str]], covered: dict, rows: list[int], n_cols: int) -> list:
    first, last = rows[0], rows[-1]
    used = [c for c in range(n_cols) if any(c < len(grid[r]) and grid[r][c].strip() for r in rows)
            or any((r, c) in covered for r in rows)]
    c0, c1 = (min(used), max(used)) if used else (0, 0)
    block = [[grid[r][c] if c < len(grid[r]) else "" for c in range(c0, c1 + 1)] for r in range(first, last + 1)]
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for (r, c), (mr0, mc0, mr1, mc1) in covered.items():
        if (r, c) != (max(mr0, first), max(mc0, c0)) or not (first <= r <= last and c0 <= c <= c1):
            continue
        rs = min(mr1, last) - r + 1
        cs = min(mc1, c1) - c + 1
        if rs > 1 or cs > 1:
            spans[(r - first, c - c0)] = (rs, cs)
            block[r - first][c - c0] = grid[mr0][mc0] if mc0 < len(grid[mr0]) else ""
    return rows_from_grid(block, spans)


class XlsxReader:
    """Excel 2007+ workbooks, read with openpyxl."""


    def to_html(self, data: bytes) -> ReaderResult:
        import openpyxl

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                scan_package(package)  # sizes, cells and merges counted before openpyxl allocates them
            # Not read_only: only the full mode knows merged ranges and borders.
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        except LimitExceeded:
            raise
        # What a damaged package raises (openpyxl passes most of them on): a bad header, an
        # unknown compression method, a corrupt deflate stream, XML that is not well formed…
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, zlib.error, EOFError, RuntimeError,
                KeyError, ValueError, TypeError, AttributeError, IndexError, SyntaxError, OSError) as exc:
            raise ReaderError(f"not a readable XLSX: {type(exc).__name__}: {exc}") from exc
        writer = HtmlWriter()
        sheets = 0
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            sheets += 1
            sheet_html(_openpyxl_sheet(ws), writer)
        wb.close()
        return ReaderResult(writer.render(), pages=sheets, text_chars=writer.text_chars, image_only=False)


SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def scan_package(package: zipfile.ZipFile) -> None:
    """Check an XLSX package against the limits without building it: declared member sizes,
    then each worksheet streamed through once, counting its cells and the cells its merged
    ranges cover (openpyxl makes an object for every one of them). A sheet's ``<dimension>``
    is not believed: it may claim A1:A1048576 for one cell."""
    import lxml.etree
    from openpyxl.utils.cell import range_boundaries

    check_archive(package, "xlsx")
    limits = current()
    for info in package.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        check(f"xlsx member {info.filename} inflates to", info.file_size, limits.xml_bytes, "bytes")
        cells = merged = 0
        with package.open(info) as stream:
            events = lxml.etree.iterparse(stream, events=("end",), tag=(SHEET_NS + "c", SHEET_NS + "mergeCell"),
                                          resolve_entities=False, no_network=True)
            for _event, el in events:
                if el.tag == SHEET_NS + "c":
                    cells += 1
                else:
                    c0, r0, c1, r1 = range_boundaries(el.get("ref") or "")
                    merged += (r1 - r0 + 1) * (c1 - c0 + 1)
                el.clear()
                check(f"xlsx sheet {info.filename} holds", cells, limits.sheet_cells, "cells")
                check(f"xlsx sheet {info.filename} merged ranges cover", merged, limits.sheet_cells, "cells")


def _openpyxl_sheet(ws: Any) -> SheetData:
    """The cells that exist (not the range ``ws.max_row`` claims): those with a value or a
    border, and the merged ranges, placed in the smallest grid that holds them."""
    found: dict[tuple[int, int], str] = {}
    bordered_at: set[tuple[int, int]] = set()
    for (r, c), cell in ws._cells.items():  # only what the file holds; iter_rows would create the rest
        text = cell_text(cell.value)
        b = cell.border
        edged = b is not None and any(side is not None and side.style for side in (b.left, b.right, b.top, b.bottom))
        if text or edged:
            found[(r, c)] = text
            if edged:
                bordered_at.add((r, c))
    ranges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    corners = list(found) + [(m[0], m[1]) for m in ranges] + [(m[2], m[3]) for m in ranges]
    if not corners:
        return SheetData([], [])
    min_row, min_col = min(r for r, _ in corners), min(c for _, c in corners)
    max_row, max_col = max(r for r, _ in corners), max(c for _, c in corners)
    n_rows, n_cols = max_row - min_row + 1, max_col - min_col + 1
    check(f"xlsx sheet {ws.title!r} used range {n_rows:,} rows × {n_cols:,} columns =", n_rows * n_cols,
          current().sheet_cells, "cells")
    grid = [[""] * n_cols for _ in range(n_rows)]
    for (r, c), text in found.items():
        grid[r - min_row][c - min_col] = text
    bordered = {(r - min_row, c - min_col) for r, c in bordered_at}
    merges = [(m[0] - min_row, m[1] - min_col, m[2] - min_row, m[3] - min_col) for m in ranges]
    return SheetData(_trim(grid), merges, bordered)


def _trim(grid: list[list[str]]) -> list[list[str]]:
    """Drop trailing empty rows (a formatted but empty tail of the used range)."""
    while grid and not any(t.strip() for t in grid[-1]):
        grid.pop()
    return grid


class XlsReader:
    """Excel 97–2003 workbooks: xlrd reads them directly; LibreOffice converts what it cannot."""


    def to_html(self, data: bytes) -> ReaderResult:
        try:
            return self._with_xlrd(data)
        except ReaderError as xlrd_error:
            from parser.readers.office import convert_with_soffice

            if data.startswith(b"PK\x03\x04"):  # an XLSX under an old name
                return XlsxReader().to_html(data)
            try:
                result = XlsxReader().to_html(convert_with_soffice(data, ".xls", "xlsx"))
            except ReaderError as soffice_error:
                raise ReaderError(f"{xlrd_error}; LibreOffice: {soffice_error}") from soffice_error
            result.warnings.append(f"xlrd failed ({xlrd_error}); converted by LibreOffice")
            return result

    def _with_xlrd(self, data: bytes) -> ReaderResult:
        import xlrd

        try:
            # ragged_rows: a short row is not padded to the widest, so a record claiming column
            # 255 of row 65535 costs one cell, not 16 million.
            book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True,
                                      logfile=_Discard())  # its warnings on damaged files: not our stdout
        except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors, …
            raise ReaderError(f"xlrd could not read the workbook: {type(exc).__name__}: {exc}") from exc
        writer = HtmlWriter()
        sheets = 0
        try:
            for index in range(book.nsheets):
                try:
                    sh = book.sheet_by_index(index)
                    if sh.visibility != 0:
                        continue
                    sheet = _xlrd_sheet(book, sh)
                except LimitExceeded:
                    raise
                except Exception as exc:  # a damaged sheet: xlrd asserts, indexes past its tables…
                    raise ReaderError(f"xlrd could not read sheet {index + 1}: {type(exc).__name__}: {exc}") from exc
                sheets += 1
                sheet_html(sheet, writer)
                book.unload_sheet(index)
        finally:
            book.release_resources()
        return ReaderResult(writer.render(), pages=sheets, text_chars=writer.text_chars, image_only=False)


def _xlrd_sheet(book: Any, sh: Any) -> SheetData:
    import xlrd

    check(f"xls sheet {sh.name!r} used range {sh.nrows:,} rows × {sh.ncols:,} columns =", sh.nrows * sh.ncols,
          current().sheet_cells, "cells")
    grid: list[list[str]] = []
    bordered: set[tuple[int, int]] = set()
    for r in range(sh.nrows):
        texts = []
        row_len = sh.row_len(r)
        for c in range(sh.ncols):
            if c >= row_len:  # past the end of a ragged row: an empty cell, formatted as xlrd pads it
                texts.append("")
                if _bordered(book.xf_list[_padded_xf_index(sh, r, c)]):
                    bordered.add((r, c))
                continue
            cell = sh.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                value: Any = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(cell.value)
            elif cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                value = None
            else:
                value = cell.value
            texts.append(cell_text(value))
            if _bordered(book.xf_list[sh.cell_xf_index(r, c)]):
                bordered.add((r, c))
        grid.append(texts)
    merges = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
    return SheetData(_trim(grid), merges, bordered)


class _Discard:
    """A file that forgets what is written to it (xlrd's log)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _bordered(xf: Any) -> bool:
    border = xf.border
    return bool(border.top_line_style or border.bottom_line_style or border.left_line_style or border.right_line_style)


def _padded_xf_index(sh: Any, r: int, c: int) -> int:
    """The XF index xlrd's ``cell_xf_index`` gives a cell it pads a short row with (row format,
    else column format, else the default 15): kept so that reading ragged rows changes nothing."""
    row_info = sh.rowinfo_map.get(r)
    if row_info is not None and row_info.xf_index > -1:
        return int(row_info.xf_index)
    col_info = sh.colinfo_map.get(c)
    if col_info is not None:
        return 15 if col_info.xf_index == -1 else int(col_info.xf_index)
    return 15
