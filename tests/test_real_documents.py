"""Published but unreadable is still published: real report openings (tests/real/, sources in
tests/real/SOURCES.md) whose tables are cut off, and made-up variants, filed as the agency's report
for the year with status tables_unreadable and one review finding. tests/test_real_corpus.py checks
every real document; this file checks how such a report is recognised and what the monitor does."""

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


def _real(folder: str) -> tuple[dict, bytes]:
    """A folder of the real corpus: its expected.json and the document's bytes."""
    path = REAL / folder
    expected = json.loads((path / "expected.json").read_text(encoding="utf-8"))
    document = next(p for p in sorted(path.iterdir()) if p.name.startswith("document."))
    return expected, document.read_bytes()


def _url(folder: str) -> str | None:
    for line in (REAL / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {folder} |"):
            return next((c.strip() for c in line.split("|") if c.strip().startswith("http")), None)
    return None


def _parsed(folder: str):
    return parse_document(_real(folder)[1], "text/plain", url=_url(folder))


def test_where_the_document_named_itself() -> None:
    # "现将我办2022年度政府信息公开情况报告如下" and "关于2022年度政府信息公开情况的报告".
    assert _parsed("hubei-wuhan-hanyang-qzfb-2022").problems[0].rows == ["announcement", "no_tables"]
    assert _parsed("jilin-changchun-erdao-fwzs-2022").problems[0].rows == ["announcement", "no_tables"]
    # The metadata lines repeat the title (名称：…, 内容概述：…): still one report, not a list.
    assert _parsed("anhui-fuyang-szf-2020").problems[0].rows[0] == "heading"


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
    expected, body = _real("henan-fgw-2022")
    db = make_db(tmp_path)
    settings = make_settings(tmp_path, monitor={"first_year": 2021})
    site = add_site(db, "henan", "河南省人民政府", "河南省")
    add_agency(db, site, expected["agency"], level="department")
    result = Ingestor(db, RawStore(tmp_path / "raw")).ingest(
        url=_url("henan-fgw-2022"), body=body, site_id=site, media_type="text/plain", hints={"published_on": date(2023, 1, 19)}
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
