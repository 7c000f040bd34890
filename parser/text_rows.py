"""Plain-text layouts → rows of cells, the one representation the table interpreter reads.

Three layouts occur in text extracted from reports:

1. tab-separated: one table row per line, cells split by ``\\t`` (merged cells appear as empty
   cells, in inconsistent places);
2. one cell per line: every cell is a line starting with ``\\t``, a line without a leading tab
   continues the previous cell, rows are separated by blank lines;
3. markdown-ish: ``#`` headings, ``**bold**``, ``<b>0</b>``, pipe tables and ``--`` separator rows.

Paragraph lines become one-cell rows with ``table=False``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKUP = re.compile(r"</?(?:b|strong|i|em|u|span|font|sup|sub)\b[^>]*>|\*\*|__(?=\S)|(?<=\S)__", re.I)
_HEADING_MARK = re.compile(r"^\s{0,3}#{1,6}\s*")
_SEPARATOR_CELL = re.compile(r"^:?-{2,}:?$")
_BR = re.compile(r"<br\s*/?>", re.I)


@dataclass
class Row:
    """One row: its cells (text as published, markup removed) and whether it came from a table."""

    cells: list[str]
    table: bool = False
    spaced: bool = False  # read from text without table markup: a blank cell left no trace

    def nonempty(self) -> list[str]:
        return [c for c in self.cells if c.strip()]

    def line(self) -> str:
        """The row as one line of plain text (cells joined by tabs)."""
        return "\t".join(self.cells).strip() if self.table else self.cells[0].strip()


def strip_markup(text: str) -> str:
    """Remove markdown emphasis and inline HTML tags that text extractors leave around cells."""
    if "<" in text or "*" in text or "_" in text:
        text = _MARKUP.sub("", _BR.sub(" ", text))
    return text


def is_separator_row(cells: list[str]) -> bool:
    """A markdown table separator (``--\\t--\\t---`` or ``|---|---|``)."""
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) >= 2 and all(_SEPARATOR_CELL.match(c) for c in filled)


def _blank(line: str) -> bool:
    # A line holding only a tab is an empty cell of layout 2, not a row separator.
    return "\t" not in line and not line.strip()


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and line.count("\t") == 1


def text_to_rows(text: str) -> list[Row]:
    """Split plain text into rows of cells (blank lines are dropped)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").split("\n")
    rows: list[Row] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if _blank(line):
            i += 1
            continue
        if _is_cell_line(line):
            # Layout 2: gather the block up to the next blank line into one row.
            cells = [line[1:]]
            i += 1
            while i < n and not _blank(lines[i]):
                nxt = lines[i]
                if _is_cell_line(nxt):
                    cells.append(nxt[1:])
                elif "\t" in nxt:
                    break
                else:
                    cells[-1] = cells[-1].rstrip() + nxt.strip()
                i += 1
            _add(rows, cells, table=True)
            continue
        i += 1
        stripped = line.strip()
        if "\t" in line:
            _add(rows, line.split("\t"), table=True)
        elif len(stripped) > 2 and stripped.startswith("|") and stripped.endswith("|"):
            _add(rows, stripped[1:-1].split("|"), table=True)
        else:
            _add(rows, [_HEADING_MARK.sub("", line)], table=False)
    return rows


def _add(rows: list[Row], cells: list[str], table: bool) -> None:
    cells = [strip_markup(c).strip() for c in cells]
    if table and is_separator_row(cells):
        return
    if not any(cells):
        return
    rows.append(Row(cells, table=table))
