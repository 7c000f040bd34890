"""Table rows from text without table markup: text converted from PDF, or a page body whose
table cells were flattened into lines separated by single spaces.

Only the statistics sections that hold no table row at all are read this way, so a document with
real table markup is read exactly as before. A line becomes a row when it ends with values:
``一、本年新收政府信息公开申请数量 5 0 0 0 0 0 5`` → label + 7 cells; a line of values alone is a
row without a label (section 四's values, printed apart from its headers). A label glued to its
digits (``…申请数量1000001``) gives one cell holding the digit run, which only the table's own
totals may split (:func:`parser.repair.split_glued`); it is never split where no totals can check it.
"""

from __future__ import annotations

import re

from core.keys import ACTIVE
from parser.labels import norm, split_item_number
from parser.text_rows import Row
from parser.values import is_value_text

_GLUED = re.compile(r"^(.*[^\d\s.,，．])(\d{2,})$")
_SENTENCE = re.compile(r"[，。；,;]")


def _label_cells(tokens: list[str]) -> list[str]:
    """Label tokens grouped into cells, a new cell at each item number: "三、本年度办理结果 (一) 予以公开"
    → ["三、本年度办理结果", "(一) 予以公开"], as the table's label columns had them."""
    cells: list[str] = []
    for tok in tokens:
        if not cells or split_item_number(norm(tok))[0] is not None:
            cells.append(tok)
        else:
            cells[-1] += " " + tok
    return cells


def spaced_cells(line: str, *, glued: bool) -> list[str] | None:
    """[label cells…, value, …] of a line ending with values, or None for prose and header lines."""
    tokens = line.split()
    k = len(tokens)
    while k > 0 and is_value_text(tokens[k - 1]):
        k -= 1
    labels, values = _label_cells(tokens[:k]), tokens[k:]
    if not values:
        m = _GLUED.match(labels[-1]) if glued and labels else None
        if m is None:
            return None
        return [*labels[:-1], m.group(1).strip(), m.group(2)]
    if labels and len(values) == 1 and (len(norm(labels[-1])) > 20 or _SENTENCE.search(labels[-1])):
        return None  # "…共收到申请5" ends many sentences; a label is short and has no punctuation
    return [*labels, *values]


def spaced_table_rows(rows: list[Row], section: str) -> list[Row]:
    """``rows`` of a statistics section; when none is a table row, its lines ending with values
    are read as table rows (the rest stay as they are)."""
    if any(r.table for r in rows):
        return rows
    out: list[Row] = []
    for row in rows:
        cells = spaced_cells(row.line(), glued=section != ACTIVE)
        out.append(Row(cells, table=True) if cells else row)
    return out
