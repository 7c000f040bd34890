"""How the parser reads particular real report pages (tests/real/, sources in tests/real/SOURCES.md)
and made-up variants of them: where a report names itself, its agency, its date, tables printed as
text; and what storage and the monitor make of a report whose tables cannot be read.
tests/test_real_corpus.py checks every document of the corpus (filed as report or not, agency,
year, form, cells)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.check import run_check
from monitor.lifecycle import finding_to_dict
from parser import parse_document
from storage.ingest import Ingestor
from storage.models import Finding, Report
from storage.rawstore import RawStore
from tests.monitor_factory import add_agency, add_site, make_db, make_settings

REAL = Path(__file__).parent / "real"


def _url_of(folder: str) -> str | None:
    for line in (REAL / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {folder} |"):
            return next((c.strip() for c in line.split("|") if c.strip().startswith("http")), None)
    return None


def _items() -> list[tuple[str, dict, bytes]]:
    """Every folder of the real corpus: (name, its expected.json with the source URL, bytes)."""
    out = []
    for folder in sorted(p for p in REAL.iterdir() if (p / "expected.json").exists()):
        meta = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        meta["url"] = _url_of(folder.name)
        document = next(p for p in sorted(folder.iterdir()) if p.name.startswith("document."))
        out.append((folder.name, meta, document.read_bytes()))
    return out


ITEMS = _items()
# Pages whose excerpt reaches a table printed as text (a PDF page's text layer): what it holds.
READABLE = {"shandong-weihai-wendeng-xfj-2022-p8"}
REPORTS = [i for i in ITEMS if i[1].get("kind") != "not_report" and i[0] not in READABLE]
NOT_REPORTS = [i for i in ITEMS if i[1].get("kind") == "not_report"]


def _url(meta: dict) -> str | None:
    return meta.get("url")


def test_where_the_document_named_itself() -> None:
    from parser.identity import report_name

    def named(name: str) -> str | None:
        [(_, meta, body)] = [i for i in ITEMS if i[0] == name]
        lines = body.decode("utf-8").split("\n")
        found = report_name(None, lines, "\n".join(lines))
        return found.source if found else None

    # "现将我办2022年度政府信息公开情况报告如下" and "关于2022年度政府信息公开情况的报告".
    assert named("hubei-wuhan-hanyang-qzfb-2022") == "announcement"
    assert named("jilin-changchun-erdao-fwzs-2022") == "announcement"
    # The metadata lines repeat the title (名称：…, 内容概述：…): still one report, not a list.
    assert named("anhui-fuyang-szf-2020") == "heading"
    assert named("not-report-guizhou-hbiia-guizhou-news-2020") is None


def _report(body: str) -> bytes:
    return body.encode("utf-8")


def test_title_over_two_lines() -> None:
    parsed = parse_document(
        _report("某某县人民政府\n2023年政府信息公开工作年度报告\n2023年，我县认真贯彻《条例》……\n"), "text/plain"
    )
    assert (parsed.kind, parsed.parse_status, parsed.report_year) == ("report", "tables_unreadable", 2023)
    assert parsed.agency == "某某县人民政府"


def test_statistics_period_sentence_names_the_year() -> None:
    text = (
        "根据《中华人民共和国政府信息公开条例》要求，编制本报告。本报告中所列数据统计期限为2023年1月1日至2023年12月31日。"
        "如对本报告有任何疑问，请与本局办公室联系。\n"
    )
    parsed = parse_document(_report(text), "text/plain")
    assert (parsed.kind, parsed.report_year) == ("report", 2023)
    assert parsed.problems[0].rows[0] == "period"


def test_list_of_reports_is_not_a_report() -> None:
    text = "".join(
        f"{agency}2023年政府信息公开工作年度报告 2024-01-2{i}\n"
        for i, agency in enumerate(("某某县教育局", "某某县民政局", "某某县财政局", "某某县卫生健康局"))
    )
    assert parse_document(_report(text), "text/plain").kind == "other"


def test_news_about_a_report_is_not_a_report() -> None:
    text = "2022年政府信息公开工作年度报告发布\n日前，某某省人民政府正式向社会发布2022年政府信息公开工作年度报告。\n"
    assert parse_document(_report(text), "text/plain").kind == "other"


def test_unreadable_report_counts_as_published_with_one_review_finding(tmp_path: Path) -> None:
    """Filed through ingestion, checked by the monitor: no missing-year finding for that year,
    one finding asking for review, and none of the table rules guessing at what is not there."""
    [(_, meta, body)] = [i for i in REPORTS if i[0] == "henan-fgw-2022"]
    db = make_db(tmp_path)
    settings = make_settings(tmp_path, monitor={"first_year": 2021})
    site = add_site(db, "henan", "河南省人民政府", "河南省")
    add_agency(db, site, meta["agency"], level="department")
    result = Ingestor(db, RawStore(tmp_path / "raw")).ingest(
        url=_url(meta), body=body, site_id=site, media_type="text/plain", hints={"published_on": date(2023, 1, 19)}
    )
    assert result.outcome == "new"
    with db.session() as s:
        report = s.scalar(select(Report))
        assert report is not None
        assert (report.report_year, report.parse_status) == (2022, "tables_unreadable")
    run_check(db, settings, date(2023, 6, 30))
    with db.session() as s:
        found = [finding_to_dict(f) for f in s.scalars(select(Finding).order_by(Finding.id))]
    years_missing = [f["report_year"] for f in found if f["kind"] == "missing_year"]
    assert 2022 not in years_missing and 2021 in years_missing
    about_report = [f for f in found if f["report_year"] == 2022]
    assert [f["kind"] for f in about_report] == ["tables_unreadable"]
    detail = about_report[0]["detail"]
    assert "标题表明" in detail and "未能读取" in detail and "人工" in detail


# --- Where the fields are stated --------------------------------------------------------------
# The agency as each real page prints it: its title line under a breadcrumb, a quoted title in the
# opening sentence, the preamble's "结合…政府信息公开工作".
PRINTED_AGENCY = {
    "shaanxi-shanyang-2020": "山阳县人民政府",
    "gansu-lintao-xintian-2022": "临洮县新添镇",
    "shandong-weihai-szfb-2022": "威海市人民政府办公室",
    "chongqing-rongchang-hebaozhen-2020": "河包镇",
    "henan-fgw-2022": "河南省发展和改革委员会",
}


@pytest.mark.parametrize("name,agency", sorted(PRINTED_AGENCY.items()))
def test_agency_where_the_report_states_it(name: str, agency: str) -> None:
    [(_, meta, body)] = [i for i in ITEMS if i[0] == name]
    parsed = parse_document(body, "text/plain", url=_url(meta))
    assert (parsed.kind, parsed.agency, parsed.report_year) == ("report", agency, meta["report_year"])


def test_agency_and_date_from_the_signature() -> None:
    text = (
        "2023年政府信息公开工作年度报告\n本报告中所列数据统计期限为2023年1月1日至2023年12月31日。\n"
        "一、总体情况\n2023年，我局严格落实《条例》要求。\n某某县民政局\n2024年1月20日\n"
    )
    parsed = parse_document(_report(text), "text/plain")
    assert (parsed.kind, parsed.agency, parsed.report_year) == ("report", "某某县民政局", 2023)
    assert (parsed.published_on, parsed.published_source) == (date(2024, 1, 20), "text_signature")


def test_page_metadata_names_a_flattened_report() -> None:
    """A page whose body is one flattened line: title, date and agency from the head metas."""
    page = """<html><head><meta name="ArticleTitle" content="某某县财政局2023年政府信息公开工作年度报告">
<meta name="PubDate" content="2024-01-18 10:00"><meta name="ContentSource" content="某某县财政局"></head>
<body><div class="TRS_Editor"><p>一、总体情况 2023年，我局…… 二、主动公开政府信息情况 第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 规章 0 0 0</p></div></body></html>"""
    parsed = parse_document(page.encode("utf-8"), "text/html")
    assert (parsed.kind, parsed.parse_status) == ("report", "tables_unreadable")
    assert (parsed.agency, parsed.report_year) == ("某某县财政局", 2023)
    assert (parsed.published_on, parsed.published_source) == (date(2024, 1, 18), "page_meta")
    assert parsed.cells == []


def test_section_four_in_a_pdf_page_text_is_read_cell_for_cell() -> None:
    """Page 8 of a PDF report as its text layer: section 四's headers broken over five lines, then
    one line of 15 values separated by single spaces. The values are read, in the form's order;
    the sections the page does not show are reported missing, not filled."""
    [(_, meta, body)] = [i for i in ITEMS if i[0] == "shandong-weihai-wendeng-xfj-2022-p8"]
    parsed = parse_document(body, "text/plain", url=_url(meta))
    assert (parsed.kind, parsed.report_year) == ("report", 2022)
    appeals = {c.key: c.value for c in parsed.cells if c.section == "appeals"}
    assert len(appeals) == 15 and set(appeals.values()) == {0}
    assert {c.section for c in parsed.cells} == {"appeals"}
    assert parsed.parse_status == "malformed"
    assert {p.section for p in parsed.problems} == {"active", "requests"}


def test_markdown_rows_without_leading_pipe_are_read_with_their_blank_cells() -> None:
    """The converted page prints its table one cell per line, each ended by "|" ("5 |"), every
    row opened by a lone "|": "|", "规章 |", "0 |", "0 |", "|", then "|" opening the next row.
    Every cell is marked, so the lone "|" after the two values is the row's third cell, published
    blank (as expected.json reads it by eye): read as blank, not as unknown."""
    [(_, meta, body)] = [i for i in ITEMS if i[0] == "hubei-wuhan-hanyang-qzfb-2022"]
    cells = parse_document(body, "text/plain", url=_url(meta)).cell_map()
    assert [cells[("active", "normative_documents", c)].value for c in ("issued", "repealed", "in_force")] == [5, 12, 8]
    regulations = [cells[("active", "regulations", c)] for c in ("issued", "repealed", "in_force")]
    assert [(c.value, c.uncertain) for c in regulations] == [(0, False), (0, False), (None, False)]
    assert cells[("requests", "new", "total")].value == 8


def test_one_cell_per_line_with_empty_cells() -> None:
    """Markdown one cell per line: "56 |", then "|" for each empty cell, "||" closing the row."""
    [(_, meta, body)] = [i for i in ITEMS if i[0] == "jilin-changchun-erdao-fwzs-2022"]
    cells = parse_document(body, "text/plain", url=_url(meta)).cell_map()
    from core.keys import REQUEST_COLUMNS

    assert [cells[("requests", "new", c)].value for c in REQUEST_COLUMNS] == [56, None, None, None, None, None, 56]
