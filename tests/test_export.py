"""`nianbao export`: the workbook and CSV an officer opens in Excel, built from monitor data."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import keys
from monitor.board import build_board
from monitor.check import run_check
from monitor.export import Table, write_csv, write_xlsx
from monitor.lifecycle import acknowledge
from nianbao.cli import main
from storage.models import Finding, ReportCell
from tests.monitor_factory import add_agency, add_report, add_site, make_db, make_settings

AS_OF = date(2025, 6, 30)
HOSTILE = '=HYPERLINK("http://evil.example/x","点我")'


@pytest.fixture()
def world(tmp_path: Path):
    """A district with a body for each board status, checked as of 2025-06-30."""
    settings = make_settings(tmp_path, monitor={"first_year": 2024})
    db = make_db(tmp_path)
    site = add_site(db)
    gov = add_agency(db, site, "西湖区人民政府", "government")
    gov_report = add_report(db, gov, 2024)
    add_report(db, add_agency(db, site, "西湖区教育局"), 2024,
               cells={(keys.REQUESTS, "results_total", "total"): 13})
    add_report(db, add_agency(db, site, "西湖区财政局"), 2024, published_on=date(2025, 2, 20))
    add_agency(db, site, "西湖区卫生健康局")  # expected, never published
    add_report(db, add_agency(db, site, "西湖区民政局"), 2024,
               parse_status="tables_unreadable", no_cells=True)
    acked = add_agency(db, site, "西湖区司法局")
    add_report(db, acked, 2024, published_on=date(2025, 3, 3))
    with db.session() as s:  # a cell whose raw text is a formula, as a hostile page could carry
        cell = s.scalars(select(ReportCell).where(ReportCell.report_id == gov_report,
                                                  ReportCell.section == keys.ACTIVE)).first()
        cell.raw = HOSTILE
        hostile_cell = (cell.row_key, cell.col_key)
    run_check(db, settings, AS_OF)
    with db.session() as s:
        late_acked = s.scalars(select(Finding.id).where(Finding.agency_id == acked, Finding.kind == "late")).one()
    acknowledge(db, late_acked, "+已与该局核实，系网站迁移所致")
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(
        f"database: sqlite:///{tmp_path / 'nianbao.db'}\nstorage: data/raw\noutbox: {tmp_path / 'outbox'}\n"
        "monitor:\n  first_year: 2024\n",
        encoding="utf-8",
    )
    return {"db": db, "settings": settings, "cfg": cfg, "tmp": tmp_path, "hostile_cell": hostile_cell}


def _export(world, what: str, fmt: str, *extra: str) -> Path:
    out = world["tmp"] / f"{what}.{fmt}"
    code = main(["--config", str(world["cfg"]), "export", "--what", what, "--format", fmt,
                 "--out", str(out), "--as-of", AS_OF.isoformat(), *extra])
    assert code == 0
    return out


def _sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_board_statuses_follow_findings_and_reports(world):
    with world["db"].session() as s:
        board = build_board(s, world["settings"], AS_OF)
    assert board.years == [2024]
    status = {r.agency: r.cells[2024].label for r in board.rows}
    assert status["西湖区人民政府"] == "按时"
    assert status["西湖区教育局"] == "表格不平衡"
    assert status["西湖区财政局"].startswith("逾期 ") and status["西湖区财政局"].endswith(" 天")
    assert status["西湖区卫生健康局"] == "缺报"
    assert status["西湖区民政局"] == "无法读取"
    assert status["西湖区司法局"] == "已确认"
    # The days late are the ones the late finding reports.
    with world["db"].session() as s:
        f = s.scalars(select(Finding).where(Finding.kind == "late", Finding.acknowledged.is_(False))).one()
        assert status["西湖区财政局"] == f"逾期 {f.evidence['days_late']} 天"
    with world["db"].session() as s:
        future = build_board(s, world["settings"], AS_OF, years=[2025])
    assert {r.cells[2025].label for r in future.rows} == {"未到期"}


def test_board_xlsx(world):
    wb = load_workbook(_export(world, "board", "xlsx"))
    ws = wb["年报发布情况"]
    rows = _sheet_rows(ws)
    assert rows[0] == ["地区", "网站", "机关", "层级", "2024年度"]
    assert ws.freeze_panes == "A2"
    by_agency = {r[2]: r for r in rows[1:]}
    assert by_agency["西湖区卫生健康局"][4] == "缺报"
    assert by_agency["西湖区人民政府"][3] == "本级政府"
    assert ws.column_dimensions["C"].width >= len("西湖区卫生健康局") * 2


def test_findings_xlsx_has_labels_and_defused_text(world):
    wb = load_workbook(_export(world, "findings", "xlsx"))
    ws = wb["问题清单"]
    rows = _sheet_rows(ws)
    header = rows[0]
    assert header[:4] == ["编号", "状态", "严重程度", "问题类型"] and "证据单元格" in header and "来源网址" in header
    assert ws.freeze_panes == "A2"
    col = {h: i for i, h in enumerate(header)}
    kinds = {r[col["问题类型"]] for r in rows[1:]}
    assert {"勾稽关系不符", "逾期发布", "缺报"} <= kinds
    balance = next(r for r in rows[1:] if r[col["问题类型"]] == "勾稽关系不符")
    assert "（七）总计" in balance[col["证据单元格"]] and balance[col["来源网址"]].startswith("https://")
    assert isinstance(balance[col["编号"]], int) and isinstance(balance[col["年度"]], int)
    acked = next(r for r in rows[1:] if r[col["已确认"]] == "是")
    # The reason began with "+": Excel would have read it as a formula.
    assert acked[col["确认理由"]] == "'+已与该局核实，系网站迁移所致"
    assert ws.cell(row=1 + rows.index(acked), column=col["确认理由"] + 1).data_type == "s"


def test_cells_xlsx_one_sheet_per_section_in_form_order(world):
    wb = load_workbook(_export(world, "cells", "xlsx", "--site", "xihu", "--year", "2024"))
    assert wb.sheetnames == ["二、主动公开", "三、依申请公开", "四、复议诉讼", "二（宽表）", "三（宽表）", "四（宽表）"]
    ws = wb["三、依申请公开"]
    rows = _sheet_rows(ws)
    assert rows[0] == ["地区", "网站", "机关", "年度", "格式", "报告编号", "栏目", "行", "列", "数值", "原文", "来源网址"]
    assert ws.freeze_panes == "A2"
    gov = [r for r in rows[1:] if r[2] == "西湖区人民政府"]
    # The form's order: 一、本年新收政府信息公开申请数量 first, its first column 自然人.
    first_row = keys.rows_for(keys.REQUESTS, keys.FORMAT_2021)[0]
    assert gov[0][7] == first_row.label and gov[0][8] == keys.REQUEST_COLUMN_LABELS[first_row.columns[0]]
    assert len(gov) == len([c for c in keys.expected_cells(keys.FORMAT_2021) if c[0] == keys.REQUESTS])
    assert all(isinstance(r[9], (int, float)) for r in gov)
    unbalanced = [r for r in rows[1:] if r[2] == "西湖区教育局" and r[7].startswith("（七）") and r[8] == "总计"]
    assert unbalanced and unbalanced[0][9] == 13
    # The form-shaped sheet: a row per report and table row, the form's columns.
    wide = _sheet_rows(wb["三（宽表）"])
    assert wide[0][:5] == ["地区", "网站", "机关", "年度", "行"]
    assert wide[0][5:] == [keys.REQUEST_COLUMN_LABELS[c] for c in keys.REQUEST_COLUMNS]
    total = next(r for r in wide[1:] if r[2] == "西湖区教育局" and r[4].startswith("（七）"))
    assert total[-1] == 13
    gov_wide = [r for r in wide[1:] if r[2] == "西湖区人民政府"]
    assert [r[4] for r in gov_wide] == [x[7] for x in gov if x[8] == gov[0][8]]
    active = _sheet_rows(wb["二、主动公开"])
    hostile = [r for r in active[1:] if r[10] and "HYPERLINK" in r[10]]
    assert [r[10] for r in hostile] == ["'" + HOSTILE]
    assert not any(isinstance(r[10], str) and r[10].startswith("=") for r in active[1:])


def test_cells_csv_is_utf8_bom_and_defused(world):
    raw = _export(world, "cells", "csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["地区", "网站", "机关"]
    sections = {r[6] for r in rows[1:]}
    assert sections == {keys.SECTION_LABELS[s] for s in keys.SECTIONS}
    assert ["'" + HOSTILE] == [r[10] for r in rows[1:] if "HYPERLINK" in r[10]]
    assert not any(c.startswith(("=", "+", "@")) for r in rows[1:] for c in r)
    assert any(r[2] == "西湖区教育局" and r[9] == "13" for r in rows[1:])


def test_findings_csv_opens_in_excel_encoding(world):
    raw = _export(world, "findings", "csv", "--year", "2024").read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert raw.startswith(b"\xef\xbb\xbf") and rows[0][0] == "编号"
    assert all(r[8] == "2024" for r in rows[1:])


def test_negative_numbers_stay_numbers_text_minus_is_defused(tmp_path):
    t = Table("表", ["行", "本年增/减", "原文"], [["行政许可", Decimal("-3"), "-3"], ["@cmd", -1.5, "\t=1+1"]])
    write_xlsx([t], tmp_path / "t.xlsx")
    rows = _sheet_rows(load_workbook(tmp_path / "t.xlsx")["表"])
    assert rows[1] == ["行政许可", -3, "'-3"]
    assert rows[2] == ["'@cmd", -1.5, "'\t=1+1"]
    write_csv([t], tmp_path / "t.csv")
    got = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8-sig"))))
    assert got[1] == ["行政许可", "-3", "'-3"] and got[2][0] == "'@cmd"
