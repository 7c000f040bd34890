"""R1–R7: the tables of one report must balance (docs/report-format.md §4).

The arithmetic runs in SQL, grouped by report (and column or row), and returns only the groups
that do not balance; the cells of those few reports are then read to write the evidence. A blank
cell (NULL or absent) is not 0: an equation with a blank term is not evaluated at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select

from monitor.context import CheckContext, chunked
from monitor.evidence import cell_name, cell_ref, column_label, plain_number, row_label
from monitor.rules import balance_queries as queries
from monitor.rules.balance_queries import APPEAL_PARTS, CURRENT_FORMATS
from monitor.rules.base import FindingDraft, Rule
from core import keys
from storage.models import Report, ReportCell

R1 = Rule(
    "R1",
    "balance",
    "error",
    "{total_cell} 为 {total}，但 一、本年新收 {new} + 二、上年结转 {carried_in} − 四、结转下年度继续办理 {carried_out} = {expected}（R1）",
    "本年新收＋上年结转＝办理结果总计＋结转下年度继续办理",
)
R2 = Rule(
    "R2",
    "balance",
    "error",
    "{total_cell} 为 {total}，但各类申请人之和 {terms} = {expected}（R2）",
    "总计＝各类申请人之和",
)
R3 = Rule(
    "R3",
    "balance",
    "error",
    "{total_cell} 为 {total}，但各项办理结果之和为 {expected}（{terms}）（R3）",
    "（七）总计＝各项办理结果之和",
)
R4 = Rule(
    "R4",
    "balance",
    "error",
    "{total_cell} 为 {total}，但 {terms} = {expected}（R4）",
    "行政复议：总计＝维持＋纠正＋其他＋尚未审结",
)
R5 = Rule(
    "R5",
    "balance",
    "error",
    "{total_cell} 为 {total}，但 {terms} = {expected}（R5）",
    "行政诉讼（未经复议直接起诉）：总计＝维持＋纠正＋其他＋尚未审结",
)
R6 = Rule(
    "R6",
    "balance",
    "error",
    "{total_cell} 为 {total}，但 {terms} = {expected}（R6）",
    "行政诉讼（复议后起诉）：总计＝维持＋纠正＋其他＋尚未审结",
)
R7 = Rule(
    "R7",
    "balance",
    "info",
    "{cell} 为 {value}，{reason}（R7）",
    "数量应为非负整数，金额应为非负数",
)

APPEAL_RULES = {"review": R4, "litigation_direct": R5, "litigation_after_review": R6}
R1_ROWS = ("new", "carried_in", "results_total", "carried_out")

Cells = dict[tuple[str, str, str], tuple[Decimal | None, str]]
# Reports per evidence query: each adds a few terms and parameters to its WHERE.
EVIDENCE_CHUNK = 100


class BalanceCheck:
    """R1–R7 on the current report of each agency-year."""

    lane = "side"
    rules = (R1, R2, R3, R4, R5, R6, R7)

    def scan(self, ctx: CheckContext) -> list[Any]:
        """The SQL half, run beside the report stream (monitor/side.py): the failing reports
        with one flag per column and row, from one pass over every facts row."""
        q, _, _ = queries.failing_query(ctx)
        return list(ctx.rows(q))

    def run(
        self, ctx: CheckContext, scanned: list[Any] | None = None
    ) -> Iterator[FindingDraft]:
        hits: dict[int, set[tuple[str, ...]]] = defaultdict(set)
        irregular: set[int] = set()
        q, cols, rows = queries.failing_query(ctx)
        for rid, _fmt, *flags in ctx.rows(q) if scanned is None else scanned:
            for col, flag in zip(cols, flags):
                if flag:
                    hits[rid].add(("column", col))
            for (section, row), flag in zip(rows, flags[len(cols) :]):
                if flag:
                    hits[rid].add(("row", section, row))
            if flags[-1]:
                irregular.add(rid)
        for ids in chunked(queries.off_grid_report_ids(ctx)):
            for fmt in CURRENT_FORMATS:
                for rid, col in ctx.rows(queries.column_query(ctx, fmt, ids)):
                    hits[rid].add(("column", col))
            for rid, section, row in ctx.rows(queries.row_query(ctx, ids)):
                hits[rid].add(("row", section, row))
        for ids in chunked(sorted(hits.keys() | irregular), EVIDENCE_CHUNK):
            cells, meta = _load(ctx, ids, hits, irregular)
            for rid in ids:
                fmt, problems, agency_id, site_id, year = meta[rid]
                found = set(hits[rid])
                if rid in irregular:  # R7: which cells, Python says (keys.irregular_number)
                    found.update(
                        ("cell", *key)
                        for key, (value, _) in cells.get(rid, {}).items()
                        if value is not None and keys.irregular_number(key[2], value)
                    )
                for hit in sorted(found):
                    for rule, key, fields, evidence in _evaluate(
                        hit, cells.get(rid, {}), fmt, problems
                    ):
                        yield rule.draft(
                            site_id=site_id,
                            agency_id=agency_id,
                            report_id=rid,
                            report_year=year,
                            key=key,
                            evidence=evidence,
                            **fields,
                        )


def _needed_cells(
    ids: list[int], hits: dict[int, set[tuple[str, ...]]], irregular: set[int]
) -> Any:
    """The cells the evidence of these reports quotes: every cell of a report with an irregular
    number (R7 looks at each), else only the failing columns of section 三 and failing rows —
    a tenth of the report's cells, read and converted to Decimal for nothing before."""
    c = ReportCell
    whole = [rid for rid in ids if rid in irregular]
    terms = [c.report_id.in_(whole)] if whole else []
    for rid in ids:
        if rid in irregular:
            continue
        cols = sorted({h[1] for h in hits[rid] if h[0] == "column"})
        parts = [and_(c.section == keys.REQUESTS, c.col_key.in_(cols))] if cols else []
        parts += [
            and_(c.section == h[1], c.row_key == h[2])
            for h in sorted(hits[rid])
            if h[0] == "row"
        ]
        terms.append(and_(c.report_id == rid, or_(*parts)))
    return or_(*terms)


def _load(
    ctx: CheckContext,
    ids: list[int],
    hits: dict[int, set[tuple[str, ...]]],
    irregular: set[int],
) -> tuple[dict[int, Cells], dict[int, tuple[Any, ...]]]:
    cells: dict[int, Cells] = defaultdict(dict)
    q = select(
        ReportCell.report_id,
        ReportCell.section,
        ReportCell.row_key,
        ReportCell.col_key,
        ReportCell.value,
        ReportCell.raw,
    ).where(_needed_cells(ids, hits, irregular))
    for rid, section, row, col, value, raw in ctx.rows(q):
        cells[rid][(section, row, col)] = (value, raw)
    meta = {}
    for rid, fmt, problems, agency_id, site_id, year in ctx.rows(
        select(
            Report.id,
            Report.format,
            Report.problems,
            Report.agency_id,
            Report.site_id,
            Report.report_year,
        ).where(Report.id.in_(ids))
    ):
        info = ctx.agencies.get(agency_id)
        meta[rid] = (
            fmt,
            problems or [],
            agency_id,
            info.site_id if info else site_id,
            year,
        )
    return cells, meta


# --- Python: re-check with the actual cells and write the evidence ---------------------------
Outcome = tuple[Rule, str, dict[str, Any], dict[str, Any]]


def _evaluate(
    hit: tuple[str, ...], cells: Cells, fmt: str | None, problems: list[Any]
) -> list[Outcome]:
    if hit[0] == "column":
        found = (
            []
            if _unreadable(problems, keys.REQUESTS)
            else [_r1(cells, hit[1], fmt), _r3(cells, hit[1], fmt)]
        )
    elif hit[0] == "row":
        found = (
            []
            if _unreadable(problems, hit[1])
            else [_row_total(cells, hit[1], hit[2], fmt)]
        )
    else:
        found = [_r7(cells, hit[1], hit[2], hit[3], fmt)]
    return [f for f in found if f is not None]


def _unreadable(problems: list[Any], section: str) -> bool:
    """The parser said it could not read this table with certainty: its sums prove nothing."""
    numeral = {keys.REQUESTS: "三", keys.APPEALS: "四", keys.ACTIVE: "二"}[section]
    for p in problems:
        where = p.get("section") if isinstance(p, dict) else None
        if where in (section, numeral, None, ""):
            return True
    return False


def _values(
    cells: Cells, section: str, rows: tuple[str, ...], col: str
) -> list[tuple[str, str, str, Decimal | None, str]] | None:
    out = []
    for row in rows:
        value, raw = cells.get((section, row, col), (None, ""))
        if value is None:
            return None
        out.append((section, row, col, value, raw))
    return out


def _refs(
    terms: list[tuple[str, str, str, Decimal | None, str]], fmt: str | None
) -> list[dict[str, Any]]:
    return [cell_ref(s, r, c, v, raw, fmt) for s, r, c, v, raw in terms]


def _r1(cells: Cells, col: str, fmt: str | None) -> Outcome | None:
    terms = _values(cells, keys.REQUESTS, R1_ROWS, col)
    if terms is None:
        return None
    new, carried_in, total, carried_out = (t[3] for t in terms)
    expected = new + carried_in - carried_out  # type: ignore[operator]
    if expected == total:
        return None
    fields = {
        "total_cell": cell_name(keys.REQUESTS, "results_total", col, fmt),
        "total": plain_number(total),
        "new": plain_number(new),
        "carried_in": plain_number(carried_in),
        "carried_out": plain_number(carried_out),
        "expected": plain_number(expected),
    }
    evidence = {
        "column": col,
        "column_label": column_label(keys.REQUESTS, col),
        "equation": "一、本年新收 + 二、上年结转 = 三、（七）总计 + 四、结转下年度继续办理",
        "left": plain_number(new + carried_in),  # type: ignore[operator]
        "right": plain_number(total + carried_out),  # type: ignore[operator]
        "reported": plain_number(total),
        "computed": plain_number(expected),
        "cells": _refs(terms, fmt),
    }
    return R1, col, fields, evidence


def _r3(cells: Cells, col: str, fmt: str | None) -> Outcome | None:
    rows = keys.RESULT_ROWS.get(fmt or "", ())
    terms = _values(cells, keys.REQUESTS, rows, col)
    total_cell = cells.get((keys.REQUESTS, "results_total", col), (None, ""))
    if terms is None or total_cell[0] is None:
        return None
    expected = sum((t[3] for t in terms), Decimal(0))  # type: ignore[misc]
    if expected == total_cell[0]:
        return None
    shown = [
        f"{row_label(keys.REQUESTS, t[1], fmt)} {plain_number(t[3])}"
        for t in terms
        if t[3] != 0
    ]
    text = " + ".join(shown) if shown else "各项均为 0"
    if shown and len(shown) < len(terms):
        text += "，其余各项为 0"
    fields = {
        "total_cell": cell_name(keys.REQUESTS, "results_total", col, fmt),
        "total": plain_number(total_cell[0]),
        "terms": text,
        "expected": plain_number(expected),
    }
    evidence = {
        "column": col,
        "column_label": column_label(keys.REQUESTS, col),
        "equation": "三、（七）总计 = （一）至（六）各项办理结果之和",
        "reported": plain_number(total_cell[0]),
        "computed": plain_number(expected),
        "cells": _refs(
            [(keys.REQUESTS, "results_total", col, total_cell[0], total_cell[1])]
            + terms,
            fmt,
        ),
    }
    return R3, col, fields, evidence


def _row_total(cells: Cells, section: str, row: str, fmt: str | None) -> Outcome | None:
    if section == keys.REQUESTS:
        rule, parts = R2, keys.APPLICANT_COLUMNS
    elif row in APPEAL_RULES:
        rule, parts = APPEAL_RULES[row], APPEAL_PARTS
    else:
        return None
    total_value, total_raw = cells.get((section, row, "total"), (None, ""))
    terms = []
    for col in parts:
        value, raw = cells.get((section, row, col), (None, ""))
        if value is None:
            return None
        terms.append((section, row, col, value, raw))
    if total_value is None:
        return None
    expected = sum((t[3] for t in terms), Decimal(0))  # type: ignore[misc]
    if expected == total_value:
        return None
    text = " + ".join(
        f"{column_label(section, t[2])} {plain_number(t[3])}" for t in terms
    )
    fields = {
        "total_cell": cell_name(section, row, "total", fmt),
        "total": plain_number(total_value),
        "terms": text,
        "expected": plain_number(expected),
    }
    evidence = {
        "row": row,
        "row_label": row_label(section, row, fmt),
        "equation": "总计 = " + " + ".join(column_label(section, c) for c in parts),
        "reported": plain_number(total_value),
        "computed": plain_number(expected),
        "cells": _refs([(section, row, "total", total_value, total_raw)] + terms, fmt),
    }
    return rule, f"{section}.{row}", fields, evidence


def _r7(
    cells: Cells, section: str, row: str, col: str, fmt: str | None
) -> Outcome | None:
    value, raw = cells.get((section, row, col), (None, ""))
    if value is None:
        return None
    irregular = keys.irregular_number(col, value)
    if irregular == "negative":
        reason = "金额不能为负数" if col in keys.DECIMAL_COLUMNS else "数量不能为负数"
    elif irregular == "fractional":
        reason = "数量应为整数"
    else:
        return None
    fields = {
        "cell": cell_name(section, row, col, fmt),
        "value": plain_number(value),
        "reason": reason,
    }
    evidence = {
        "reason": reason,
        "cells": _refs([(section, row, col, value, raw)], fmt),
    }
    return R7, f"{section}.{row}.{col}", fields, evidence
