"""Table rows from markdown whose cells a converter broke over lines: every cell on its own line,
ended by ``|`` (``规章 |`` / ``0 |`` / ``|`` for a blank cell), or cells on lines of their own with
lone ``|`` lines between them; also rows of ``|``-separated cells printed without their leading
pipe (``规章 | 0 | 0 | 0 |``).

Unlike text without table markup (:mod:`parser.spaced_rows`), every cell here is marked, blank
ones included, so a row's cells keep their columns. What the markup no longer marks is where a
row ends; the form fixes that instead: a row starts at one of its labels (a row label of the
section, a column header, a 第二十条 group header), and its cells run up to the next label.
Column headers printed one per line stay one header row. Prose lines are never cells.
"""

from __future__ import annotations

import re

from core.keys import ACTIVE, REQUESTS
from parser.labels import REQUEST_HEADER_WORDS, active_column, active_row, norm, request_label
from parser.text_rows import Row
from parser.values import is_value_text

_SENTENCE_END = re.compile(r"[。；;]")
_BARE_COLUMN_WORDS = frozenset({"总计", "合计", "其他", "其它"})  # row labels too, but not in a header
_BLANK = ""


def is_piped(rows: list[Row]) -> bool:
    """Whether a statistics section without table rows is printed as ``|``-marked cells: its
    lines hold at least three ``|`` and some line is nothing but ``|`` or ends with one."""
    piped = [line for line in (r.line() for r in rows if not r.table) if "|" in line]
    return sum(line.count("|") for line in piped) >= 3 and any(line.endswith("|") for line in piped)


def _is_prose(line: str) -> bool:
    return bool(_SENTENCE_END.search(line)) or len(norm(line)) > 120


def _line_cells(lines: list[str]) -> list[str | Row]:
    """The cells of ``lines`` in reading order ("" for a blank cell); a prose line stays a Row.

    Two markings occur: a ``|`` *ends* each cell (some line ends with ``… |``), or lone ``|``
    lines *separate* cells printed on lines of their own (then two ``|`` in a row enclose a blank
    cell, and consecutive text lines are one cell broken by a line break)."""
    ends = any(line.endswith("|") and line.strip("| ") for line in lines)
    out: list[str | Row] = []
    after_bar = False
    for line in lines:
        if "|" not in line and _is_prose(line):
            out.append(Row([line]))
            after_bar = False
            continue
        if ends:
            pieces = line.split("|")
            if line.endswith("|"):
                pieces.pop()  # the last '|' ends its cell
            out.extend(p.strip() for p in pieces)
            continue
        if line.strip("| "):  # a cell's text, between separators
            prev = out[-1] if out else None
            if (
                not after_bar
                and isinstance(prev, str)
                and prev
                and not is_value_text(prev)
                and not is_value_text(line)
            ):
                out[-1] = prev + line  # one cell broken over two lines ("商业" / "企业")
            else:
                out.append(line.strip())
            after_bar = False
        else:
            if after_bar:
                out.append(_BLANK)  # '|' right after '|': a blank cell between them
            after_bar = True
    return out


def _is_header(section: str, text: str) -> bool:
    """A column-header cell of the section's table."""
    s = norm(text)
    if section == REQUESTS:
        return any(w in s for w in REQUEST_HEADER_WORDS) or s in _BARE_COLUMN_WORDS
    if section == ACTIVE:
        return s == "信息内容" or active_column(text)[0] is not None
    return False


def _starts_row(section: str, text: str) -> bool:
    """A cell that can only open a row: a row label of the section, or a table's own header."""
    s = norm(text)
    if s.startswith("第二十条") or s == "信息内容":
        return True
    if section == ACTIVE:
        return active_row(text) is not None
    if section == REQUESTS:
        return request_label(text)[0] != "none"
    return False


def piped_table_rows(rows: list[Row], section: str) -> list[Row]:
    """The rows of a ``|``-marked section as table rows with every cell in place (see the module
    docstring); prose stays as it is. A blank cell before any row's first label is dropped."""
    items = _line_cells([r.line() for r in rows])
    out: list[Row] = []
    current: list[str] | None = None  # cells of the row being gathered
    labels_only = False  # the row being gathered has no value or blank cell yet
    for item in items:
        if isinstance(item, Row):
            out.append(item)
            current = None
            continue
        text = item
        if text == _BLANK or is_value_text(text):
            if current is not None:
                current.append(text)
                labels_only = False
            elif text != _BLANK:  # values without a label: section 四's row, or values apart from labels
                current = [text]
                out.append(Row(current, table=True))
                labels_only = False
            continue
        joins = (
            current is not None
            and labels_only
            and (
                all(_is_header(section, c) for c in current) and _is_header(section, text)
                or not _starts_row(section, text)
            )
        )
        if joins:
            current.append(text)  # type: ignore[union-attr]
            continue
        current = [text]
        out.append(Row(current, table=True))
        labels_only = True
    return out
