"""The simple HTML every reader writes: ``<p>`` paragraphs and span-preserving ``<table>``s."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass
class TableCell:
    """One printed cell: its text exactly as printed and how far it spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1


# A row lists only the cells that start in it; positions covered by a span from above or
# from the left are absent, exactly as in HTML.
TableRow = list[TableCell]


class HtmlWriter:
    """Collects blocks in document order and renders them as one HTML string."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.text_chars = 0

    def paragraph(self, text: str) -> None:
        """A paragraph; blank ones are dropped. Line breaks inside it are kept as ``<br>``."""
        if not text.strip():
            return
        self.text_chars += _visible_chars(text)
        self._parts.append("<p>" + _escape_lines(text) + "</p>")

    def table(self, rows: list[TableRow]) -> None:
        """A table; a table without any cell text is dropped."""
        if not any(cell.text.strip() for row in rows for cell in row):
            return
        out = ["<table>"]
        for row in rows:
            out.append("<tr>")
            for cell in row:
                self.text_chars += _visible_chars(cell.text)
                attrs = ""
                if cell.rowspan > 1:
                    attrs += f' rowspan="{cell.rowspan}"'
                if cell.colspan > 1:
                    attrs += f' colspan="{cell.colspan}"'
                out.append(f"<td{attrs}>{_escape_lines(cell.text)}</td>")
            out.append("</tr>")
        out.append("</table>")
        self._parts.append("".join(out))

    def render(self) -> str:
        """The whole document as an HTML page."""
        body = "\n".join(self._parts)
        return f'<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>'


def rows_from_grid(grid: list[list[str | None]], spans: dict[tuple[int, int], tuple[int, int]]) -> list[TableRow]:
    """Table rows from a rectangular ``grid`` of texts and ``spans`` {(row, col): (rowspan, colspan)}.

    Positions covered by a span (other than its top-left corner) are left out of the rows.
    """
    covered: set[tuple[int, int]] = set()
    for (r, c), (rs, cs) in spans.items():
        for dr in range(rs):
            for dc in range(cs):
                if dr or dc:
                    covered.add((r + dr, c + dc))
    rows: list[TableRow] = []
    for r, line in enumerate(grid):
        row: TableRow = []
        for c, text in enumerate(line):
            if (r, c) in covered:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            row.append(TableCell(text or "", rs, cs))
        rows.append(row)
    return rows


def _escape_lines(text: str) -> str:
    return "<br>".join(html.escape(line, quote=False) for line in text.split("\n"))


def _visible_chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())
