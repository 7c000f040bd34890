"""The form read by its structure: the national forms fix the order and number of rows and
columns, so a label is evidence for a row, not its key. Each decision taken by position is
recorded beside the cells (as a warning, like a repair)."""

from __future__ import annotations

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
