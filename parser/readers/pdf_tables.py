"""Ruled tables in a PDF page: pdfplumber's cell boxes placed on a grid, cells filled with text,
and a table continued on the next page joined to its first part.

pdfplumber's line-based finder returns one box per printed cell, a merged cell as one bigger box.
The box edges, clustered, are the grid lines; a cell's rowspan and colspan are the grid steps its
box covers, so the HTML keeps the official form's merged headers and row groups.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from parser.readers.html import TableCell, TableRow
from parser.readers.pdf_prose import join_lines

# Ruling lines only: a table the agency drew; text alignment alone makes too many false tables.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3, "join_tolerance": 3}
GRID_TOLERANCE = 1.5  # points: cell edges closer than this are the same grid line
EDGE_TOLERANCE = 3.0  # points: the same table edge on two pages
CELL_PADDING = 6.0  # points: the most a table cell leaves between its text and its border
NUMBER = re.compile(r"^[+\-]?\d[\d,.]*\s*[%元]?$")
# How a row label of the report tables starts: 一、 （二） (3) 4. 5．6、 — never the rest of a row.
ITEM_START = re.compile(r"^(?:[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．]|\d+\s*[、.．])")


@dataclass
class PdfTable:
    """A ruled table on one page: grid lines and cells placed on that grid."""

    xs: list[float]  # column boundaries, left to right
    cells: list[tuple[int, int, int, int, str]]  # (row, col, rowspan, colspan, text)
    n_rows: int
    top: float
    bottom: float
    ys: list[float] = field(default_factory=list)  # row boundaries on this page, top to bottom
    full: set[int] = field(default_factory=set)  # cells whose last text line reaches their right edge

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    def continues(self, prev: "PdfTable") -> bool:
        """True when this table, first on its page, goes on ``prev``, last on the page before:
        the same left and right edges (its inner column lines may differ where cells merge)."""
        return (isinstance(prev, PdfTable)
                and abs(self.xs[0] - prev.xs[0]) <= EDGE_TOLERANCE and abs(self.xs[-1] - prev.xs[-1]) <= EDGE_TOLERANCE)

    def _regrid(self, xs: list[float]) -> None:
        """Re-place the cells on the finer column boundaries ``xs``."""
        moved = []
        for r, c, rs, cs, text in self.cells:
            c0, c1 = _index(xs, self.xs[c]), _index(xs, self.xs[c + cs])
            moved.append((r, c0, rs, max(1, c1 - c0), text))
        self.cells, self.xs = moved, xs

    def continue_with(self, nxt: "PdfTable") -> None:
        """Append the rows of ``nxt`` (the same table on the next page).

        Both parts are put on the union of their column lines, then the page break is one of:

        - a **row split across the pages** (word processors allow it by default): the first row
          of ``nxt`` is the rest of the last row here; its texts are appended to the cells
          above and it adds no row;
        - a break **between rows** inside merged cells: a merged cell cut by the page end
          reappears as an empty box at the top of the next page and extends the cell above.
          Only the empty boxes that lead the first row are taken so: merged cells are row
          groups' labels at the left (三、本年度办理结果, （三）不予公开), while an empty box right
          of a label is a blank number and stays a cell (blank is not 0).
        """
        xs = _cluster(self.xs + nxt.xs, EDGE_TOLERANCE)
        self._regrid(xs)
        nxt._regrid(xs)
        open_cells = {}  # (col, colspan) -> index of a cell reaching this table's last row
        for i, (r, c, rs, cs, _t) in enumerate(self.cells):
            if r + rs == self.n_rows:
                open_cells[(c, cs)] = i
        first_row = sorted((c, cs, text) for r, c, _rs, cs, text in nxt.cells if r == 0)
        split = self._is_split_row(first_row, open_cells)
        leading = set()
        for c, _cs, text in first_row:
            if text.strip():
                break
            leading.add(c)
        shift = self.n_rows - 1 if split else self.n_rows
        for j, (r, c, rs, cs, text) in enumerate(nxt.cells):
            key = (c, cs)
            if r == 0 and key in open_cells and (split or c in leading):
                i = open_cells[key]
                pr, pc, prs, pcs, ptext = self.cells[i]
                joined = join_lines([t for t in (ptext, text) if t]) if split else ptext
                self.cells[i] = (pr, pc, prs + rs - (1 if split else 0), pcs, joined)
                if split:
                    self.full.discard(i)
                    if j in nxt.full:
                        self.full.add(i)
                continue
            if j in nxt.full:
                self.full.add(len(self.cells))
            self.cells.append((r + shift, c, rs, cs, text))
        self.n_rows += nxt.n_rows - (1 if split else 0)
        self.bottom = nxt.bottom

    def _is_split_row(self, first_row: list[tuple[int, int, str]], open_cells: dict) -> bool:
        """Whether the next page's first row is the rest of this part's last row.

        It is when the two rows have the same cells; some cell above ends in a line that fills
        it (the text was cut) and goes on below; no cell holds a number on both sides (a number
        is never cut); and the row below does not start a numbered item (一、 （二） 3.).
        """
        if not first_row or not any(text.strip() for _c, _cs, text in first_row):
            return False
        cut = False
        for c, cs, text in first_row:
            i = open_cells.get((c, cs))
            if i is None:
                return False
            above = self.cells[i][4].strip()
            if NUMBER.match(text.strip()) and NUMBER.match(above):
                return False
            if i in self.full and above and text.strip() and not NUMBER.match(above):
                cut = True
        first_text = next(text.strip() for _c, _cs, text in first_row if text.strip())
        return cut and not ITEM_START.match(first_text)

    def rows(self) -> list[TableRow]:
        out: list[TableRow] = [[] for _ in range(self.n_rows)]
        for r, c, rs, cs, text in sorted(self.cells, key=lambda t: (t[0], t[1])):
            out[r].append(TableCell(text, rs, cs))
        return out


def _cluster(values: list[float], tolerance: float = GRID_TOLERANCE) -> list[float]:
    """Distinct coordinates, merging those within ``tolerance`` of each other."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def _index(grid: list[float], v: float) -> int:
    """Index of the grid line nearest to ``v``."""
    return min(range(len(grid)), key=lambda i: abs(grid[i] - v))


def grid_table(cell_boxes: list[tuple[float, float, float, float]]) -> PdfTable | None:
    """Place pdfplumber's cell boxes on a grid; a merged cell spans several grid steps.

    A lone box (a frame around text) is not a table.
    """
    if len(cell_boxes) < 2:
        return None
    xs = _cluster([b[0] for b in cell_boxes] + [b[2] for b in cell_boxes])
    ys = _cluster([b[1] for b in cell_boxes] + [b[3] for b in cell_boxes])
    cells = []
    for x0, top, x1, bottom in cell_boxes:
        c0, c1 = _index(xs, x0), _index(xs, x1)
        r0, r1 = _index(ys, top), _index(ys, bottom)
        if c1 <= c0 or r1 <= r0:
            continue
        cells.append((r0, c0, r1 - r0, c1 - c0, ""))
    if not cells:
        return None
    return PdfTable(xs=xs, cells=cells, n_rows=len(ys) - 1, top=ys[0], bottom=ys[-1], ys=ys)


def assign_chars(chars: list[dict], tables: list[PdfTable]) -> tuple[list[list[dict]], list[dict]]:
    """Split characters into those inside each table and the rest (by the character's centre)."""
    in_table: list[list[dict]] = [[] for _ in tables]
    free = []
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for i, t in enumerate(tables):
            if t.xs[0] <= cx <= t.xs[-1] and t.top <= cy <= t.bottom:
                in_table[i].append(ch)
                break
        else:
            free.append(ch)
    return in_table, free


def fill_cells(table: PdfTable, chars: list[dict]) -> None:
    """Give each cell the text of the characters whose centre lies in it."""
    from pdfplumber.utils import extract_text

    ys = table.ys
    owner: dict[tuple[int, int], int] = {}
    for i, (r, c, rs, cs, _t) in enumerate(table.cells):
        for dr in range(rs):
            for dc in range(cs):
                owner[(r + dr, c + dc)] = i
    per_cell: dict[int, list[dict]] = {}
    for ch in chars:
        col = bisect_right(table.xs, (ch["x0"] + ch["x1"]) / 2) - 1
        row = bisect_right(ys, (ch["top"] + ch["bottom"]) / 2) - 1
        i = owner.get((row, col))
        if i is not None:
            per_cell.setdefault(i, []).append(ch)
    for i, cell_chars in per_cell.items():
        r, c, rs, cs, _t = table.cells[i]
        if _last_line_full(cell_chars, table.xs[c], table.xs[c + cs]):
            table.full.add(i)
        # Line breaks inside a cell are the cell's width, not the author's: joined like wrapped
        # prose, so a label or a number wrapped in a narrow column reads as one.
        lines = [ln.strip() for ln in extract_text(cell_chars).split("\n") if ln.strip()]
        table.cells[i] = (r, c, rs, cs, join_lines(lines) if lines else "")


def _last_line_full(chars: list[dict], cell_left: float, cell_right: float) -> bool:
    """Whether the cell's last text line fills the cell's width (less padding on both sides and
    less than two characters), however the text is aligned: a line the cell had to wrap."""
    bottom_top = max(ch["top"] for ch in chars)
    last = [ch for ch in chars if bottom_top - ch["top"] < 3]
    size = max(ch.get("size", 10) for ch in last) or 10
    line_width = max(ch["x1"] for ch in last) - min(ch["x0"] for ch in last)
    return (cell_right - cell_left) - line_width <= 2 * CELL_PADDING + 1.5 * size
