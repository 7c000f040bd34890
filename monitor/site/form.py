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
from typing import Any

from markupsafe import Markup

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


# A site renders millions of cells, nearly all of them plain numbers that repeat (0, 1, 2 …)
# in the same ~200 positions: their <td> is built once per (cell, text) and reused.
@lru_cache(maxsize=1024)
def _td_open(key: CellKey) -> str:
    return f'<td id="{escape(FormCell(key, "", True).anchor)}" class="num'


@lru_cache(maxsize=65536)
def _plain_td(key: CellKey, text: str) -> str:
    return f'{_td_open(key)}">{text}</td>'


@lru_cache(maxsize=1024)
def _absent_td(key: CellKey) -> str:
    return f'{_td_open(key)} absent">—</td>'


def _td(key: CellKey, cells: Cells, failing: dict[CellKey, list[dict[str, Any]]]) -> str:
    """The ``<td>`` of ``key`` in this report: a failing cell in full, others from the cache."""
    if key in failing:
        return _cell(key, cells, failing).html()
    got = cells.get(key)
    return _absent_td(key) if got is None else _plain_td(key, got[1])


@dataclass(frozen=True)
class _TableLayout:
    head: str  # the <thead> rows, escaped
    rows: tuple[tuple[str, tuple[CellKey, ...]], ...]  # (row header HTML or "", its cells)


def _head_html(headers: list[list[tuple[str, int]]]) -> str:
    def th(label: str, span: int) -> str:
        return f'<th colspan="{span}">{escape(label)}</th>' if span > 1 else f"<th>{escape(label)}</th>"

    return "".join("<tr>" + "".join(th(label, span) for label, span in h) + "</tr>" for h in headers)


def _table(headers: list[list[tuple[str, int]]], rows: list[tuple[str, tuple[CellKey, ...]]]) -> _TableLayout:
    """A table's fixed parts; a lone unlabelled wide row (section 四) has no row header."""
    laid = tuple(
        (f'<th scope="row">{escape(label)}</th>' if label or len(rows) > 1 or len(cells) < 10 else "", cells)
        for label, cells in rows
    )
    return _TableLayout(_head_html(headers), laid)


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


def _render(table: _TableLayout, cells: Cells, failing: dict[CellKey, list[dict[str, Any]]]) -> FormTable:
    body = "\n".join(
        f"<tr>{head}{''.join([_td(k, cells, failing) for k in keys_])}</tr>" for head, keys_ in table.rows
    )
    return FormTable(Markup(table.head), Markup(body))


def form_sections(fmt: str | None, cells: Cells, findings: list[dict[str, Any]]) -> list[FormSection]:
    """The three tables of ``fmt`` (二、三、四) in official order; off-form cells in a last table."""
    failing = failing_cells(findings)
    fmt = fmt or ""
    out = [
        FormSection(section, label, [_render(t, cells, failing) for t in tables])
        for section, label, tables in _layout(fmt)
    ]
    on_form = _on_form(fmt)
    extra = sorted(k for k in cells if k not in on_form)
    if extra:
        table = _table([[("项目", 1), ("数值", 1)]], [(cell_name(*k, fmt or None), (k,)) for k in extra])
        out.append(FormSection("other", "表外数据（未按官方表格识别的单元格）", [_render(table, cells, failing)]))
    return out


# --- Year-on-year ---------------------------------------------------------------------------
@dataclass(slots=True)
class CellChange:
    key: CellKey
    label: str
    before: str
    after: str
    change: Decimal | None

    def html(self) -> str:
        if self.change is None:
            cls, text = "num", "—"
        else:
            cls = "num up" if self.change > 0 else "num down" if self.change < 0 else "num"
            text = ("+" if self.change > 0 else "") + cell_text(self.change)
        # before/after/text come from cell_text: no markup to escape; the label is escaped once.
        return (
            f'{_change_head(self.key, self.label)}<td class="num">{self.before}</td>'
            f'<td class="num">{self.after}</td><td class="{cls}">{text}</td></tr>'
        )


@lru_cache(maxsize=4096)
def _change_head(key: CellKey, label: str) -> str:
    return f'<tr><th scope="row">{escape(label)}</th>'


def changes_html(changes: list[CellChange]) -> Markup:
    return Markup("\n".join([c.html() for c in changes]))


@lru_cache(maxsize=4096)
def _change_label(key: CellKey, fmt: str | None) -> str:
    return ("二、" if key[0] == keys.ACTIVE else "") + cell_name(*key, fmt)


@lru_cache(maxsize=8)
def _form_order(fmt: str) -> tuple[CellKey, ...]:
    return tuple(keys.expected_cells(fmt))


def cell_changes(fmt: str | None, before: Cells, after: Cells) -> list[CellChange]:
    """Every cell of either year with its change, largest absolute change first."""
    order = _form_order(fmt or keys.FORMAT_2021)
    on_form = _on_form(fmt or keys.FORMAT_2021)
    present = [k for k in order if k in before or k in after]
    present += sorted({k for k in before if k not in on_form} | {k for k in after if k not in on_form})
    out = []
    blank = (None, "空白")
    for k in present:
        (b, b_text), (a, a_text) = before.get(k, blank), after.get(k, blank)
        change = a - b if a is not None and b is not None else None
        out.append(CellChange(k, _change_label(k, fmt), b_text, a_text, change))
    # Stable sort: cells whose change is known, largest first; the rest after, in form order.
    out.sort(key=lambda c: (c.change is None, -abs(c.change) if c.change is not None else 0))
    return out


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


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<=[。；！？\n])", text or "") if c.strip()]


def text_diff(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per section 一/五/六: clauses as (op, text) with op ``same``, ``removed`` or ``added``."""
    out = []
    for sec, label in TEXT_SECTIONS.items():
        a, b = _clauses(before.get(sec, "")), _clauses(after.get(sec, ""))
        lines: list[tuple[str, str]] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                lines.extend(("same", t) for t in a[i1:i2])
            else:
                lines.extend(("removed", t) for t in a[i1:i2])
                lines.extend(("added", t) for t in b[j1:j2])
        out.append((label, lines))
    return out
