"""A report's tables laid out like the official form, and a year-on-year comparison.

Labels and row/column order come from core/keys.py only. A cell is "failing" when an open
finding of the report names it in its evidence (``evidence.cells``).
"""

from __future__ import annotations

import difflib
from html import escape  # str in, str out: cheaper than markupsafe's per cell
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from markupsafe import Markup, escape as markup_escape  # as Jinja escapes: &#34; &#39;

from core import keys
from monitor.evidence import cell_name, column_label, plain_number

CellKey = tuple[str, str, str]
Cells = dict[CellKey, tuple[Decimal | None, str]]  # value, and its text as shown (``cell_text``)
OPEN = frozenset({"new", "open", "reopened"})


@dataclass
class FormCell:
    key: CellKey
    text: str  # the value as a number, or 空白
    present: bool  # the parser found this cell at all
    failing: bool = False
    acknowledged: bool = False  # failing only for acknowledged findings
    finding_ids: list[int] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "c-" + "-".join(self.key).replace(".", "_")

    def html(self) -> str:
        """The ``<td>``, every text escaped (built here, not in Jinja: a site renders millions)."""
        cls = "num" + (" fail" if self.failing else "") + (" ack" if self.acknowledged else "") + ("" if self.present else " absent")
        attrs = ""
        if self.failing:
            ids = " ".join(map(str, self.finding_ids))
            attrs = f' data-findings="{ids}" title="核查发现 #{", #".join(map(str, self.finding_ids))}"'
        return f'<td id="{escape(self.anchor)}" class="{cls}"{attrs}>{escape(self.text)}</td>'


@dataclass
class FormTable:
    """One printed table, as HTML: its ``<thead>`` rows and its ``<tbody>`` rows."""

    head: Markup
    body: Markup


@dataclass
class FormSection:
    key: str
    label: str
    tables: list[FormTable]


def failing_cells(findings: list[dict[str, Any]]) -> dict[CellKey, list[dict[str, Any]]]:
    """Cells named by the open findings' evidence, with those findings."""
    out: dict[CellKey, list[dict[str, Any]]] = {}
    for f in findings:
        if f["status"] not in OPEN:
            continue
        for c in f.get("cells") or []:
            if isinstance(c, dict) and {"section", "row", "column"} <= c.keys():
                out.setdefault((c["section"], c["row"], c["column"]), []).append(f)
    return out


_TEXTS: dict[Decimal | None, str] = {}  # value → text: a site's millions of cells hold few values


def cell_text(value: Decimal | None) -> str:
    """``plain_number`` (equal values, equal text), remembered per value. Its text is digits, a
    sign, a point or 空白: nothing HTML would read as markup."""
    try:
        return _TEXTS[value]
    except KeyError:
        pass
    except TypeError:  # an unhashable (signalling NaN) value
        return plain_number(value)
    if len(_TEXTS) > 100_000:
        _TEXTS.clear()
    if value is not None and (whole := int(value)) == value:
        text = str(whole)
    else:
        text = plain_number(value)
    _TEXTS[value] = text
    return text


def _cell(key: CellKey, cells: Cells, failing: dict[CellKey, list[dict[str, Any]]]) -> FormCell:
    text = cells[key][1] if key in cells else "—"
    hits = failing.get(key, [])
    return FormCell(
        key,
        text,
        key in cells,
        failing=bool(hits),
        acknowledged=bool(hits) and all(f.get("acknowledged") for f in hits),
        finding_ids=[f["id"] for f in hits],
    )


def _td_open(key: CellKey) -> str:
    return f'<td id="{escape(FormCell(key, "", True).anchor)}" class="num'


def _failing_td(key: CellKey, cells: Cells, failing: dict[CellKey, list[dict[str, Any]]]) -> tuple[str, str, str]:
    """A failing cell's class suffix, ``"`` + attributes + ``>``, and text: FormCell.html's, cut
    at the places where a table's fixed parts (``_TableLayout.parts``) leave slots."""
    td = _cell(key, cells, failing).html()
    head = _td_open(key)
    assert td.startswith(head)
    rest = td[len(head):-len("</td>")]
    cls_end = rest.index('"')
    text_start = rest.index(">", cls_end) + 1
    return rest[:cls_end], rest[cls_end:text_start], rest[text_start:]


@dataclass(frozen=True)
class _TableLayout:
    """A table's fixed parts, built once per format. Its body is ``parts`` with, for the i-th
    cell of ``keys``, three slots filled per report: ``parts[4i+1]`` the class suffix (`` absent``
    …), ``parts[4i+2]`` ``">`` (or ``"`` + a failing cell's attributes + ``>``), ``parts[4i+3]`` the
    text; ``parts[4i]`` is everything fixed before the cell (``</td>``, row breaks, row headers,
    ``<td id=… class="num``). A site renders millions of cells: one ``str.join`` per table."""

    head: str  # the <thead> rows, escaped
    keys: tuple[CellKey, ...]  # the cells in the order they are laid out
    parts: tuple[str, ...]


def _head_html(headers: list[list[tuple[str, int]]]) -> str:
    def th(label: str, span: int) -> str:
        return f'<th colspan="{span}">{escape(label)}</th>' if span > 1 else f"<th>{escape(label)}</th>"

    return "".join("<tr>" + "".join(th(label, span) for label, span in h) + "</tr>" for h in headers)


def _table(headers: list[list[tuple[str, int]]], rows: list[tuple[str, tuple[CellKey, ...]]]) -> _TableLayout:
    """A table's fixed parts; a lone unlabelled wide row (section 四) has no row header."""
    laid = [
        (f'<th scope="row">{escape(label)}</th>' if label or len(rows) > 1 or len(cells) < 10 else "", cells)
        for label, cells in rows
    ]
    # The body is "\n".join("<tr>" + row header + its <td>s + "</tr>"), cut around each cell's slots.
    parts: list[str] = []
    fixed = ""
    for i, (head, cells) in enumerate(laid):
        fixed += ("\n" if i else "") + "<tr>" + head
        for key in cells:
            parts += (fixed + _td_open(key), "", '">', "")
            fixed = "</td>"
        fixed += "</tr>"
    parts.append(fixed)
    return _TableLayout(_head_html(headers), tuple(k for _, cells in laid for k in cells), tuple(parts))


@lru_cache(maxsize=8)
def _layout(fmt: str) -> tuple[tuple[str, str, tuple[_TableLayout, ...]], ...]:
    """The official tables of ``fmt`` (二、三、四): headers, row labels and cell order, built once."""
    out = []
    for section in keys.SECTIONS:
        specs = keys.rows_for(section, fmt)
        tables: list[_TableLayout] = []
        if section == keys.ACTIVE:
            group: list[keys.RowSpec] = []
            for spec in (*specs, None):
                if group and (spec is None or spec.columns != group[0].columns):
                    head = [("信息内容", 1)] + [(column_label(section, c), 1) for c in group[0].columns]
                    tables.append(_table([head], [(s.label, tuple((section, s.key, c) for c in s.columns)) for s in group]))
                    group = []
                if spec is not None:
                    group.append(spec)
        elif section == keys.REQUESTS and specs:
            top = [("", 1), ("申请人情况", 7)]
            mid = [("", 1), ("自然人", 1), ("法人或其他组织", 5), ("总计", 1)]
            low = [("", 2)] + [(column_label(section, c), 1) for c in keys.APPLICANT_COLUMNS[1:]] + [("", 1)]
            tables.append(_table([top, mid, low], [(s.label, tuple((section, s.key, c) for c in s.columns)) for s in specs]))
        elif section == keys.APPEALS and specs:
            top = [("行政复议", 5), ("行政诉讼", 10)]
            mid = [("", 5), ("未经复议直接起诉", 5), ("复议后起诉", 5)]
            low = [(column_label(section, c), 1) for s in specs for c in s.columns]
            tables.append(_table([top, mid, low], [("", tuple((section, s.key, c) for s in specs for c in s.columns))]))
        out.append((section, keys.SECTION_LABELS[section], tuple(tables)))
    return tuple(out)


@lru_cache(maxsize=8)
def _on_form(fmt: str) -> frozenset[CellKey]:
    return frozenset(keys.expected_cells(fmt))


_ABSENT = (None, "—")


def _render(table: _TableLayout, cells: Cells, failing: dict[CellKey, list[dict[str, Any]]]) -> FormTable:
    got = [cells.get(k, _ABSENT) for k in table.keys]
    parts = list(table.parts)
    # Slots filled by slice: no Python-level step per cell but these two comprehensions.
    parts[1::4] = ["" if g is not _ABSENT else " absent" for g in got]
    parts[3::4] = [g[1] for g in got]
    if failing:
        for i, k in enumerate(table.keys):
            if k in failing:
                parts[4 * i + 1], parts[4 * i + 2], parts[4 * i + 3] = _failing_td(k, cells, failing)
    return FormTable(Markup(table.head), Markup("".join(parts)))


def form_sections(fmt: str | None, cells: Cells, findings: list[dict[str, Any]]) -> list[FormSection]:
    """The three tables of ``fmt`` (二、三、四) in official order; off-form cells in a last table."""
    failing = failing_cells(findings)
    fmt = fmt or ""
    out = [
        FormSection(section, label, [_render(t, cells, failing) for t in tables])
        for section, label, tables in _layout(fmt)
    ]
    extra = cells.keys() - _on_form(fmt)
    if extra:
        table = _other_table(fmt, tuple(sorted(extra)))
        out.append(FormSection("other", "表外数据（未按官方表格识别的单元格）", [_render(table, cells, failing)]))
    return out


@lru_cache(maxsize=1024)
def _other_table(fmt: str, extra: tuple[CellKey, ...]) -> _TableLayout:
    """The table of a report's off-form cells (reports of a site tend to share them)."""
    return _table([[("项目", 1), ("数值", 1)]], [(cell_name(*k, fmt or None), (k,)) for k in extra])


# --- Year-on-year ---------------------------------------------------------------------------
def changes_html(changes: list[str]) -> Markup:
    """The rows ``cell_changes`` made, one per line."""
    return Markup("\n".join(changes))


@lru_cache(maxsize=4096)
def _change_head(key: CellKey, fmt: str | None) -> str:
    """A row's start up to its first number: the label, escaped once."""
    label = ("二、" if key[0] == keys.ACTIVE else "") + cell_name(*key, fmt)
    return f'<tr><th scope="row">{escape(label)}</th><td class="num">'


@lru_cache(maxsize=8)
def _form_order(fmt: str) -> tuple[CellKey, ...]:
    return tuple(keys.expected_cells(fmt))


_BLANK = (None, "空白")
# (text Y−1, text Y) → (|change| or None, the row after its label): a cell's text says its value
# (``cell_text``: equal values, equal text), and a site's millions of pairs hold few distinct ones.
_PAIRS: dict[tuple[str, str], tuple[int | Decimal | None, str]] = {}


def _pair(before: tuple[Decimal | None, str], after: tuple[Decimal | None, str]) -> tuple[int | Decimal | None, str]:
    (b, b_text), (a, a_text) = before, after
    row = f'{b_text}</td><td class="num">{a_text}</td>'
    size: int | Decimal | None = None
    if a is None or b is None:
        tail = '<td class="num">—</td></tr>'
    else:
        change = a - b
        if change > 0:
            tail = f'<td class="num up">+{cell_text(change)}</td></tr>'
        elif change < 0:
            tail = f'<td class="num down">{cell_text(change)}</td></tr>'
        else:
            tail = f'<td class="num">{cell_text(change)}</td></tr>'
        size = abs(change)
        if size == size.to_integral_value():
            size = int(size)  # the same order, compared faster
    if len(_PAIRS) > 200_000:
        _PAIRS.clear()
    got = _PAIRS[(b_text, a_text)] = (size, row + tail)
    return got


def cell_changes(fmt: str | None, before: Cells, after: Cells) -> list[str]:
    """Every cell of either year as a table row (label, Y−1, Y, change), largest absolute change
    first, then the cells whose change is unknown (a side blank or absent) in form order. The
    texts come from ``cell_text``: no markup to escape."""
    order = _form_order(fmt or keys.FORMAT_2021)
    on_form = _on_form(fmt or keys.FORMAT_2021)
    present = [k for k in order if k in before or k in after]
    present += sorted((before.keys() - on_form) | (after.keys() - on_form))
    b_cells = [before.get(k, _BLANK) for k in present]
    a_cells = [after.get(k, _BLANK) for k in present]
    got = list(map(_PAIRS.get, zip([c[1] for c in b_cells], [c[1] for c in a_cells])))
    if None in got:
        got = [g or _pair(b, a) for g, b, a in zip(got, b_cells, a_cells)]
    heads = list(map(_change_heads(fmt).get, present))
    if None in heads:  # off-form cells
        heads = [h or _change_head(k, fmt) for h, k in zip(heads, present)]
    rows = list(map(str.__add__, heads, [g[1] for g in got]))
    known = [(g[0], row) for g, row in zip(got, rows) if g[0] is not None]
    # Stable: equal changes keep the form's order (reverse=True keeps it too).
    known.sort(key=itemgetter(0), reverse=True)
    return [row for _, row in known] + [row for g, row in zip(got, rows) if g[0] is None]


@lru_cache(maxsize=8)
def _change_heads(fmt: str | None) -> dict[CellKey, str]:
    return {k: _change_head(k, fmt) for k in _form_order(fmt or keys.FORMAT_2021)}


@dataclass
class CarryOver:
    column: str
    label: str
    carried_out: str  # year Y−1: 四、结转下年度继续办理
    carried_in: str  # year Y: 二、上年结转
    agrees: bool | None  # None: a side is blank


def carry_over(before: Cells, after: Cells) -> list[CarryOver]:
    """Y−1's 结转下年度继续办理 against Y's 上年结转, column by column."""
    out = []
    for col in keys.REQUEST_COLUMNS:
        out_v = before.get((keys.REQUESTS, "carried_out", col), (None, ""))[0]
        in_v = after.get((keys.REQUESTS, "carried_in", col), (None, ""))[0]
        agrees = None if out_v is None or in_v is None else out_v == in_v
        out.append(CarryOver(col, column_label(keys.REQUESTS, col), plain_number(out_v), plain_number(in_v), agrees))
    return out


TEXT_SECTIONS = {"一": "一、总体情况", "五": "五、存在的主要问题及改进情况", "六": "六、其他需要报告的事项"}


_DIFF_TAGS = {"removed": ("<del>", "</del>"), "added": ("<ins>", "</ins>"), "same": ("", "")}


def diff_html(lines: list[tuple[str, str]]) -> Markup:
    """A section's clauses from ``text_diff`` as paragraphs, each text escaped (a report's prose
    is a few hundred clauses: built here, not by a template loop)."""
    out = []
    for op, text in lines:
        start, end = _DIFF_TAGS.get(op, ("", ""))
        out.append(f'<p class="{markup_escape(op)}">{start}{markup_escape(text)}{end}</p>')
    return Markup("".join(out))


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<=[。；！？\n])", text or "") if c.strip()]


def text_diff(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per section 一/五/六: clauses as (op, text) with op ``same``, ``removed`` or ``added``."""
    out = []
    for sec, label in TEXT_SECTIONS.items():
        a, b = _clauses(before.get(sec, "")), _clauses(after.get(sec, ""))
        lines: list[tuple[str, str]] = []
        if a == b:  # what the matcher says of equal lists, without matching them
            out.append((label, [("same", t) for t in a]))
            continue
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                lines.extend(("same", t) for t in a[i1:i2])
            else:
                lines.extend(("removed", t) for t in a[i1:i2])
                lines.extend(("added", t) for t in b[j1:j2])
        out.append((label, lines))
    return out
