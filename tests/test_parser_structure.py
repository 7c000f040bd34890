"""The form read by its structure: the national forms fix the order and number of rows and
columns, so a label is evidence for a row, not its key. Each decision taken by position is
recorded beside the cells (as a warning, like a repair)."""

from __future__ import annotations

from core.keys import REQUEST_COLUMNS
from parser import parse_document
from tests.test_parser_seeds import _REQUEST_LABELS, _report


def _with_label(key: str, label: str) -> list[tuple[str, str]]:
    return [(k, label if k == key else lab) for k, lab in _REQUEST_LABELS]


def test_misspelt_numbered_label_is_read_by_its_place_in_the_group(monkeypatch) -> None:
    # "禁止公开" printed as "止公开": the words match nothing, the number 2 in （三）不予公开 does.
    monkeypatch.setattr(
        "tests.test_parser_seeds._REQUEST_LABELS", _with_label("withheld.prohibited_by_law", "\t\t2.其他法律行政止公开")
    )
    rows = {
        "new": "3\t0\t0\t0\t0\t0\t3",
        "withheld.prohibited_by_law": "2\t0\t0\t0\t0\t0\t2",
        "disclosed": "1\t0\t0\t0\t0\t0\t1",
        "results_total": "3\t0\t0\t0\t0\t0\t3",
    }
    parsed = parse_document(_report(rows), "text/plain")
    cells = parsed.cell_map()
    assert cells[("requests", "withheld.prohibited_by_law", "natural_person")].value == 2
    assert cells[("requests", "withheld.prohibited_by_law", "total")].value == 2
    assert parsed.parse_status == "ok", (parsed.warnings, parsed.problems)
    assert any("2.其他法律行政止公开" in w and "item number" in w for w in parsed.warnings)


def test_unnumbered_unknown_label_is_not_guessed(monkeypatch) -> None:
    monkeypatch.setattr(
        "tests.test_parser_seeds._REQUEST_LABELS", _with_label("withheld.prohibited_by_law", "\t\t其他法律行政止公开")
    )
    parsed = parse_document(_report({}), "text/plain")
    assert ("requests", "withheld.prohibited_by_law", "total") not in parsed.cell_map()
    assert any(p.section == "requests" and "withheld.prohibited_by_law" in p.rows for p in parsed.problems)


SPLIT_APPEALS = """行政复议
结果维持\t结果纠正\t其他结果\t尚未审结\t总计
1\t0\t0\t1\t2
未经复议直接起诉
结果维持\t结果纠正\t其他结果\t尚未审结\t总计
0\t1\t0\t0\t1
复议后起诉
结果维持\t结果纠正\t其他结果\t尚未审结\t总计
0\t0\t0\t3\t3"""


def test_section_four_published_as_three_small_tables_is_one_row() -> None:
    parsed = parse_document(_report({}, appeals=SPLIT_APPEALS), "text/plain")
    cells = parsed.cell_map()
    got = {
        row: [cells[("appeals", row, c)].value for c in ("upheld", "corrected", "other", "pending", "total")]
        for row in ("review", "litigation_direct", "litigation_after_review")
    }
    assert got == {
        "review": [1, 0, 0, 1, 2],
        "litigation_direct": [0, 1, 0, 0, 1],
        "litigation_after_review": [0, 0, 0, 3, 3],
    }
    assert parsed.parse_status == "ok", (parsed.warnings, parsed.problems)
    assert any(w.startswith("appeals: section published as 3 tables of 5, 5, 5 values") for w in parsed.warnings)


def test_small_tables_that_do_not_make_fifteen_values_are_not_joined() -> None:
    appeals = SPLIT_APPEALS.rsplit("\n", 3)[0]  # the third table is missing: 10 values only
    parsed = parse_document(_report({}, appeals=appeals), "text/plain")
    assert not any(w.startswith("appeals: section published as") for w in parsed.warnings)
    assert parsed.parse_status != "ok"


# --- Text without table markup ------------------------------------------------------------------
def _flattened(rows: dict[str, str]) -> tuple[bytes, bytes]:
    """The same report with its tab-separated tables, and as text converted from PDF: every cell
    separated by a single space, headers and labels on their lines, no table markup at all."""
    tabbed = _report(rows)
    flat = "\n".join(" ".join(line.split()) for line in tabbed.decode("utf-8").split("\n"))
    return tabbed, flat.encode("utf-8")


ROWS = {
    "new": "3\t0\t0\t0\t0\t0\t3",
    "disclosed": "2\t0\t0\t0\t0\t0\t2",
    "partly_disclosed": "1\t0\t0\t0\t0\t0\t1",
    "results_total": "3\t0\t0\t0\t0\t0\t3",
}


def test_space_separated_tables_read_as_the_tabbed_ones() -> None:
    tabbed, flat = _flattened(ROWS)
    want = {(c.key, c.value) for c in parse_document(tabbed, "text/plain").cells}
    parsed = parse_document(flat, "text/plain")
    assert parsed.parse_status == "ok", (parsed.warnings, parsed.problems)
    assert {(c.key, c.value) for c in parsed.cells} == want
    assert len(want) > 150


def test_glued_digits_are_split_only_where_the_totals_allow_one_reading() -> None:
    _, flat = _flattened(ROWS)
    glued = flat.replace("申请数量 3 0 0 0 0 0 3".encode(), "申请数量3000003".encode())
    parsed = parse_document(glued, "text/plain")
    cells = parsed.cell_map()
    assert [cells[("requests", "new", c)].value for c in ("natural_person", "total")] == [3, 3]
    assert any("glued digits" in w for w in parsed.warnings)
    # The same row whose digits do not balance (3 ≠ 4): nothing is read into it, the table is flagged.
    wrong = flat.replace("申请数量 3 0 0 0 0 0 3".encode(), "申请数量3000004".encode())
    parsed = parse_document(wrong, "text/plain")
    assert not any(c.row == "new" and c.section == "requests" for c in parsed.cells)
    assert any(p.section == "requests" and "new" in p.rows for p in parsed.problems)


def test_glued_digits_with_several_balanced_splits_stay_unknown() -> None:
    from parser.repair import split_glued

    outcome = split_glued("1234", 3, lambda r: True)
    assert outcome.status == "ambiguous" and outcome.cells == [None, None, None]
    outcome = split_glued("10111", 3, lambda r: int(r[0]) + int(r[1]) == int(r[2]))  # only 10+1=11 balances
    assert (outcome.status, outcome.cells) == ("repaired", ["10", "1", "11"])


def test_prose_ending_in_a_number_is_not_a_table_row() -> None:
    from parser.spaced_rows import spaced_cells

    assert spaced_cells("本年度共收到政府信息公开申请，办理完结 5", glued=True) is None
    assert spaced_cells("行政许可 5", glued=False) == ["行政许可", "5"]
    assert spaced_cells("规章0", glued=False) is None  # no totals in section 二 to check a split


def _values_below_labels(text: str) -> str:
    """Every row's values moved to a line of their own under its label."""
    out = []
    for line in text.split("\n"):
        tokens = line.split()
        k = len(tokens)
        while k and tokens[k - 1].isdigit():
            k -= 1
        out += [" ".join(tokens[:k]), " ".join(tokens[k:])] if 0 < k < len(tokens) else [" ".join(tokens)]
    return "\n".join(out)


def test_values_on_the_line_below_their_labels() -> None:
    tabbed, _ = _flattened(ROWS)
    want = {(c.key, c.value) for c in parse_document(tabbed, "text/plain").cells}
    parsed = parse_document(_values_below_labels(tabbed.decode("utf-8")).encode("utf-8"), "text/plain")
    assert {(c.key, c.value) for c in parsed.cells} == want
    assert parsed.parse_status == "ok", (parsed.warnings, parsed.problems)


def test_label_cut_by_a_line_break() -> None:
    tabbed, flat = _flattened(ROWS)
    want = {(c.key, c.value) for c in parse_document(tabbed, "text/plain").cells}
    cut = flat.decode("utf-8").replace("4.保护第三方合法权益 0", "4.保护第三方合\n法权益 0").replace("行政许可 5", "行政\n许可 5")
    parsed = parse_document(cut.encode("utf-8"), "text/plain")
    assert {(c.key, c.value) for c in parsed.cells} == want
    assert parsed.parse_status == "ok", (parsed.warnings, parsed.problems)


def test_other_group_as_one_row_in_a_2021_table_is_reported_not_split(monkeypatch) -> None:
    labels = [(k, lab) for k, lab in _REQUEST_LABELS if not k.startswith("other.")]
    at = next(i for i, (k, _) in enumerate(labels) if k == "results_total")
    labels.insert(at, ("other", "\t(六) 其他处理\t"))
    monkeypatch.setattr("tests.test_parser_seeds._REQUEST_LABELS", labels)
    parsed = parse_document(_report({"other": "1\t0\t0\t0\t0\t0\t1"}), "text/plain")
    assert not any(c.row.startswith("other") for c in parsed.cells if c.section == "requests")
    [problem] = [p for p in parsed.problems if "其他处理" in p.reason]
    assert problem.rows == ["other.no_correction", "other.unpaid_fee", "other.other"]


# --- Openings cut inside a table, and tables whose cells a converter put one per line -----------
_HEAD = "XX县测试局2023年政府信息公开工作年度报告\n一、总体情况\n2023年，我局认真贯彻《条例》。\n"


def _lines(*cells: str) -> str:
    return "\n".join(cells)


def _cells(text: str) -> dict[tuple[str, str, str], object]:
    return {c.key: c.value for c in parse_document((_HEAD + text).encode("utf-8"), "text/plain").cells}


def _piped(rows: list[list[str]], *, opened: bool) -> str:
    """A table as a page converter prints it: one cell per line, each ended by " |" ("|" alone
    for a blank cell), every row opened by a lone "|" when ``opened``."""
    out = []
    for row in rows:
        out += ["|"] if opened else []
        out += [f"{c} |" if c else "|" for c in row]
    return "\n".join(out)


ACTIVE_2021 = [
    ["第二十条第(一)项", "", "", ""],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "0", "0", ""],
    ["行政规范性文件", "5", "12", "8"],
    ["第二十条第(五)项", "", "", ""],
    ["信息内容", "本年处理决定数量", "", ""],
    ["行政许可", "7", "", ""],
]
REQUESTS_2021 = [
    ["(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)", "申请人情况"],
    ["自然人", "法人或其他组织", "", "", "", "", "总计"],
    ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
    ["一、本年新收政府信息公开申请数量", "4", "", "", "", "", "", "4"],
    ["二、上年结转政府信息公开申请数量", "0", "", "", "", "", "", "0"],
    ["三、本年度办理结果", "(一)予以公开", "3", "", "", "", "", "", "3"],
    ["(二)部分公开(区分处理的，只计这一情形，不计其他情形)", "", "", "", "", "", "", ""],
    ["(三)不予公开", "1.属于国家秘密", "1", "", ""],  # the page ends here, inside the row
]


def test_one_cell_per_line_ended_by_pipes_keeps_blank_cells_and_reads_a_cut_row_as_far_as_shown() -> None:
    for opened in (True, False):
        text = (
            "二、主动公开政府信息情况\n" + _piped(ACTIVE_2021, opened=opened)
            + "\n三、收到和处理政府信息公开申请情况\n" + _piped(REQUESTS_2021, opened=opened)
        )
        cells = _cells(text)
        assert [cells[("active", "regulations", c)] for c in ("issued", "repealed", "in_force")] == [0, 0, None]
        assert [cells[("active", "normative_documents", c)] for c in ("issued", "repealed", "in_force")] == [5, 12, 8]
        assert cells[("active", "licensing", "decisions")] == 7
        assert [cells[("requests", "new", c)] for c in ("natural_person", "commercial", "total")] == [4, None, 4]
        assert cells[("requests", "disclosed", "total")] == 3
        assert {k: v for k, v in cells.items() if k[1] == "partly_disclosed"} == {
            ("requests", "partly_disclosed", c): None for c in REQUEST_COLUMNS
        }
        # The cut row: its three shown cells, in the form's column order; the four cut off are absent.
        cut = {k[2]: v for k, v in cells.items() if k[1] == "withheld.state_secret"}
        assert cut == {"natural_person": 1, "commercial": None, "research": None}
        assert not any(k[0] == "requests" and k[1].startswith("withheld.") and k[1] != "withheld.state_secret" for k in cells)


def test_cells_on_their_own_lines_between_lone_pipes() -> None:
    # "规章" / "|" / "0" / "|" …, a header word broken over two lines ("商业" / "企业").
    def separated(rows: list[list[str]]) -> str:
        out = []
        for row in rows:
            for c in row:
                out += [*c.split("/"), "|"]
        return "\n".join(out)

    active = [
        ["第二十条第(一)项"],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "0", "0", "6"],
        ["行政规范性文件", "1", "0", "2"],
    ]
    requests = [
        ["申请人情况", "自然人", "法人或其他组织", "总计", "商业/企业", "科研/机构", "社会公益组织", "法律服务机构", "其他"],
        ["一、本年新收政府信息公开申请数量", "2", "0", "0", "0", "0", "1", "3"],
        ["二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0"],
    ]
    text = "二、主动公开政府信息情况\n" + separated(active) + "\n三、收到和处理政府信息公开申请情况\n" + separated(requests)
    cells = _cells(text + "\n6.属于四类过程性信")  # the page ends inside a label: that row is absent
    assert [cells[("active", "regulations", c)] for c in ("issued", "repealed", "in_force")] == [0, 0, 6]
    assert [cells[("requests", "new", c)] for c in REQUEST_COLUMNS] == [2, 0, 0, 0, 0, 1, 3]
    assert [cells[("requests", "carried_in", c)] for c in REQUEST_COLUMNS] == [0] * 7
    assert not any(k[1].startswith("withheld.") for k in cells)


def test_pipe_rows_cut_inside_a_row_read_the_shown_cells_only_where_every_cell_is_marked() -> None:
    head = "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |\n"
    cut = "三、本年度办理结果 | (一) 予以公开 | 2 | 0 | 0 |"
    cells = _cells(head + cut)
    assert [cells[("requests", "new", c)] for c in ("natural_person", "total")] == [5, 5]
    assert {k[2]: v for k, v in cells.items() if k[1] == "disclosed"} == {"natural_person": 2, "commercial": 0, "research": 0}
    # The same page as text without table markup: a blank cell would leave no trace, so the three
    # values of the cut row cannot be placed and none is read.
    parsed = parse_document((_HEAD + (head + cut).replace("|", " ")).encode("utf-8"), "text/plain")
    assert not any(c.row == "disclosed" for c in parsed.cells)
    assert any("disclosed is cut by the end of the text" in w for w in parsed.warnings)
    # Not at the end of the text, a short row is no cut row: it is repaired or reported as before.
    parsed = parse_document((_HEAD + head + cut + "\n五、存在的主要问题及改进情况\n无。").encode("utf-8"), "text/plain")
    assert not any(c.row == "disclosed" and c.value is not None for c in parsed.cells)
    # Nor in an HTML page, which ends where its author ended it, whatever its last row.
    rows = [line.rstrip(" |").split("|") for line in (head + cut).split("\n")[1:]]
    table = "".join("<tr>" + "".join(f"<td>{c.strip()}</td>" for c in row) + "</tr>" for row in rows)
    paragraphs = "".join(f"<p>{line}</p>" for line in [*_HEAD.strip().split("\n"), "三、收到和处理政府信息公开申请情况"])
    page = f"<html><body>{paragraphs}<table>{table}</table></body></html>"
    parsed = parse_document(page.encode("utf-8"), "text/html")
    assert {(c.row, c.column): c.value for c in parsed.cells}[("new", "total")] == 5
    assert not any(c.row == "disclosed" and c.value is not None for c in parsed.cells)


def test_label_with_a_bracketed_note_is_its_row_and_an_extra_provincial_row_is_not_taken() -> None:
    text = _lines(
        "二、主动公开政府信息情况", "第二十条第(一)项", "信息内容", "本年新", "制作数量", "本年新", "公开数量", "对外公开总数量",
        "规章(设区的市、自治州人民政府应提供相关数据)", "0", "0", "0",
        "规范性文件(行政机关制定发布的决定、公告、通告、意见、通知，以及标题采用“规定”“办法”等字样的公文，一般情况下属于规范性文件)",
        "34", "4", "47",
        "其他主动公开文件(含以本单位或本单位办公室名义正式签发的、除规范性文件以外的主动公开文件)", "9", "9", "9",
        "第二十条第(五)项",
    )
    cells = _cells(text)
    assert [cells[("active", "regulations", c)] for c in ("made", "published", "total_published")] == [0, 0, 0]
    assert [cells[("active", "normative_documents", c)] for c in ("made", "published", "total_published")] == [34, 4, 47]
    assert 9 not in cells.values()


def test_row_label_with_no_value_before_the_next_row_is_published_blank() -> None:
    rows = [
        "二、主动公开政府信息情况", "第二十条第(五)项", "信息内容", "上一年项目数量", "本年增/减", "处理决定数量",
        "行政许可", "18", "0", "1625", "其他对外管理服务事项",
        "第二十条第(六)项", "信息内容", "上一年项目数量", "本年增/减", "处理决定数量",
        "行政处罚", "137", "0", "112", "行政强制",
    ]
    cells = _cells(_lines(*rows))
    assert [cells[("active", "licensing", c)] for c in ("previous_items", "change", "decisions")] == [18, 0, 1625]
    assert {k: v for k, v in cells.items() if k[1] == "other_services"} == {
        ("active", "other_services", c): None for c in ("previous_items", "change", "decisions")
    }
    assert not any(k[1] == "coercion" for k in cells)  # the last line: the page may be cut there
    # Before another row label, the values on the line below could be either row's (labels
    # printed apart from their values): nothing is read as blank.
    apart = rows[:6] + ["行政许可", "其他对外管理服务事项", "18 0 1625", "第二十条第(六)项"]
    assert not any(k[1] == "licensing" for k in _cells(_lines(*apart)))
    # Values standing without a label: the label without a value may own some of them.
    loose = rows[:6] + ["行政许可 18 0 1625", "其他对外管理服务事项", "第二十条第(六)项", "0 0 0"]
    assert not any(k[1] == "other_services" for k in _cells(_lines(*loose)))


def test_a_page_that_starts_inside_table_three() -> None:
    # One page of a flip-book: the last row of table 三, then section 四 and its values.
    text = _lines(
        "Page 9 - 2020年报_测试局",
        "P. 9",
        "四、结转下年度继续办理 1 0 0 0 0 0 1",
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 行政诉讼",
        "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
        "五、存在的主要问题及改进情况",
    )
    parsed = parse_document(text.encode("utf-8"), "text/plain")
    cells = {c.key: c.value for c in parsed.cells}
    assert [cells[("requests", "carried_out", c)] for c in REQUEST_COLUMNS] == [1, 0, 0, 0, 0, 0, 1]
    assert cells[("appeals", "review", "total")] == 0
    # After the opening of the report, the same line is no table row: nothing read from it.
    assert not any(k[1] == "carried_out" for k in _cells(text))
