"""The parser against the five real seed reports, whose expected cells were written by hand in
``tests/golden/seeds/*.json`` from reading the seed texts.

Also the table interpreter's harder cases on small synthetic tables: spacer cells around blank
values, rows with a value too many or too few, and ambiguity that must be reported, not guessed.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.keys import expected_cells
from parser import parse_document
from parser.model import ParsedReport

HERE = Path(__file__).parent
SEEDS = HERE / "data" / "seeds"
GOLDEN = HERE / "golden" / "seeds"
STEMS = sorted(p.stem for p in GOLDEN.glob("*.json"))


def load_golden(stem: str) -> dict[str, Any]:
    """A golden file, with amounts read as exact decimals."""
    return json.loads((GOLDEN / f"{stem}.json").read_text(encoding="utf-8"), parse_float=Decimal)


def seed_bytes(stem: str) -> bytes:
    return (SEEDS / f"{stem}.txt").read_bytes()


def flatten(nested: dict[str, dict[str, dict[str, Any]]]) -> dict[tuple[str, str, str], Any]:
    return {(s, r, c): v for s, rows in nested.items() for r, cols in rows.items() for c, v in cols.items()}


def assert_cells(parsed: ParsedReport, expected_nested: dict[str, Any]) -> None:
    """Every expected cell with exactly its value (blank stays None, never 0); no extra cells."""
    expected = flatten(expected_nested)
    actual = parsed.cell_map()
    assert len(actual) == len(parsed.cells), "a cell key occurs twice"
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing, f"missing cells: {missing}"
    assert not extra, f"extra cells: {extra}"
    wrong = []
    for key, want in expected.items():
        cell = actual[key]
        got = cell.value
        if want is None:
            ok = got is None and not cell.uncertain
        elif isinstance(want, Decimal):
            ok = isinstance(got, Decimal) and got == want and str(got) == str(want)
        else:
            ok = got is not None and not isinstance(got, bool) and got == want
        if not ok:
            wrong.append((key, want, got, cell.raw))
    assert not wrong, f"wrong cells (key, expected, got, raw): {wrong}"


def assert_matches_golden(parsed: ParsedReport, golden: dict[str, Any], *, warnings: bool = True) -> None:
    assert parsed.kind == golden["kind"]
    assert parsed.agency == golden["agency"]
    assert parsed.report_year == golden["report_year"]
    assert parsed.format == golden["format"]
    assert parsed.parse_status == golden["parse_status"], (parsed.warnings, parsed.problems)
    assert_cells(parsed, golden["cells"])
    cells = parsed.cell_map()
    for key, raw in golden["raw"].items():
        assert cells[tuple(key.split("/"))].raw == raw, key  # type: ignore[index]
    for key, unit in golden.get("units", {}).items():
        assert cells[tuple(key.split("/"))].unit == unit, key  # type: ignore[index]
    if warnings:
        assert len(parsed.warnings) == len(golden["warnings"]), parsed.warnings
        for got, want in zip(parsed.warnings, golden["warnings"], strict=True):
            assert got.startswith(want), (got, want)
        assert parsed.problems == []


@pytest.mark.parametrize("stem", STEMS)
def test_seed_matches_golden(stem: str) -> None:
    parsed = parse_document(seed_bytes(stem), "text/plain")
    golden = load_golden(stem)
    assert_matches_golden(parsed, golden)
    assert parsed.sections_present == golden["sections_present"]


def test_all_five_goldens_exist() -> None:
    assert len(STEMS) == 5
    assert {p.stem for p in SEEDS.glob("*.txt")} == set(STEMS)


@pytest.mark.parametrize("stem", STEMS)
def test_cells_come_in_table_order(stem: str) -> None:
    parsed = parse_document(seed_bytes(stem), "text/plain")
    assert [c.key for c in parsed.cells] == expected_cells(parsed.format or "")


@pytest.mark.parametrize("stem", STEMS)
def test_section_texts_are_plain(stem: str) -> None:
    parsed = parse_document(seed_bytes(stem), "text/plain")
    assert set(parsed.sections_text) == {"一", "五", "六"}
    for numeral, text in parsed.sections_text.items():
        assert text.strip(), numeral
        assert "**" not in text and "<b>" not in text and not text.lstrip().startswith("#"), numeral
    assert "统计" in parsed.text or "数据" in parsed.text


def test_blank_differs_from_zero_and_from_placeholder() -> None:
    cells = parse_document(seed_bytes("001_206c76bb26f4c9e2"), "text/plain").cell_map()
    assert cells[("active", "licensing", "decisions")].value is None
    assert cells[("active", "licensing", "decisions")].raw == ""
    assert cells[("active", "coercion", "decisions")].value == 0
    assert cells[("requests", "results_total", "total")].value == 0
    assert cells[("requests", "results_total", "natural_person")].value is None


def test_amount_stays_exact_decimal() -> None:
    cell = parse_document(seed_bytes("002_3d14e9be2d7413b2"), "text/plain").cell_map()[
        ("active", "fees", "amount_10k_yuan")
    ]
    assert cell.value == Decimal("28.488564") and str(cell.value) == "28.488564"
    assert cell.unit == "万元"  # from the header 本年收费金额（单位：万元）


def test_signed_change_keeps_raw() -> None:
    cells = parse_document(seed_bytes("004_a9dbc25bac2331b1"), "text/plain").cell_map()
    assert cells[("active", "licensing", "change")].value == 117
    assert cells[("active", "licensing", "change")].raw == "+117"
    assert cells[("active", "other_services", "change")].value == -2


def test_seed_002_appeals_repair_names_the_boundary_rule() -> None:
    parsed = parse_document(seed_bytes("002_3d14e9be2d7413b2"), "text/plain")
    (warning,) = parsed.warnings
    assert "boundary" in warning and "2 readings" in warning


def test_agency_and_year_hints_override_document() -> None:
    parsed = parse_document(
        seed_bytes("000_a4584f6e36514f0f"), "text/plain", hints={"agency": "某局", "report_year": "2022"}
    )
    assert parsed.agency == "某局" and parsed.report_year == 2022


# --- Synthetic tables ------------------------------------------------------------------------
_HEAD_2021 = """XX县测试局2023年政府信息公开工作年度报告

本报告所列数据的统计期限自2023年1月1日起至2023年12月31日止。

一、总体情况

正文。

二、主动公开政府信息情况

第二十条第（一）项\t\t\t
信息内容\t本年制发件数\t本年废止件数\t现行有效件数
规章\t0\t0\t0
行政规范性文件\t1\t0\t3
第二十条第（五）项\t\t\t
信息内容\t本年处理决定数量\t\t
行政许可\t5\t\t
第二十条第（六）项\t\t\t
信息内容\t本年处理决定数量\t\t
行政处罚\t0\t\t
行政强制\t0\t\t
第二十条第（八）项\t\t\t
信息内容\t本年收费金额（单位：万元）\t\t
行政事业性收费\t0\t\t

三、收到和处理政府信息公开申请情况

(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t\t总计
\t\t自然人\t法人或其他组织\t\t\t\t\t
\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t
"""
_REQUEST_LABELS = [
    ("new", "一、本年新收政府信息公开申请数量\t"),
    ("carried_in", "二、上年结转政府信息公开申请数量\t"),
    ("disclosed", "三、本年度办理结果\t(一) 予以公开"),
    ("partly_disclosed", "\t(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)"),
    ("withheld.state_secret", "\t(三) 不予公开\t1.属于国家秘密"),
    ("withheld.prohibited_by_law", "\t\t2.其他法律行政法规禁止公开"),
    ("withheld.security_stability", "\t\t3.危及“三安全一稳定”"),
    ("withheld.third_party", "\t\t4.保护第三方合法权益"),
    ("withheld.internal_affairs", "\t\t5.属于三类内部事务信息"),
    ("withheld.process_info", "\t\t6.属于四类过程性信息"),
    ("withheld.enforcement_file", "\t\t7.属于行政执法案卷"),
    ("withheld.query_matter", "\t\t8.属于行政查询事项"),
    ("unable.not_held", "\t(四) 无法提供\t1.本机关不掌握相关政府信息"),
    ("unable.needs_creation", "\t\t2.没有现成信息需要另行制作"),
    ("unable.unclear", "\t\t3.补正后申请内容仍不明确"),
    ("declined.petition", "\t(五) 不予处理\t1.信访举报投诉类申请"),
    ("declined.repeated", "\t\t2.重复申请"),
    ("declined.publication", "\t\t3.要求提供公开出版物"),
    ("declined.excessive", "\t\t4.无正当理由大量反复申请"),
    ("declined.confirmation", "\t\t5.要求行政机关确认或重新出具已获取信息"),
    ("other.no_correction", "\t(六) 其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other.unpaid_fee", "\t\t2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other.other", "\t\t3.其他"),
    ("results_total", "\t(七) 总计"),
    ("carried_out", "四、结转下年度继续办理\t"),
]
_TAIL = """
四、政府信息公开行政复议、行政诉讼情况

行政复议\t\t\t\t\t行政诉讼\t\t\t\t\t\t\t\t\t
结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t
\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计
{appeals}

五、存在的主要问题及改进情况

问题。

六、其他需要报告的事项

无。
"""


def _report(rows: dict[str, str], appeals: str = "\t".join(["0"] * 15)) -> bytes:
    """A 2021-30 report; ``rows`` maps a request row key to the value part of its line."""
    lines = [f"{label}\t{rows.get(key, chr(9).join(['0'] * 7))}" for key, label in _REQUEST_LABELS]
    return (_HEAD_2021 + "\n".join(lines) + "\n" + _TAIL.format(appeals=appeals)).encode("utf-8")


def test_synthetic_plain_report_reads_clean() -> None:
    parsed = parse_document(
        _report(
            {"new": "1\t0\t0\t0\t0\t0\t1", "disclosed": "1\t0\t0\t0\t0\t0\t1", "results_total": "1\t0\t0\t0\t0\t0\t1"}
        ),
        "text/plain",
    )
    assert parsed.parse_status == "ok", (parsed.warnings, parsed.problems)
    cells = parsed.cell_map()
    assert parsed.agency == "XX县测试局" and parsed.report_year == 2023
    assert cells[("requests", "disclosed", "natural_person")].value == 1
    assert cells[("active", "normative_documents", "in_force")].value == 3


def test_request_row_with_one_value_too_many_is_repaired_by_row_total() -> None:
    # 8 values: a stray 0 at the end; only dropping it balances 自然人…其他 = 总计 and the columns.
    rows = {"new": "2\t0\t0\t0\t0\t0\t2\t0", "disclosed": "2\t0\t0\t0\t0\t0\t2", "results_total": "2\t0\t0\t0\t0\t0\t2"}
    parsed = parse_document(_report(rows), "text/plain")
    cells = parsed.cell_map()
    assert [cells[("requests", "new", c)].value for c in ("natural_person", "other_org", "total")] == [2, 0, 2]
    assert any(w.startswith("requests: row new had 8 values for 7 columns; repaired") for w in parsed.warnings)
    assert parsed.parse_status == "ok"


def test_request_row_that_cannot_balance_is_reported_not_guessed() -> None:
    rows = {"disclosed": "1\t2\t3\t4\t5\t6\t7\t8"}
    parsed = parse_document(_report(rows), "text/plain")
    assert parsed.parse_status == "partial"
    assert ("requests", "disclosed", "total") not in parsed.cell_map()
    assert any(p.section == "requests" and "disclosed" in p.rows for p in parsed.problems)


def test_spacer_rows_follow_the_columns_of_unambiguous_rows() -> None:
    # Like seed 001: only 总计 is filled, with spacer cells before and after in varying places.
    rows = {key: "\t\t\t\t\t\t0" for key, _ in _REQUEST_LABELS}
    rows["new"] = "\t\t\t\t\t\t\t0\t"  # 9 cells after the label, 0 at index 7
    rows["results_total"] = "\t\t\t\t\t\t0\t\t"  # 0 at index 6
    parsed = parse_document(_report(rows), "text/plain")
    cells = parsed.cell_map()
    for key in ("new", "results_total"):
        assert cells[("requests", key, "total")].value == 0
        assert cells[("requests", key, "other_org")].value is None
    assert parsed.parse_status == "ok", parsed.warnings


def test_spacer_row_without_reference_columns_is_malformed() -> None:
    # Every row is sparse and shifted: nothing says which column the values are in.
    rows = {key: "\t\t\t\t\t\t\t1\t" for key, _ in _REQUEST_LABELS}
    parsed = parse_document(_report(rows), "text/plain")
    assert parsed.parse_status == "partial"
    assert any(p.section == "requests" for p in parsed.problems)
    assert any(c.uncertain for c in parsed.cells)


def test_appeals_ambiguity_left_unresolved_keeps_agreed_cells() -> None:
    # 16 values. Dropping index 5 reads 直接起诉 as pending=1; dropping index 9 or 10 reads it as
    # upheld=1. Both deletions sit at a group boundary, so nothing decides: keep what both agree on.
    appeals = "\t".join("0 0 0 0 0 1 0 0 0 1 1 0 0 0 0 0".split())
    parsed = parse_document(_report({}, appeals=appeals), "text/plain")
    cells = parsed.cell_map()
    assert parsed.parse_status == "partial"
    assert any(p.section == "appeals" for p in parsed.problems)
    direct = {
        c: cells[("appeals", "litigation_direct", c)] for c in ("upheld", "corrected", "other", "pending", "total")
    }
    assert direct["upheld"].value is None and direct["upheld"].uncertain
    assert direct["pending"].value is None and direct["pending"].uncertain
    assert (direct["corrected"].value, direct["other"].value, direct["total"].value) == (0, 0, 1)
    assert cells[("appeals", "review", "total")].value == 0
    assert cells[("appeals", "litigation_after_review", "total")].value == 0
    assert any(
        w.startswith("appeals: row had 16 values for 15 columns; several readings balance") for w in parsed.warnings
    )


def test_appeals_too_few_values_without_balance_fails_loudly() -> None:
    appeals = "\t".join("1 2 3 4 5 6 7 8 9 10 11 12".split())
    parsed = parse_document(_report({}, appeals=appeals), "text/plain")
    assert parsed.parse_status == "malformed"
    assert not any(c.section == "appeals" for c in parsed.cells)
    assert any(p.section == "appeals" for p in parsed.problems)


def test_missing_table_makes_report_malformed() -> None:
    text = "XX局2023年政府信息公开工作年度报告\n一、总体情况\n正文\n二、主动公开政府信息情况\n见图。\n三、收到和处理政府信息公开申请情况\n见图。\n四、政府信息公开行政复议、行政诉讼情况\n见图。\n五、存在的主要问题及改进情况\n无\n六、其他需要报告的事项\n无\n"
    parsed = parse_document(text.encode(), "text/plain")
    assert parsed.kind == "report"
    assert parsed.parse_status == "malformed"
    assert {p.section for p in parsed.problems} == {"active", "requests", "appeals"}
    assert parsed.format == "2021-30"


def test_unreadable_cell_makes_report_partial() -> None:
    parsed = parse_document(_report({"disclosed": "见附件\t0\t0\t0\t0\t0\t0"}), "text/plain")
    cell = parsed.cell_map()[("requests", "disclosed", "natural_person")]
    assert cell.value is None and cell.raw == "见附件"
    assert parsed.parse_status == "partial"
    assert any("unreadable" in w for w in parsed.warnings)


def test_placeholder_cells_keep_their_raw_text() -> None:
    parsed = parse_document(_report({"disclosed": "—\t/\t无\t-\t0\t0\t0"}), "text/plain")
    cells = parsed.cell_map()
    raws = [
        cells[("requests", "disclosed", c)].raw for c in ("natural_person", "commercial", "research", "public_interest")
    ]
    assert raws == ["—", "/", "无", "-"]
    assert all(
        cells[("requests", "disclosed", c)].value is None
        for c in ("natural_person", "commercial", "research", "public_interest")
    )
    assert parsed.parse_status == "ok"


def test_pre2019_report_has_free_structure() -> None:
    text = (
        "XX县民政局2017年政府信息公开工作年度报告\n"
        "本报告所列数据的统计期限自2017年1月1日起至2017年12月31日止。\n"
        "一、概述\n2017年，我局……\n二、主动公开政府信息情况\n全年主动公开政府信息120条。\n"
        "三、依申请公开政府信息情况\n全年未收到申请。\n四、政府信息公开的收费及减免情况\n未收取任何费用。\n"
        "五、因政府信息公开申请行政复议、提起行政诉讼的情况\n无。\n六、存在的主要问题及改进措施\n问题。\n七、其他需要报告的事项\n无。\n"
    )
    parsed = parse_document(text.encode("utf-8"), "text/plain")
    assert (parsed.kind, parsed.format, parsed.parse_status) == ("report", "pre2019", "ok")
    assert parsed.report_year == 2017 and parsed.agency == "XX县民政局"
    assert parsed.cells == []


def test_hint_title_names_an_untitled_text() -> None:
    body = seed_bytes("003_efc90ab21be40f1a").decode("utf-8").split("\n", 3)[3]  # drop agency and title lines
    parsed = parse_document(
        body.encode("utf-8"), "text/plain", hints={"title": "紫阳县行政审批服务局2020年政府信息公开工作年度报告"}
    )
    assert parsed.kind == "report"
    assert parsed.title == "紫阳县行政审批服务局2020年政府信息公开工作年度报告"
    assert parsed.agency == "紫阳县行政审批服务局" and parsed.report_year == 2020
    assert_cells(parsed, load_golden("003_efc90ab21be40f1a")["cells"])
