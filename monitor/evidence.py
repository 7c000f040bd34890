"""How findings name cells and numbers: official labels, section numerals, plain numbers."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from core import keys

SECTION_NUMERALS = {keys.ACTIVE: "二", keys.REQUESTS: "三", keys.APPEALS: "四"}
NUMERAL_SECTIONS = {v: k for k, v in SECTION_NUMERALS.items()}

# Short row names used inside equations; the evidence keeps the full official label.
_SHORT_ROWS = {
    "new": "一、本年新收",
    "carried_in": "二、上年结转",
    "results_total": "三、（七）总计",
    "carried_out": "四、结转下年度继续办理",
}


def plain_number(value: Decimal | float | None) -> str:
    """``3`` rather than ``3.000000``; ``空白`` for a blank cell (never 0)."""
    if value is None:
        return "空白"
    d = Decimal(str(value))
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def json_number(value: Decimal | float | None) -> int | float | None:
    if value is None:
        return None
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def row_label(section: str, row: str, fmt: str | None = None) -> str:
    """Official row label, with the explanatory parenthesis of （二）部分公开 dropped."""
    spec = next(
        (
            r
            for f in (fmt, keys.FORMAT_2021, keys.FORMAT_2019)
            if f
            for r in keys.rows_for(section, f)
            if r.key == row
        ),
        None,
    )
    label = spec.label if spec else row
    return re.sub(r"（[^（）]{6,}）$", "", label)


def short_row(section: str, row: str, fmt: str | None = None) -> str:
    if section == keys.REQUESTS and row in _SHORT_ROWS:
        return _SHORT_ROWS[row]
    return row_label(section, row, fmt)


def column_label(section: str, column: str) -> str:
    if section == keys.REQUESTS:
        return keys.REQUEST_COLUMN_LABELS.get(column, column)
    if section == keys.APPEALS:
        return keys.APPEAL_COLUMN_LABELS.get(column, column)
    return keys.ACTIVE_COLUMN_LABELS.get(column, column)


def cell_name(section: str, row: str, column: str, fmt: str | None = None) -> str:
    """A cell as an officer finds it in the report: ``三、（七）总计·自然人``."""
    name = short_row(section, row, fmt)
    if section == keys.APPEALS:
        name = "四、" + name
    elif section == keys.REQUESTS and not re.match(r"^[一二三四]、", name):
        name = "三、" + name  # result rows sit under 三、本年度办理结果
    return f"{name}·{column_label(section, column)}"


def cell_ref(
    section: str,
    row: str,
    column: str,
    value: Decimal | None,
    raw: str | None,
    fmt: str | None = None,
) -> dict[str, Any]:
    """One cell of the evidence: canonical key, official label, value (None = blank), raw text."""
    return {
        "section": section,
        "row": row,
        "column": column,
        "label": f"{keys.SECTION_LABELS.get(section, section)}：{keys.cell_label(section, row, column, fmt or keys.FORMAT_2021)}",
        "value": json_number(value),
        "raw": raw or "",
    }


def short_time(value: Any) -> str:
    """A stored timestamp as China time to the minute (``2025-01-25 10:00``) for messages."""
    from core.china_time import local_time

    text = local_time(value) or ""
    return text[:16].replace("T", " ")


_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """Evidence must survive a JSON column: decimals become numbers, dates ISO strings."""
    if type(value) in _PLAIN:  # most leaves: tested first, a million times per large check
        return value
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
