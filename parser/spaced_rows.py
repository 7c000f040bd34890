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

from core.keys import ACTIVE, REQUESTS
from parser.labels import active_row, norm, request_label, split_item_number, strip_annotation
from parser.piped_rows import is_piped, piped_table_rows
from parser.text_rows import Row
from parser.values import is_value_text

_GLUED = re.compile(r"^(.*[^\d\s.,，．])(\d{2,})$")
_SENTENCE = re.compile(r"[，。；,;]")
_SENTENCE_END = re.compile(r"[。；;]")  # labels hold commas ("部分公开（区分处理的，只计这一情形…）")


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
    """[label cells…, value, …] of a line ending with values, or None for prose and header lines.
    A '|' separates cells too (markdown rows printed without their leading pipe)."""
    tokens = line.replace("|", " ").split()
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


def _recognised(section: str, labels: list[str]) -> bool:
    """Whether a row label of ``section`` names one of the form's rows."""
    if section == ACTIVE:
        return any(active_row(lab) for lab in labels)
    if section == REQUESTS:
        return any(request_label(lab)[0] != "none" for lab in labels)
    return False


def _label_line(row: Row) -> str | None:
    """The text of a short paragraph line without values or sentence punctuation: a label
    printed on its own line (its values on the next), or the first part of a label cut in two."""
    text = row.line()
    if row.table or not text or len(strip_annotation(norm(text))) > 60 or _SENTENCE_END.search(text):
        return None
    tokens = text.replace("|", " ").split()
    return None if not tokens or is_value_text(tokens[-1]) else text  # a row of values is no label


def spaced_table_rows(rows: list[Row], section: str) -> list[Row]:
    """``rows`` of a statistics section; when none is a table row, its lines ending with values
    are read as table rows (the rest stay as they are). A row's label printed on the line above
    its values, or cut by a line break, is joined to it when only the joined label names a row."""
    if any(r.table for r in rows):
        return rows
    if is_piped(rows):
        return piped_table_rows(rows, section)  # every cell marked by '|': read with its blanks
    out: list[Row] = []
    made: set[int] = set()  # ids of the rows made here
    for row in rows:
        if row.line() == "|" and out and id(out[-1]) in made:
            out[-1].cells.append("")  # one cell per line, markdown: an empty cell of the row above
            continue
        cells = spaced_cells(row.line(), glued=section != ACTIVE)
        if not cells:
            out.append(row)
            continue
        values_at = next((i for i, c in enumerate(cells) if is_value_text(c) or c.isdigit()), len(cells))
        labels = cells[:values_at]
        if not labels and out and id(out[-1]) in made:
            # One cell per line: the values continue the row above.
            out[-1].cells.extend(cells)
            continue
        above = _label_line(out[-1]) if out and section in (ACTIVE, REQUESTS) else None
        if above is not None and not _recognised(section, labels):
            joined = [above + "".join(labels[:1]), *labels[1:]] if labels else _label_cells(above.split())
            if _recognised(section, joined):
                out.pop()
                cells = [*joined, *cells[values_at:]]
        out.append(Row(cells, table=True, spaced=True))
        made.add(id(out[-1]))
    if section == ACTIVE:
        _blank_active_rows(out, made)
    return out


def _blank_active_rows(out: list[Row], made: set[int]) -> None:
    """A section-二 row label printed with no value as the last row of its small table, right
    before the next 第二十条 table: every cell of that row was published blank, the one reading
    with no value shown. Not where some values stand without a label, as they may be this row's
    printed apart from it; not before another row label, whose values (on the line below) could
    be this row's; nor on the last line, where the page may have been cut."""
    if any(id(r) in made and not _recognised(ACTIVE, r.cells[:1]) for r in out):
        return
    for i, row in enumerate(out[:-1]):
        label = _label_line(row) if id(row) not in made else None
        if label is not None and active_row(label) is not None and norm(out[i + 1].line()).startswith("第二十条"):
            out[i] = Row([label, ""], table=True)  # an explicit blank: the columns it lacks are blank too
