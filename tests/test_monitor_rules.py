"""Each rule firing and not firing, on reports built directly through the models."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select

from monitor.check import run_check
from monitor.deadlines import DeadlineCalendar
from monitor.lifecycle import finding_to_dict
from core import keys
from core.settings import MonitorSettings
from storage.models import CrawlError, Finding
from tests.monitor_factory import (
    add_agency,
    add_crawl,
    add_report,
    add_site,
    add_text_report,
    china,
    make_db,
    make_settings,
)

AS_OF = date(2025, 6, 30)


@pytest.fixture
def env(tmp_path, database_url):
    """Every rule on SQLite and on PostgreSQL."""
    db = make_db(tmp_path, database_url)
    settings = make_settings(tmp_path, database=database_url, monitor={"first_year": 2024})
    site = add_site(db)
    return db, settings, site


def findings(db, kind=None, rule=None):
    with db.session() as s:
        q = select(Finding).order_by(Finding.id)
        out = [finding_to_dict(f) for f in s.scalars(q)]
    return [
        f
        for f in out
        if (kind is None or f["kind"] == kind) and (rule is None or f["rule"] == rule)
    ]


def check(db, settings, as_of=AS_OF, **kw):
    return run_check(db, settings, as_of, **kw)


# --- balance ------------------------------------------------------------------------------
def test_balanced_report_has_no_findings(env):
    db, settings, site = env
    add_report(db, add_agency(db, site, "西湖区教育局"), 2024)
    summary = check(db, settings)
    assert summary["reports_checked"] == 1
    assert findings(db) == []


def test_r1_names_cells_and_both_sides(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    # Total column: 3 recorded results, but 1 new + 3 carried in − 0 carried out = 4.
    cells = {
        (keys.REQUESTS, "new", "total"): 1,
        (keys.REQUESTS, "carried_in", "total"): 3,
        (keys.REQUESTS, "carried_out", "total"): 0,
        (keys.REQUESTS, "results_total", "total"): 3,
    }
    add_report(db, a, 2024, cells=cells)
    check(db, settings)
    [r1] = findings(db, rule="R1")
    assert (
        r1["detail"]
        == "三、（七）总计·总计 为 3，但 一、本年新收 1 + 二、上年结转 3 − 四、结转下年度继续办理 0 = 4（R1）"
    )
    assert (
        r1["severity"] == "error" and r1["status"] == "new" and r1["kind"] == "balance"
    )
    assert {(c["row"], c["column"], c["value"], c["raw"]) for c in r1["cells"]} == {
        ("new", "total", 1, "1"),
        ("carried_in", "total", 3, "3"),
        ("results_total", "total", 3, "3"),
        ("carried_out", "total", 0, "0"),
    }
    assert all(
        c["label"].startswith("三、收到和处理政府信息公开申请情况") for c in r1["cells"]
    )
    assert r1["evidence"]["left"] == "4" and r1["evidence"]["right"] == "3"
    assert r1["source_url"].startswith("https://xihu.gov.cn/")
    assert r1["agency"] == "西湖区教育局" and r1["region"] == "浙江省杭州市西湖区"


def test_blank_term_is_not_zero(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    add_report(
        db, a, 2024, cells={(keys.REQUESTS, "carried_in", "natural_person"): None}
    )
    check(db, settings)
    assert findings(db, rule="R1") == [] and findings(db, rule="R2") == []


def test_r2_row_total(env):
    db, settings, site = env
    add_report(
        db,
        add_agency(db, site, "西湖区教育局"),
        2024,
        cells={(keys.REQUESTS, "disclosed", "total"): 11},
    )
    check(db, settings)
    [r2] = findings(db, rule="R2")
    assert (
        "三、（一）予以公开·总计 为 11" in r2["detail"] and "= 12（R2）" in r2["detail"]
    )
    assert len(r2["cells"]) == 7
    # R3 on the total column fires too: (七)总计·总计 is 12 but results now sum to 11.
    assert [f["evidence"]["column"] for f in findings(db, rule="R3")] == ["total"]


def test_r3_results_sum(env):
    db, settings, site = env
    cells = {
        (keys.REQUESTS, "withheld.state_secret", "research"): 1,
        (keys.REQUESTS, "withheld.state_secret", "total"): 1,
        (keys.REQUESTS, "disclosed", "total"): 11,
        (keys.REQUESTS, "disclosed", "research"): 1,
    }
    add_report(db, add_agency(db, site, "西湖区教育局"), 2024, cells=cells)
    check(db, settings)
    assert (
        findings(db, rule="R3") == []
    )  # moved one request between result rows: still balances
    cells[(keys.REQUESTS, "disclosed", "research")] = (
        2  # now 科研机构 results sum to 3, not 2
    )
    add_report(db, add_agency(db, site, "西湖区民政局"), 2024, cells=cells)
    check(db, settings)
    [r3] = findings(db, rule="R3")
    assert r3["detail"].startswith(
        "三、（七）总计·科研机构 为 2，但各项办理结果之和为 3"
    )
    assert len(r3["cells"]) == 1 + len(keys.RESULT_ROWS[keys.FORMAT_2021])


def test_r3_uses_2019_result_rows(env):
    db, settings, site = env
    add_report(db, add_agency(db, site, "西湖区教育局"), 2020, fmt=keys.FORMAT_2019)
    check(db, settings, date(2021, 6, 30))
    assert findings(db, kind="balance") == []


@pytest.mark.parametrize(
    "row,rule",
    [("review", "R4"), ("litigation_direct", "R5"), ("litigation_after_review", "R6")],
)
def test_r4_r6_appeals(env, row, rule):
    db, settings, site = env
    add_report(
        db,
        add_agency(db, site, "西湖区教育局"),
        2024,
        cells={(keys.APPEALS, row, "pending"): 2},
    )
    check(db, settings)
    [f] = findings(db, kind="balance")
    assert (
        f["rule"] == rule
        and f["detail"].startswith("四、")
        and f["detail"].endswith(f"（{rule}）")
    )
    assert "尚未审结 2" in f["detail"]


def test_r7_negative_and_change_column(env):
    db, settings, site = env
    add_report(
        db,
        add_agency(db, site, "西湖区教育局"),
        2024,
        cells={(keys.ACTIVE, "licensing", "decisions"): -3},
    )
    add_report(
        db,
        add_agency(db, site, "西湖区民政局"),
        2020,
        fmt=keys.FORMAT_2019,
        cells={(keys.ACTIVE, "licensing", "change"): -3},
    )
    check(db, settings)
    [r7] = findings(db, rule="R7")
    assert r7["agency"] == "西湖区教育局" and "为 -3，数量不能为负数" in r7["detail"]
    assert r7["severity"] == "info"


# --- carry-over ---------------------------------------------------------------------------
def test_x1_carry_over(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    add_report(db, a, 2023)
    add_report(db, a, 2024)
    check(db, settings)
    assert findings(db, kind="carryover") == []
    add_report(
        db,
        a,
        2024,
        cells={
            (keys.REQUESTS, "carried_in", "commercial"): 2,
            (keys.REQUESTS, "carried_in", "total"): 7,
            (keys.REQUESTS, "new", "commercial"): 1,
            (keys.REQUESTS, "new", "total"): 11,
        },
    )
    check(db, settings)
    xs = findings(db, kind="carryover")
    assert sorted(f["evidence"]["column"] for f in xs) == ["commercial", "total"]
    assert all(f["severity"] == "warning" and f["rule"] == "X1" for f in xs)
    assert findings(db, kind="balance") == []
    x = next(f for f in xs if f["evidence"]["column"] == "commercial")
    assert "2023 年度报告 四、结转下年度继续办理·商业企业 为 1" in x["detail"]


# --- timeliness ---------------------------------------------------------------------------
def test_spring_festival_shift():
    cal = DeadlineCalendar(MonitorSettings())
    d = cal.deadline(2024, "department")
    expected = date(2025, 1, 31)
    while not chinese_calendar.is_workday(expected):
        expected += timedelta(days=1)
    assert d.statutory == date(2025, 1, 31) and d.due == expected == date(2025, 2, 5)
    assert "春节" in d.shift_note
    assert cal.deadline(2024, "government").due == date(2025, 3, 31)
    assert cal.deadline(2018, "department").statutory == date(2019, 3, 31)
    assert cal.deadline(2024, "township").statutory == date(2025, 1, 31)
    outside = cal.deadline(
        2040, "department"
    )  # no holiday data: weekends only, said in the note
    assert "未覆盖" in outside.shift_note
    off = DeadlineCalendar(MonitorSettings(holiday_calendar=False)).deadline(
        2024, "department"
    )
    assert off.due == date(2025, 1, 31)


def test_deadline_override_by_region_and_level():
    cal = DeadlineCalendar(
        MonitorSettings(
            deadlines=[
                {"region": "浙江省", "level": "township", "month": 3, "day": 31},
                {
                    "region": "浙江省杭州市",
                    "level": "township",
                    "month": 2,
                    "day": 28,
                    "from_year": 2022,
                },
            ]
        )
    )
    assert cal.deadline(2024, "township", "浙江省杭州市西湖区").statutory == date(
        2025, 2, 28
    )
    assert cal.deadline(2021, "township", "浙江省杭州市西湖区").statutory == date(
        2022, 3, 31
    )
    assert cal.deadline(2024, "township", "江苏省南京市").statutory == date(2025, 1, 31)
    assert cal.deadline(2024, "department", "浙江省杭州市").statutory == date(
        2025, 1, 31
    )


def test_department_published_on_shifted_deadline_is_on_time(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    b = add_agency(db, site, "西湖区民政局")
    add_report(db, a, 2024, published_on=date(2025, 2, 5))
    add_report(db, b, 2024, published_on=date(2025, 2, 6))
    check(db, settings)
    [late] = findings(db, kind="late")
    assert late["agency"] == "西湖区民政局" and late["severity"] == "error"
    ev = late["evidence"]
    assert (
        ev["deadline"] == "2025-02-05"
        and ev["deadline_statutory"] == "2025-01-31"
        and ev["published_on"] == "2025-02-06"
    )
    assert ev["published_source"] == "page_meta" and ev["first_seen"]
    assert "逾期 1 天" in late["detail"]


def test_government_vs_department_and_township_deadlines(env):
    db, settings, site = env
    gov = add_agency(db, site, "西湖区人民政府", "government")
    dept = add_agency(db, site, "西湖区教育局", "department")
    town = add_agency(db, site, "转塘街道办事处", "township")
    for a in (gov, dept, town):
        add_report(db, a, 2024, published_on=date(2025, 3, 20))
    check(db, settings)
    assert sorted(f["agency"] for f in findings(db, kind="late")) == [
        "西湖区教育局",
        "转塘街道办事处",
    ]


def test_township_override_in_settings(env, tmp_path):
    db, _, site = env
    settings = make_settings(
        tmp_path,
        database=db.url,
        monitor={
            "first_year": 2024,
            "deadlines": [
                {"region": "浙江省", "level": "township", "month": 3, "day": 31}
            ],
        },
    )
    add_report(
        db,
        add_agency(db, site, "转塘街道办事处", "township"),
        2024,
        published_on=date(2025, 3, 20),
    )
    check(db, settings)
    assert findings(db, kind="late") == []


@pytest.mark.parametrize(
    "as_of,expected",
    [
        (
            date(2025, 2, 5),
            [],
        ),  # deadline day itself (after the Spring Festival shift): not yet due
        (date(2025, 2, 6), [2024]),
        (date(2025, 1, 10), []),  # 2024 not yet due; 2023 before first_year
    ],
)
def test_missing_year_as_of(env, as_of, expected):
    db, settings, site = env
    add_agency(db, site, "西湖区教育局")
    check(db, settings, as_of)
    assert [f["report_year"] for f in findings(db, kind="missing_year")] == expected


def test_missing_year_range_and_government_not_yet_due(tmp_path):
    db = make_db(tmp_path)
    settings = make_settings(tmp_path, monitor={"first_year": 2021})
    site = add_site(db)
    gov = add_agency(db, site, "西湖区人民政府", "government")
    dept = add_agency(db, site, "西湖区教育局", first_year=2023)
    add_agency(
        db, site, "西湖区未登记局", expected=False
    )  # neither expected nor ever published
    add_report(db, gov, 2022)
    run_check(db, settings, date(2025, 3, 1))
    missing = {
        (f["agency"], f["report_year"]) for f in findings(db, kind="missing_year")
    }
    assert missing == {
        ("西湖区人民政府", 2021),
        ("西湖区人民政府", 2023),
        ("西湖区教育局", 2023),
        ("西湖区教育局", 2024),
    }
    f = next(f for f in findings(db, kind="missing_year") if f["report_year"] == 2024)
    assert (
        f["evidence"]["deadline"] == "2025-02-05" and "截至 2025-03-01" in f["detail"]
    )
    assert f["agency_id"] == dept


def test_unknown_date_uses_first_seen_only_when_watching(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    add_report(db, a, 2024, published_on=None, first_seen=china(date(2025, 3, 3)))
    check(db, settings)
    assert (
        findings(db, kind="late") == []
    )  # we started watching after the deadline: proves nothing
    add_crawl(
        db, site, china(date(2025, 1, 10)), "https://xihu.gov.cn/col/nb/index.html", []
    )
    check(db, settings)
    [late] = findings(db, kind="late")
    assert (
        late["evidence"]["date_basis"] == "first_seen"
        and "首次发现于 2025-03-03" in late["detail"]
    )


def test_backdated(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    url = "https://xihu.gov.cn/art/2025/1/20/art_1.html"
    list_url = "https://xihu.gov.cn/col/nb/index.html"
    add_report(
        db,
        a,
        2024,
        url=url,
        published_on=date(2025, 1, 20),
        first_seen=china(date(2025, 2, 20)),
    )
    add_crawl(
        db,
        site,
        china(date(2025, 1, 25)),
        list_url,
        ["https://xihu.gov.cn/art/other.html"],
    )
    add_crawl(db, site, china(date(2025, 2, 20)), list_url, [url])
    check(db, settings)
    [b] = findings(db, kind="backdated")
    assert (
        b["severity"] == "warning"
        and "2025-01-20" in b["detail"]
        and "2025-01-25" in b["detail"]
    )
    assert b["evidence"]["list_url"] == list_url


def test_not_backdated_when_crawl_before_claimed_date(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    url = "https://xihu.gov.cn/art/2025/1/20/art_1.html"
    list_url = "https://xihu.gov.cn/col/nb/index.html"
    add_report(
        db,
        a,
        2024,
        url=url,
        published_on=date(2025, 1, 20),
        first_seen=china(date(2025, 1, 21)),
    )
    add_crawl(
        db, site, china(date(2025, 1, 19)), list_url, []
    )  # before the claimed date: fine
    add_crawl(db, site, china(date(2025, 1, 21)), list_url, [url])
    check(db, settings)
    assert findings(db, kind="backdated") == []


# --- form ---------------------------------------------------------------------------------
def test_outdated_format(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    add_report(db, a, 2024, fmt=keys.FORMAT_2019)
    add_report(db, add_agency(db, site, "西湖区民政局"), 2024)
    check(db, settings)
    [f] = findings(db, kind="outdated_format")
    assert (
        f["agency"] == "西湖区教育局"
        and f["severity"] == "warning"
        and "〔2019〕60号" in f["detail"]
    )


def test_blank_table_is_a_form_finding_not_zero(env):
    db, settings, site = env
    add_report(
        db, add_agency(db, site, "西湖区教育局"), 2024, all_blank=(keys.APPEALS,)
    )
    add_report(db, add_agency(db, site, "西湖区民政局"), 2024)
    check(db, settings)
    [f] = findings(db, kind="blank_table")
    assert f["agency"] == "西湖区教育局" and f["detail"].startswith(
        "四、政府信息公开行政复议、行政诉讼情况的表格全部为空白"
    )
    assert findings(db, kind="balance") == []


def test_missing_section(env):
    db, settings, site = env
    add_report(
        db,
        add_agency(db, site, "西湖区教育局"),
        2024,
        sections_present=["一", "二", "三", "四", "六"],
    )
    check(db, settings)
    [f] = findings(db, kind="missing_section")
    assert "五、存在的主要问题及改进情况" in f["detail"] and f["evidence"][
        "missing"
    ] == ["五"]


def test_malformed_table_reason_and_no_balance_noise(env):
    db, settings, site = env
    problems = [
        {"section": "requests", "reason": "表格列数为 5，应为 7", "rows": ["new"]}
    ]
    add_report(
        db,
        add_agency(db, site, "西湖区教育局"),
        2024,
        parse_status="malformed",
        problems=problems,
        cells={(keys.REQUESTS, "results_total", "total"): 99},
    )
    check(db, settings)
    [f] = findings(db, kind="malformed_table")
    assert (
        f["severity"] == "error"
        and "表格列数为 5，应为 7" in f["detail"]
        and f["detail"].startswith("三、")
    )
    assert findings(db, kind="balance") == []


def test_image_only_never_reports_zeros(env):
    db, settings, site = env
    add_report(
        db,
        add_agency(db, site, "西湖区教育局"),
        2024,
        parse_status="image_only",
        no_cells=True,
        sections_text={"一": "本年度未收到政府信息公开申请。"},
    )
    check(db, settings)
    [f] = findings(db, kind="image_only")
    assert (
        "表格为图片" in f["detail"]
        and "未能读取" in f["detail"]
        and "0" not in f["detail"].replace("2024", "")
    )
    assert (
        findings(db, kind="blank_table") == [] and findings(db, kind="text_table") == []
    )


# --- text vs table ------------------------------------------------------------------------
def test_text_says_no_requests_but_table_counts(env):
    db, settings, site = env
    add_text_report(db, site, "西湖区教育局", "2024年，本机关未收到政府信息公开申请。")
    add_text_report(db, site, "西湖区民政局", "本年度未收到行政复议申请。")
    add_text_report(
        db,
        site,
        "西湖区卫健委",
        "本年度没有收到政府信息公开申请。",
        cells={(keys.REQUESTS, "new", "total"): 0},
    )
    check(db, settings)
    [f] = findings(db, kind="text_table")
    assert f["agency"] == "西湖区教育局" and f["rule"] == "T1"
    assert "未收到政府信息公开申请" in f["detail"] and "为 12" in f["detail"]


def test_text_quoted_counts(env):
    db, settings, site = env
    add_text_report(
        db, site, "西湖区教育局", "本年新收政府信息公开申请15件，上年结转6件。"
    )
    add_text_report(
        db,
        site,
        "西湖区民政局",
        "本年度新收政府信息公开申请12件。共受理政府信息公开申请18件。",
    )
    check(db, settings)
    [f] = findings(db, kind="text_table")
    assert (
        f["agency"] == "西湖区教育局"
        and f["rule"] == "T2"
        and f["evidence"]["text_value"] == 15
    )


# --- duplicate ----------------------------------------------------------------------------
LONG = (
    "。".join(
        f"第{i}项工作按照要求推进落实并取得阶段性成效编号{chr(0x4E00 + i * 7)}"
        for i in range(30)
    )
    + "。"
)


def test_duplicate_previous_year_and_other_agency(env):
    db, settings, site = env
    a = add_agency(db, site, "西湖区教育局")
    b = add_agency(db, site, "西湖区民政局")
    c = add_agency(db, site, "西湖区卫健委")
    add_report(
        db, a, 2023, sections_text={"一": LONG.replace("2", "3"), "五": "", "六": ""}
    )
    add_report(db, a, 2024, sections_text={"一": LONG, "五": "", "六": ""})
    other = "。".join(
        f"全年围绕中心任务开展第{i}项重点{chr(0x5000 + i * 11)}工作" for i in range(30)
    )
    add_report(db, b, 2024, sections_text={"一": other, "五": "", "六": ""})
    add_report(db, c, 2024, sections_text={"一": other, "五": "", "六": ""})
    check(db, settings, date(2025, 6, 30))
    dups = findings(db, kind="duplicate")
    by = {(f["agency"], f["rule"]) for f in dups}
    assert (
        "西湖区教育局",
        "D1",
    ) in by  # digits folded: the year changed, the text did not
    assert ("西湖区民政局", "D2") in by and ("西湖区卫健委", "D2") in by
    assert ("西湖区教育局", "D2") not in by
    d1 = next(f for f in dups if f["rule"] == "D1")
    assert (
        d1["evidence"]["similarity"] >= 0.9
        and d1["evidence"]["other_report_year"] == 2023
    )
    assert "相似度达 100%" in d1["detail"]


def test_duplicates_found_in_a_child_process_are_the_same(env, monkeypatch):
    """Over a large scope the duplicate check runs in a child process (monitor/stream_process.py):
    lowered threshold here, and the findings must be those of the inline run."""
    import monitor.stream_process as stream_process
    from monitor.context import CheckContext

    test_duplicate_previous_year_and_other_agency(env)
    db, settings, _ = env
    inline = sorted((f["fingerprint"], f["detail"], str(f["evidence"])) for f in findings(db))
    with db.session() as s:
        s.execute(Finding.__table__.delete())
    monkeypatch.setattr(stream_process, "PROCESS_MIN_REPORTS", 1)
    with db.session() as s:
        assert stream_process.worth_a_process(db, CheckContext(s, settings, AS_OF))
    summary = check(db, settings)
    assert summary["reports_checked"] == 4 and summary["by_kind"]["duplicate"] == 3
    assert sorted((f["fingerprint"], f["detail"], str(f["evidence"])) for f in findings(db)) == inline


def test_short_or_different_texts_are_not_duplicates(env):
    db, settings, site = env
    for name in ("西湖区教育局", "西湖区民政局"):
        add_report(
            db,
            add_agency(db, site, name),
            2024,
            sections_text={"一": "无。", "五": "无。", "六": "无。"},
        )
    check(db, settings)
    assert findings(db, kind="duplicate") == []



# The preamble and closing every report prints, nearly word for word.
BOILERPLATE_ONE = (
    "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于印发"
    "〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求，编制本报告。"
    "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
    "存在的主要问题及改进情况、其他需要报告的事项。本报告中所列数据统计期限为2024年1月1日至2024年12月31日。"
    "本报告电子版可在本机关门户网站下载。如对本报告有任何疑问，请与本机关办公室联系（地址：某某路1号；邮编：310000；联系电话：0571-88888888）。"
)


def _two_agencies_report(env, sections_text):
    """Two agencies of the site file 2024 reports with the same sections 一/五/六; then a check."""
    db, settings, site = env
    for name in ("西湖区教育局", "西湖区民政局"):
        add_report(db, add_agency(db, site, name), 2024, sections_text=sections_text)
    check(db, settings)


def test_boilerplate_only_sections_are_not_duplicates(env):
    """Two reports sharing only what every report prints, with 五 and 六 saying "无": too little
    of their own to judge, so no "100 % similar" finding."""
    _two_agencies_report(env, {"一": BOILERPLATE_ONE, "五": "无。", "六": "本机关无其他需要报告的事项。"})
    assert findings(env[0], kind="duplicate") == []


def test_copied_prose_under_boilerplate_is_still_a_duplicate(env):
    _two_agencies_report(env, {"一": BOILERPLATE_ONE + LONG, "五": "无。", "六": "无。"})
    assert {f["agency"] for f in findings(env[0], kind="duplicate")} == {"西湖区教育局", "西湖区民政局"}


def test_similar_enough_agrees_with_similarity():
    """The bound that skips most pairs never hides a similarity at or above the threshold."""
    import random
    from array import array

    from monitor.rules.duplicate import SKETCH_SIZE, similar_enough, similarity

    rnd = random.Random(7)
    pool = list(range(1000))
    for _ in range(2000):
        a = sorted(rnd.sample(pool, rnd.choice((8, 20, 40, SKETCH_SIZE))))
        shared = rnd.sample(a, rnd.randint(0, len(a)))
        b = sorted(set(shared) | set(rnd.sample(pool, rnd.randint(0, SKETCH_SIZE - len(shared)))))
        sa, sb = array("q", a), array("q", b[:SKETCH_SIZE])
        for threshold in (0.3, 0.6, 0.85, 0.9, 1.0):
            sim = similarity(sa, sb)
            assert similar_enough(sa, sb, threshold) == (sim if sim >= threshold else None)

# --- crawl health -------------------------------------------------------------------------
def test_crawl_blocked_from_latest_run(env):
    db, settings, site = env
    run = add_crawl(
        db, site, china(date(2025, 6, 1)), "https://xihu.gov.cn/col/nb/index.html", []
    )
    with db.session() as s:
        s.add(
            CrawlError(
                crawl_run_id=run,
                site_id=site,
                url="https://xihu.gov.cn/col/nb/index_2.html",
                kind="blocked",
                detail="WAF challenge",
                at=china(date(2025, 6, 1)),
            )
        )
    check(db, settings)
    [f] = findings(db, kind="crawl_blocked")
    assert f["site"] == site and "被拦截" in f["detail"]
    add_crawl(
        db, site, china(date(2025, 6, 2)), "https://xihu.gov.cn/col/nb/index.html", []
    )
    check(db, settings)
    assert findings(db, kind="crawl_blocked")[0]["status"] == "resolved"
