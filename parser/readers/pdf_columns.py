"""Tables drawn without ruling lines: rows of a label and numbers set in columns.

Some PDFs print the statistics tables without borders (or with borders as an image), so the
ruling-line finder sees nothing and the rows would come out as prose ("规章 0 0 0"), which no
table reader takes. Here a run of lines whose text ends in numbers standing apart in columns
(gaps far wider than a word space) becomes one table: each line splits at those gaps, the pieces
are put in columns found from where the numbers stand, and a number row without a label takes
the label lines printed just above and below it (a label wrapped in a tall cell).

Only pages without ruled tables are read this way, and prose is safe: a sentence's numbers are
set a word space apart, never a column gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parser.readers.html import TableCell, TableRow
from parser.readers.pdf_tables import NUMBER

COLUMN_GAP = 1.5  # in character sizes: a gap at least this wide separates two cells
MAX_ROW_DISTANCE = 3.2  # in line heights: number rows further apart start a new table
MIN_NUMBER_ROWS = 2
MIN_WIDE_ROW = 4  # a single row with this many numbers in columns is a table by itself


@dataclass
class Line:
    """A text line split at column gaps: pieces of (x centre, text), left to right."""

    pieces: list[tuple[float, str]]
    chars: list[dict]
    top: float
    bottom: float
    size: float

    @property
    def numbers(self) -> list[tuple[float, str]]:
        """The trailing pieces that are numbers (none for a line that is only a label; all of
        them for a row printed without its label)."""
        out: list[tuple[float, str]] = []
        for x, text in reversed(self.pieces):
            if not NUMBER.match(text):
                break
            out.append((x, text))
        return list(reversed(out))


@dataclass
class UnruledTable:
    """Rows found on one page, as table rows, and where they stand."""

    table_rows: list[TableRow]
    top: float
    chars: list[dict] = field(default_factory=list)

    def rows(self) -> list[TableRow]:
        return self.table_rows

    def continues(self, prev: Any) -> bool:
        """Unruled tables are not joined across pages: nothing shows they are one table."""
        return False


def split_line(chars: list[dict]) -> Line:
    """A line's characters split into pieces at gaps of COLUMN_GAP character sizes or more."""
    chars = sorted(chars, key=lambda c: c["x0"])
    size = max(c.get("size", 10) for c in chars) or 10
    groups: list[list[dict]] = [[chars[0]]]
    for ch in chars[1:]:
        if ch["x0"] - groups[-1][-1]["x1"] >= COLUMN_GAP * size:
            groups.append([ch])
        else:
            groups[-1].append(ch)
    pieces = [((g[0]["x0"] + g[-1]["x1"]) / 2, _text(g)) for g in groups]
    return Line(pieces, chars, min(c["top"] for c in chars), max(c["bottom"] for c in chars), size)


def _text(chars: list[dict]) -> str:
    out = chars[0]["text"]
    for prev, ch in zip(chars, chars[1:]):
        # A word space inside a piece (Latin text, "2024 年") is kept as one space.
        if ch["x0"] - prev["x1"] > 0.25 * (ch.get("size", 10) or 10):
            out += " "
        out += ch["text"]
    return out.strip()


def find_unruled_tables(lines: list[Line]) -> list[UnruledTable]:
    """Runs of number rows, with the label lines between and around them, as tables."""
    number_rows = [i for i, ln in enumerate(lines) if ln.numbers and (len(ln.pieces) > 1 or _is_column(ln, lines))]
    wide = {i for i in number_rows if len(lines[i].numbers) >= MIN_WIDE_ROW}
    runs: list[list[int]] = []
    for i in number_rows:
        if runs:
            prev = lines[runs[-1][-1]]
            height = max(prev.bottom - prev.top, 1.0)
            if lines[i].top - prev.bottom <= MAX_ROW_DISTANCE * height:
                runs[-1].append(i)
                continue
        runs.append([i])
    tables = []
    for run in runs:
        if len(run) < MIN_NUMBER_ROWS and not wide.intersection(run):
            continue
        first, last = run[0], run[-1]
        # Label lines directly above the first number row belong to it (a wrapped label or a
        # header); take at most two.
        while first > 0 and run[0] - first < 2 and not lines[first - 1].numbers and _close(lines[first - 1], lines[first]):
            first -= 1
        # …and so does one label line right below a last row printed without its label.
        if last + 1 < len(lines) and _unlabelled(lines[last]) and not lines[last + 1].numbers \
                and _close(lines[last], lines[last + 1]):
            last += 1
        tables.append(_table(lines[first:last + 1]))
    return tables


def _is_column(line: Line, lines: list[Line]) -> bool:
    """A lone number (a row's only value under a wrapped label) counts when it stands right
    of the text column's left edge, where numbers in a table stand."""
    left = min(ln.chars[0]["x0"] for ln in lines)
    return line.chars[0]["x0"] - left > 4 * line.size


def _unlabelled(line: Line) -> bool:
    return len(line.numbers) == len(line.pieces)


def _close(a: Line, b: Line) -> bool:
    return b.top - a.bottom <= 0.8 * max(a.bottom - a.top, 1.0)


def _table(lines: list[Line]) -> UnruledTable:
    """Lines → rows on shared columns; a number row with no label takes adjoining label lines."""
    xs = _columns([x for ln in lines for x, _t in ln.numbers], max(ln.size for ln in lines))
    rows: list[tuple[str, dict[int, str], bool]] = []
    nearest = lambda x: min(range(len(xs)), key=lambda i: abs(xs[i] - x))  # noqa: E731
    for ln in lines:
        numbers = ln.numbers
        if numbers:
            label = " ".join(t for _x, t in ln.pieces[: len(ln.pieces) - len(numbers)])
            placed = {nearest(x): text for x, text in numbers}
        else:  # a header or a label line: its first piece is the label, the rest go to columns
            label = ln.pieces[0][1]
            placed = {}
            for x, text in ln.pieces[1:]:
                col = nearest(x)
                placed[col] = f"{placed[col]} {text}" if col in placed else text
        rows.append((label, placed, bool(numbers)))
    merged: list[tuple[str, dict[int, str]]] = []
    i = 0
    while i < len(rows):
        label, placed, has_numbers = rows[i]
        if has_numbers and not label:
            # A wrapped label printed around its numbers: the label lines above and below it.
            if merged and i > 0 and not rows[i - 1][2] and not rows[i - 1][1]:
                label = merged.pop()[0]
            if i + 1 < len(rows) and not rows[i + 1][2] and not rows[i + 1][1]:
                label += rows[i + 1][0]
                i += 1
        merged.append((label, placed))
        i += 1
    table_rows: list[TableRow] = [
        [TableCell(label)] + [TableCell(placed.get(c, "")) for c in range(len(xs))] for label, placed in merged]
    return UnruledTable(table_rows, lines[0].top, [ch for ln in lines for ch in ln.chars])


def _columns(centres: list[float], size: float) -> list[float]:
    """Column centres: number positions closer than one character size are one column."""
    out: list[list[float]] = []
    for x in sorted(centres):
        if out and x - out[-1][-1] < size:
            out[-1].append(x)
        else:
            out.append([x])
    return [sum(group) / len(group) for group in out]


def lines_of(chars: list[dict]) -> list[Line]:
    """Characters grouped into lines (by vertical centre), top to bottom, split at column gaps."""
    from pdfplumber.utils import cluster_objects

    groups = cluster_objects(chars, lambda c: round((c["top"] + c["bottom"]) / 2, 1), 3)
    lines = [split_line(g) for g in groups if g]
    lines.sort(key=lambda ln: ln.top)
    return lines


def take_unruled_tables(chars: list[dict]) -> tuple[list[UnruledTable], list[dict]]:
    """Unruled tables among ``chars``, and the characters left for prose."""
    if not chars:
        return [], chars
    tables = find_unruled_tables(lines_of(chars))
    used = {id(ch) for t in tables for ch in t.chars}
    return tables, [ch for ch in chars if id(ch) not in used]
