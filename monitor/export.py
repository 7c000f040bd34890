"""Spreadsheets for compliance officers: findings, report cells and the board, as XLSX or CSV.

Headers and labels are Chinese (the official row and column labels of ``core/keys.py``). Every
text that Excel or LibreOffice would read as a formula (begins with ``=``, ``+``, ``-``, ``@``, tab
or carriage return; OWASP "CSV injection") is prefixed with an apostrophe, in XLSX and CSV alike;
numbers stay numbers. CSV is UTF-8 with a byte-order mark so that Excel opens Chinese correctly.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import keys
from core.settings import Settings
from monitor.board import build_board
from monitor.evidence import column_label, row_label
from monitor.lifecycle import finding_to_dict
from storage.models import Finding, Report, Site

WHATS = ("findings", "cells", "board")
FORMATS = ("xlsx", "csv")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH = 60  # characters: wider columns wrap


@dataclass
class Table:
    """One sheet: a title, Chinese headers and rows of plain values (str, int, float, None)."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def neutralise(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: numbers as numbers, formula-like text defused."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text  # OWASP: a leading apostrophe makes it text in every spreadsheet
    return text


# --- what is exported -------------------------------------------------------------------------

FINDING_HEADERS = [
    "编号", "状态", "严重程度", "问题类型", "规则", "地区", "网站", "机关", "年度",
    "说明", "证据单元格", "来源网址", "首次发现", "最近发现", "已确认", "确认理由",
]


def findings_table(
    session: Session, *, sites: list[str] | None = None, year: int | None = None
) -> Table:
    """Every finding (open and resolved), with its Chinese labels and evidence cells."""
    q = select(Finding).order_by(Finding.site_id, Finding.agency_id, Finding.report_year, Finding.id)
    if sites:
        q = q.where(Finding.site_id.in_(sites))
    if year:
        q = q.where(Finding.report_year == year)
    t = Table("问题清单", FINDING_HEADERS)
    for f in session.scalars(q):
        d = finding_to_dict(f)
        cells = "；".join(
            f"{c.get('label', '')}＝{c.get('raw') or ('空白' if c.get('value') is None else c.get('value'))}"
            for c in d["cells"]
        )
        t.rows.append([
            d["id"], d["status_label"], d["severity_label"], d["kind_label"], d["rule"],
            d["region"], d["site_name"] or d["site"], d["agency"], d["report_year"],
            d["detail"], cells, d["source_url"], d["first_seen"], d["last_seen"],
            d["acknowledged"], d["ack_reason"],
        ])
    return t


CELL_HEADERS = [
    "地区", "网站", "机关", "年度", "格式", "报告编号", "栏目", "行", "列", "数值", "原文", "来源网址",
]
SECTION_SHEETS = {keys.ACTIVE: "二、主动公开", keys.REQUESTS: "三、依申请公开", keys.APPEALS: "四、复议诉讼"}


WIDE_SHEETS = {keys.ACTIVE: "二（宽表）", keys.REQUESTS: "三（宽表）", keys.APPEALS: "四（宽表）"}
# Column order of the wide sheets: the official tables' own order.
SECTION_COLUMNS = {
    keys.ACTIVE: tuple(keys.ACTIVE_COLUMN_LABELS),
    keys.REQUESTS: keys.REQUEST_COLUMNS,
    keys.APPEALS: keys.APPEAL_COLUMNS,
}


def cell_tables(
    session: Session,
    *,
    sites: list[str] | None = None,
    year: int | None = None,
    wide: bool = False,
) -> list[Table]:
    """One long table per section (二/三/四): a row per cell, reports one after another, the
    cells of each report in the form's row and column order. With ``wide``, also one sheet per
    section laid out like the form: a row per report and table row, a column per table column."""
    q = (
        select(Report)
        .options(selectinload(Report.cells), selectinload(Report.agency))
        .where(Report.superseded.is_(False))
        .order_by(Report.site_id, Report.report_year, Report.id)
    )
    if sites:
        q = q.where(Report.site_id.in_(sites))
    if year:
        q = q.where(Report.report_year == year)
    tables = {s: Table(SECTION_SHEETS[s], CELL_HEADERS) for s in keys.SECTIONS}
    site_of = {s.id: s for s in session.scalars(select(Site))}
    grid: dict[str, dict[tuple[int, str], list[Any]]] = {s: {} for s in keys.SECTIONS}
    for rep in session.scalars(q):
        fmt = rep.format or keys.FORMAT_2021
        order = {k: i for i, k in enumerate(keys.expected_cells(fmt))}
        cells = sorted(
            (c for c in rep.cells if c.section in tables),
            key=lambda c: (order.get((c.section, c.row_key, c.col_key), len(order)), c.id),
        )
        site = site_of.get(rep.site_id or "")
        who = [site.region if site else "", site.name if site else rep.site_id, rep.agency.name, rep.report_year]
        for c in cells:
            tables[c.section].rows.append([
                *who, rep.format, rep.id,
                keys.SECTION_LABELS[c.section], row_label(c.section, c.row_key, fmt),
                column_label(c.section, c.col_key), c.value, c.raw, rep.source_url,
            ])
            line = grid[c.section].setdefault((rep.id, c.row_key), [*who, row_label(c.section, c.row_key, fmt), {}])
            line[-1][c.col_key] = c.value
    if not wide:
        return list(tables.values())
    return [*tables.values(), *(_wide(section, lines) for section, lines in grid.items())]


def _wide(section: str, lines: dict[tuple[int, str], list[Any]]) -> Table:
    used = {col for line in lines.values() for col in line[-1]}
    columns = [c for c in SECTION_COLUMNS[section] if c in used]
    t = Table(WIDE_SHEETS[section], ["地区", "网站", "机关", "年度", "行", *(column_label(section, c) for c in columns)])
    for line in lines.values():  # insertion order: reports, then the form's rows
        t.rows.append([*line[:-1], *(line[-1].get(c) for c in columns)])
    return t


def board_table(
    session: Session,
    settings: Settings,
    as_of: date,
    *,
    sites: list[str] | None = None,
    year: int | None = None,
) -> Table:
    """Bodies × report years with each year's status (按时 / 逾期 N 天 / 缺报 …)."""
    board = build_board(session, settings, as_of, sites=sites, years=[year] if year else None)
    t = Table("年报发布情况", ["地区", "网站", "机关", "层级", *[f"{y}年度" for y in board.years]])
    for r in board.rows:
        t.rows.append([
            r.region, r.site_name, r.agency, r.level_label,
            *[(r.cells[y].label if y in r.cells else "") for y in board.years],
        ])
    return t


def build_tables(
    session: Session,
    settings: Settings,
    what: str,
    *,
    as_of: date,
    sites: list[str] | None = None,
    year: int | None = None,
    wide: bool = False,
) -> list[Table]:
    """The sheets of one export (``what``: findings | cells | board; ``wide``: add the cells'
    form-shaped sheets, for a workbook)."""
    if what == "findings":
        return [findings_table(session, sites=sites, year=year)]
    if what == "cells":
        return cell_tables(session, sites=sites, year=year, wide=wide)
    if what == "board":
        return [board_table(session, settings, as_of, sites=sites, year=year)]
    raise ValueError(f"unknown export {what!r}; choose one of {', '.join(WHATS)}")


# --- writers ----------------------------------------------------------------------------------


def _display_width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(tables: list[Table], path: Path) -> None:
    """One sheet per table, header row bold and frozen, an autofilter, widths that fit."""
    wb = Workbook()
    wb.remove(wb.active)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for t in tables:
        ws = wb.create_sheet(t.title[:31])
        ws.append(t.headers)
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
        for row in t.rows:
            ws.append([neutralise(v) for v in row])
        ws.freeze_panes = "A2"
        if t.rows:
            ws.auto_filter.ref = ws.dimensions
        for i, h in enumerate(t.headers, start=1):
            width = max([_display_width(h), *(_display_width(r[i - 1]) for r in t.rows[:2000])])
            ws.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
            if width > MAX_WIDTH:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_csv(tables: list[Table], path: Path) -> None:
    """UTF-8 with BOM. Several tables (the cells' sections) share the first one's headers and are
    written one after another: they have the same columns, and 栏目 tells them apart."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(tables[0].headers)
    for t in tables:
        if t.headers != tables[0].headers:
            raise ValueError("CSV export needs tables with the same columns")
        for row in t.rows:
            w.writerow(["" if v is None else v for v in (neutralise(x) for x in row)])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def export(
    session: Session,
    settings: Settings,
    what: str,
    fmt: str,
    out: Path,
    *,
    as_of: date,
    sites: list[str] | None = None,
    year: int | None = None,
) -> dict[str, int]:
    """Write the export to ``out``; returns rows per sheet."""
    tables = build_tables(
        session, settings, what, as_of=as_of, sites=sites, year=year, wide=fmt == "xlsx"
    )
    if fmt == "xlsx":
        write_xlsx(tables, out)
    elif fmt == "csv":
        write_csv(tables, out)
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return {t.title: len(t.rows) for t in tables}
