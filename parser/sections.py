"""Rows → the report's six sections, by their headings (二、主动公开… ) and, where a heading is
missing or misplaced, by the unmistakable first rows of each statistics table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.keys import ACTIVE, APPEALS, REQUEST_COLUMNS, REQUESTS
from parser.labels import heading_section, norm, request_label
from parser.spaced_rows import spaced_cells
from parser.text_rows import Row
from parser.values import is_value_text

SECTION_NUMERALS = ("一", "二", "三", "四", "五", "六")
TABLE_SECTIONS = {"二": ACTIVE, "三": REQUESTS, "四": APPEALS}
PREAMBLE = "pre"


@dataclass
class Sections:
    """Rows grouped by section ("pre" = before the first heading), and the headings seen."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    present: list[str] = field(default_factory=list)
    heading_rows: set[int] = field(default_factory=set)  # ids of heading Row objects

    def table_rows(self, section: str) -> list[Row]:
        """Rows of the statistics table of canonical ``section`` (active/requests/appeals)."""
        numeral = next(k for k, v in TABLE_SECTIONS.items() if v == section)
        return self.rows.get(numeral, [])

    def ends_in(self, last: Row) -> str | None:
        """The statistics section (active/requests/appeals) whose rows end with ``last``, the
        document's last row: the text stops inside that table (a page cut short)."""
        for numeral, section in TABLE_SECTIONS.items():
            rows = self.rows.get(numeral)
            if rows and rows[-1] is last:
                return section
        return None

    def text(self, numeral: str) -> str:
        """Free text of a section, one line per row."""
        return "\n".join(r.line() for r in self.rows.get(numeral, []))


def _table_switch(row: Row) -> str | None:
    """The section a statistics-table row unmistakably belongs to, if any."""
    cells = [norm(c) for c in row.cells if c.strip()]
    if len(cells) < 2 and not (row.table and cells and cells[0].startswith("第二十条")):
        return None
    if any("本年新收" in c or "申请人情况" in c or "勾稽关系" in c for c in cells):
        return "三"
    if any(c.startswith("第二十条") for c in cells) or (
        "信息内容" in cells and any(("数量" in c or "件数" in c or "金额" in c) for c in cells)
    ):
        return "二"
    if any("直接起诉" in c or "复议后起诉" in c for c in cells) or (
        "行政复议" in cells and any("诉讼" in c or "维持" in c for c in cells)
    ):
        return "四"
    return None


def _starts_inside_requests(row: Row) -> bool:
    """A text that starts inside table 三 (one page of a flip-book, an extract): before any
    heading, a line holding one of the table's own top rows (一、本年新收… to 四、结转下年度继续办理)
    with its 7 values, which no other part of a report prints."""
    if row.table or not row.cells[0][-1:].isdigit():
        return False
    cells = spaced_cells(row.cells[0], glued=False)
    if not cells:
        return False
    values = [c for c in cells if is_value_text(c)]
    return len(values) == len(REQUEST_COLUMNS) and request_label(cells[0])[0] == "top"


def split_sections(rows: list[Row]) -> Sections:
    """Assign every row to the section it sits in."""
    out = Sections()
    current = PREAMBLE
    for row in rows:
        filled = row.nonempty()
        if len(filled) == 1 and len(filled[0]) <= 60:
            numeral = heading_section(filled[0])
            if numeral is not None:
                current = numeral
                if numeral not in out.present:
                    out.present.append(numeral)
                out.heading_rows.add(id(row))
                out.rows.setdefault(current, [])
                continue
        if row.table:
            switched = _table_switch(row)
            if switched is not None and switched != current:
                current = switched
        elif current == PREAMBLE and _starts_inside_requests(row):
            current = "三"
        out.rows.setdefault(current, []).append(row)
    out.present.sort(key=SECTION_NUMERALS.index)
    return out
