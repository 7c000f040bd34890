"""Cell text → value, label normalisation, and the row repair machinery, on their own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from parser.labels import (
    active_column,
    active_row,
    heading_section,
    norm,
    request_label,
)
from parser.repair import repair_row, sums_balance
from parser.text_rows import text_to_rows
from parser.values import is_value_text, parse_cell


@pytest.mark.parametrize(
    "text,kind,value,unit",
    [
        ("0", "count", 0, None),
        ("０１２", "count", 12, None),  # full-width digits
        ("１，２３４", "count", 1234, None),
        ("1,234", "count", 1234, None),
        ("12,345,678", "count", 12345678, None),
        ("1 234", "count", 1234, None),
        ("\xa00", "count", 0, None),  # NBSP padding
        ("0\xa0", "count", 0, None),
        ("\u30007\u3000", "count", 7, None),
        ("+72", "signed", 72, None),
        ("-2", "signed", -2, None),
        ("－2", "signed", -2, None),  # full-width minus
        ("−5", "signed", -5, None),  # U+2212
        ("+117", "signed", 117, None),
        ("28.488564", "decimal", Decimal("28.488564"), None),
        ("0", "decimal", Decimal("0"), None),
        ("374780元", "decimal", Decimal("374780"), "元"),
        ("37.5万元", "decimal", Decimal("37.5"), "万元"),
        ("12件", "count", 12, "件"),
        ("5*", "count", 5, None),  # footnote marks
        ("5①", "count", 5, None),
        ("3¹", "count", 3, None),
        ("8[1]", "count", 8, None),
        ("6（注1）", "count", 6, None),
        ("※4", "count", 4, None),
        ("<b>0</b>".replace("<b>", "").replace("</b>", ""), "count", 0, None),
    ],
)
def test_numbers(text: str, kind: str, value: object, unit: str | None) -> None:
    pv = parse_cell(text, kind)  # type: ignore[arg-type]
    assert pv.value == value and type(pv.value) is type(value)
    assert pv.unit == unit
    assert pv.readable and not pv.placeholder
    assert pv.raw == text.strip()


def test_decimal_is_exact() -> None:
    pv = parse_cell("28.488564", "decimal")
    assert isinstance(pv.value, Decimal) and str(pv.value) == "28.488564"
    assert parse_cell("0.1", "decimal").value + parse_cell("0.2", "decimal").value == Decimal("0.3")  # type: ignore[operator]


def test_signed_keeps_raw() -> None:
    pv = parse_cell("+72", "signed")
    assert pv.value == 72 and pv.raw == "+72"


@pytest.mark.parametrize("text", ["—", "——", "/", "／", "无", "-", "--", "－", "\\"])
def test_placeholders_are_none_but_keep_raw(text: str) -> None:
    pv = parse_cell(text)
    assert pv.value is None and pv.placeholder and pv.readable
    assert pv.raw == text and not pv.blank
    assert is_value_text(text)


@pytest.mark.parametrize("text", ["", "   ", "\xa0", "\u3000"])
def test_blank_is_none_with_empty_raw(text: str) -> None:
    pv = parse_cell(text)
    assert pv.value is None and pv.raw == "" and pv.blank and not pv.placeholder
    assert not is_value_text(text)


def test_blank_placeholder_and_zero_are_three_different_things() -> None:
    blank, dash, zero = parse_cell(""), parse_cell("—"), parse_cell("0")
    assert blank.value is None and dash.value is None and zero.value == 0
    assert blank.raw != dash.raw


@pytest.mark.parametrize("text", ["见附件", "1.属于国家秘密", "规章", "（一）", "abc"])
def test_text_is_not_a_value(text: str) -> None:
    pv = parse_cell(text)
    assert pv.value is None and not pv.readable
    assert not is_value_text(text)


def test_fractional_count_stays_decimal_for_the_monitor() -> None:
    assert parse_cell("1.5").value == Decimal("1.5")
    assert parse_cell("12.0").value == 12


# --- Labels ----------------------------------------------------------------------------------
def test_norm_folds_width_spaces_quotes_and_traditional() -> None:
    assert norm("（三） 不予公开") == "(三)不予公开"
    assert norm("3．危及”三安全一稳定“") == "3.危及三安全一稳定"
    assert norm("结果 维持") == "结果维持"
    assert norm("處理決定數量") == "处理决定数量"


@pytest.mark.parametrize(
    "line,section",
    [
        ("一、总体情况", "一"),
        ("## 一、总体情况", "一"),
        ("### 二、主动公开政府信息情况", "二"),
        ("三、收到和处理政府信息公开申请情况", "三"),
        ("四、政府信息公开行政复议、行政诉讼情况", "四"),
        ("四、因政府信息公开工作被申请行政复议、提起行政诉讼情况", "四"),
        ("五、存在的主要问题及改进情况", "五"),
        ("五、存在主要问题及改进措施", "五"),
        ("六、其他需要报告的事项", "六"),
        ("二、上年结转政府信息公开申请数量", None),  # a row of the section-三 table
        ("四、结转下年度继续办理", None),
        ("三、本年度办理结果", None),
        ("（一）主动公开情况", None),
        ("二是强化政策解读发布", None),
    ],
)
def test_headings(line: str, section: str | None) -> None:
    assert heading_section(line) == section


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("1.属于国家秘密", ("item", "withheld.state_secret", 1)),
        ("8. 属于行政查询事项", ("item", "withheld.query_matter", 8)),
        ("2、重复申请", ("item", "declined.repeated", 2)),
        ("5.要求行政机关确认或重新出具已取得信息", ("item", "declined.confirmation", 5)),
        ("3.其他", ("item", "other.other", 3)),
        ("(三) 不予公开", ("group", "withheld", 3)),
        ("（六）其他处理", ("group", "other", 6)),
        ("(七) 总计", ("top", "results_total", 7)),
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("top", "partly_disclosed", 2)),
        ("（一）予以公开", ("top", "disclosed", 1)),
        ("一、本年新收政府信息公开申请数量", ("top", "new", 1)),
        ("四、结转下年度继续办理", ("top", "carried_out", 4)),
        ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", ("item", "other.no_correction", 1)),
        ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", ("item", "other.unpaid_fee", 2)),
        ("2.", ("item", None, 2)),
    ],
)
def test_request_labels(cell: str, expected: tuple[str, str | None, int | None]) -> None:
    assert request_label(cell) == expected


def test_active_labels() -> None:
    assert active_column("处理决定数量(指2020年办件量)") == ("decisions", None)
    assert active_column("本年收费金额（单位：万元）") == ("amount_10k_yuan", "万元")
    assert active_column("本年新\n制作数量") == ("made", None)
    assert active_column("本年增/减") == ("change", None)
    assert active_column("采购项目数量") == ("items", None)
    assert active_column("采购总金额") == ("amount_yuan", None)
    assert active_row("规范性文件") == "normative_documents"
    assert active_row("行政规范性文件") == "normative_documents"
    assert active_row("规章") == "regulations"
    assert active_row("其他对外管理服务事项") == "other_services"


# --- Text layouts ----------------------------------------------------------------------------
def test_one_cell_per_line_layout_joins_continuations() -> None:
    rows = text_to_rows("\t信息内容\n\t本年新\n制作数量\n\t\n\n\t规章\n\t\xa00\n")
    assert [r.cells for r in rows] == [["信息内容", "本年新制作数量", ""], ["规章", "0"]]


def test_markdown_is_stripped_and_separators_dropped() -> None:
    rows = text_to_rows("## **二、主动公开**\n规章\t<b>0</b>\t**1**\n--\t--\t---\n| a | b |\n|---|---|\n")
    assert [r.cells for r in rows] == [["二、主动公开"], ["规章", "0", "1"], ["a", "b"]]


# --- Repair ----------------------------------------------------------------------------------
APPEAL_GROUPS = tuple((tuple(range(g * 5, g * 5 + 4)), g * 5 + 4) for g in range(3))
BOUNDARIES = frozenset({0, 5, 10, 15})


def _balanced(reading: tuple[str, ...]) -> bool:
    return sums_balance(reading, APPEAL_GROUPS)


def test_repair_seed_002_row_by_group_boundary() -> None:
    values = "1 0 0 0 1 0 0 0 0 0 0 1 0 0 0 1".split()
    out = repair_row(values, 15, _balanced, BOUNDARIES)
    assert out.status == "repaired"
    assert out.cells == "1 0 0 0 1 0 0 0 0 0 1 0 0 0 1".split()
    assert "boundary" in out.note


def test_repair_without_boundary_rule_would_be_ambiguous() -> None:
    values = "1 0 0 0 1 0 0 0 0 0 0 1 0 0 0 1".split()
    out = repair_row(values, 15, _balanced, frozenset(range(16)))
    assert out.status == "ambiguous"
    # upheld and corrected of 复议后起诉 are disputed; everything else agreed.
    assert out.cells[10] is None and out.cells[11] is None
    assert out.cells[14] == "1" and out.cells[:5] == ["1", "0", "0", "0", "1"]


def test_boundary_rule_only_drops_placeholders() -> None:
    # A stray 1 inside group 1: dropping the first value or the third both balance. The first sits
    # at a boundary, but a cell holding 1 is no placeholder: undecidable, so 维持/纠正 stay open.
    values = "1 0 1 0 0 1 0 0 0 0 0 1 0 0 0 1".split()
    out = repair_row(values, 15, _balanced, BOUNDARIES)
    assert out.status == "ambiguous"
    assert out.cells[:5] == [None, None, "0", "0", "1"]
    assert out.cells[10:] == ["1", "0", "0", "0", "1"]


def test_repair_fails_when_nothing_balances() -> None:
    out = repair_row("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16".split(), 15, _balanced, BOUNDARIES)
    assert out.status == "failed" and out.cells == [None] * 15


def test_repair_missing_value() -> None:
    # 14 values: the blank sits at the start of group 2 only.
    values = "1 0 0 0 1 0 0 0 0 0 0 0 0 0".split()
    out = repair_row(values, 15, _balanced, BOUNDARIES)
    assert out.status in ("repaired", "ambiguous")
    assert out.cells[4] == "1"


def test_repair_uses_table_check_to_decide() -> None:
    groups = ((tuple(range(6)), 6),)
    values = "0 1 0 0 0 0 0 1".split()  # 8 values: 自然人=1 (drop the first 0) or 商业企业=1 (drop another)
    ambiguous = repair_row(values, 7, lambda r: sums_balance(r, groups), frozenset())
    assert ambiguous.status == "ambiguous"
    assert ambiguous.cells[0] is None and ambiguous.cells[1] is None and ambiguous.cells[6] == "1"
    decided = repair_row(values, 7, lambda r: sums_balance(r, groups), frozenset(), table_check=lambda r: r[0] == "1")
    assert decided.status == "repaired" and decided.cells == ["1", "0", "0", "0", "0", "0", "1"]
