"""The one title/year reader (core.titles), with titles as real portals print them.

Titles marked with a URL are copied from the stored public pages of the search corpus (the page
they come from is named beside them); the others follow the same patterns with made-up bodies.
"""

from __future__ import annotations

import pytest

from core.titles import is_report_title, is_truncated, negative_evidence, normalize_title, report_year
from crawler.discovery import ListEntry, classify_entry, classify_title, wanted
from parser import fields


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("洪雅县教育和体育局2023年政府信息公开工作年度报告", 2023),
        ("２０２４年政府信息公开工作年度报告", 2024),  # full-width digits
        ("XX镇二〇二三年度政府信息公开年报", 2023),
        ("某乡二零二三年政府信息公开工作年度报告", 2023),
        ("某局二○二一年度政府信息公开工作年度报告", 2021),
        ("某局两千零二十三年政府信息公开工作年度报告", 2023),
        # http://m.sdzhian.com/art/2023/1/31/art_5804_4344662.html (a traditional-character mirror)
        ("江西省農業農村廳2022年政府信息公開工作年度報告", 2022),
        # http://www.jyhqs.com/zwgk/xxgk_424/xxgknb/2023nb/202403/t20240331_409959.html
        ("西藏自治區人民政府\u30002023年政府信息公開工作年度報告", 2023),
        # https://doc.chddh.cn/archives/73rxnk2jxrmrnlep6ym4.html: spaces inside the words
        ("乌拉特中旗巴音乌兰苏木 2021 年政府信息 公开工作年度报告", 2021),
        # http://gat.bjtchw.com/…/20200120/i427054.html
        ("衡阳市国资委 2019年度政府信息公开年度报告", 2019),
        # http://www.xizang.gov.cn/zwgk/xxgk_424/xxgknb/2023nb/202401/t20240129_401305.html
        ("西藏自治区政府国资委2023年度信息公开工作报告", 2023),
        ("2020年開平市農業農村局政府信息公開工作年度報告", 2020),
        # A publication date after the subject, or before it, is not the year reported on.
        ("XX局2023年政府信息公开工作年度报告（2024年1月15日）", 2023),
        ("2024年1月 XX局2023年政府信息公开工作年度报告", 2023),
        ("XX局2023政府信息公开工作年度报告", 2023),
        ("XX县2023年政府信息公开工作年…", 2023),  # cut short: the year is still there
        ("政府資訊公開工作年度報告", None),  # the year is only in the page body
        ("1998年政府信息公开工作年度报告", None),  # implausible: before any report existed
    ],
)
def test_the_year_reported_on_is_read_in_every_spelling(title: str, year: int | None) -> None:
    assert report_year(title) == year
    assert fields.year_from_title(title) == year  # the parser reads it the same way


def test_a_year_after_this_one_is_implausible() -> None:
    assert report_year("2031年政府信息公开工作年度报告", latest=2026) is None
    assert report_year("2025年政府信息公开工作年度报告", latest=2026) == 2025


def test_titles_are_normalised_for_matching() -> None:
    assert normalize_title("政府資訊公開工作年度報告") == "政府信息公开工作年度报告"
    assert normalize_title("奉新縣人民政府辦公室２０２２年\u3000年報") == "奉新县人民政府办公室2022年 年报"
    assert normalize_title("  某鄉鎮\xa0\xa0處理條例  ") == "某乡镇 处理条例"


@pytest.mark.parametrize(
    "title",
    [
        "洪雅县教育和体育局2023年政府信息公开工作年度报告",
        "江西省農業農村廳2022年政府信息公開工作年度報告",
        "政府資訊公開工作年度報告",
        "菜子镇2022年政府信息公开年度报告",
        "西藏自治区政府国资委2023年度信息公开工作报告",
        "某县2023年年報",
        "中共某县委机构编制委员会办公室2023年政府信息公开工作年度报告",  # 编制 in an agency's name
        "某市职业技能培训中心2023年政府信息公开工作年度报告",
        # http://gdee.gd.gov.cn/shbtwj/content/post_3184945.html: the report sent up with a cover letter
        "广东省生态环境厅关于报送2020年政府信息公开工作年度报告的函",
    ],
)
def test_report_titles_are_recognised_and_carry_no_negative_evidence(title: str) -> None:
    assert is_report_title(title)
    assert negative_evidence(title) is None


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        # http://www.lixia.gov.cn/gongkai/…/doc_641d4d4d749a4723fdc77fb7.html
        ("文字解读:济南市历下区大明湖街道办事处2022年政府信息公开工作年度报告", "interpretation"),
        ("图解：北京市朝阳区民政局2023年政府信息公开工作年度报告", "interpretation"),
        ("一图读懂永嘉县发展和改革局2023年政府信息公开工作年度报告", "interpretation"),
        ("《永嘉县民政局2022年政府信息公开工作年度报告》解读", "interpretation"),
        ("XX县2024年政务公开工作要点", "work_plan"),
        # http://www.chnzj.gov.cn/chnzj/c133076/202204/c7190af08a8e4fc49bf5450b10396b52.shtml
        ("怀化市政务公开政务服务领导小组办公室关于认真做好2021年政府信息公开工作年度报告编制发布工作的通知", "compiling_notice"),
        ("张家川县人民政府办公室关于报送政府信息公开工作年度报告的通知", "submission_notice"),
        ("关于做好2022年度政府信息公开工作年度报告报送工作的通知", "submission_notice"),
        ("关于部署2023年政府信息公开工作年度报告发布工作的通知", "compiling_notice"),
        # http://zrzy.smx.gov.cn/16903/616589856/1288675.html
        ("国务院办公厅政府信息与政务公开办公室 关于印发《中华人民共和国政府信息公开工作 年度报告格式》的通知", "national_format"),
        ("转发国办公开办函〔2021〕30号的通知", "national_format"),
        ("关于2022年度政府信息公开工作年度报告检查情况的通报", "review_notice"),
        ("政府資訊公開工作年度報告解讀", "interpretation"),  # traditional: 解讀 → 解读
        ("关于召开2023年度政府信息公开工作年度报告审核会议的通知", "meeting"),
        ("转发市政府办公室关于政府信息公开工作年度报告有关要求的通知", "notice"),
        ("关于2023年度政府信息公开工作年度报告发布情况的公示", "notice"),
        ("关于政府信息公开工作年度报告有关事项的通知", "notice"),
    ],
)
def test_pages_about_reports_carry_negative_evidence(title: str, reason: str) -> None:
    assert negative_evidence(title) == reason


@pytest.mark.parametrize(
    "title",
    [
        # http://hbiia.org.cn/news/2021022612487.html: news about a report; the parser must judge the page
        "2020年政府信息公开工作年度报告发布 贵州公开政策文件236件",
        "关于印发XX县2019年政府信息公开工作年度报告的通知",  # publishes one named report
        "某县人民政府关于公布2023年政府信息公开工作年度报告的公告",
    ],
)
def test_ambiguous_titles_carry_no_negative_evidence(title: str) -> None:
    assert negative_evidence(title) is None


def test_truncated_titles_are_recognised() -> None:
    assert is_truncated("洪雅县统计局2023年政府信息公开工作年…")
    assert is_truncated("洪雅县统计局2023年政府信息公开...")
    assert not is_truncated("洪雅县统计局2023年政府信息公开工作年度报告")


# Recall first: which list entries the crawler fetches ---------------------------------------------
ARTICLE = "http://www.example.gov.cn/zfxxgk/nb/202401/t20240118_123.html"


@pytest.mark.parametrize(
    ("entry", "kind", "fetched"),
    [
        (ListEntry(ARTICLE, "洪雅县统计局2023年政府信息公开工作年度报告"), "report", True),
        (ListEntry(ARTICLE, "洪雅县统计局2023年政府信息公开工作年…"), "candidate", True),  # cut short
        (ListEntry(ARTICLE, "洪雅县水务局政府信息公开工作年度报告"), "candidate", True),  # no year
        (ListEntry(ARTICLE, "江西省農業農村廳2022年政府信息公開工作年度報告"), "report", True),
        (ListEntry(ARTICLE, "我县扎实推进基层政务公开标准化规范化建设"), "candidate", True),  # the parser decides
        (ListEntry("http://www.example.gov.cn/nb/P020240118.ofd", "附件"), "candidate", True),  # a file
        (ListEntry("http://www.example.gov.cn/xxgk/a.html", "某局公开年报", "2024-01-18"), "candidate", True),  # dated row
        (ListEntry(ARTICLE, "《洪雅县统计局2023年政府信息公开工作年度报告》解读"), "excluded", False),
        (ListEntry(ARTICLE, "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"), "excluded", False),
        (ListEntry("http://www.example.gov.cn/index.html", "首页"), "other", False),
        (ListEntry("http://www.example.gov.cn/zwgk/index.html", "政务公开"), "other", False),
        (ListEntry("http://www.example.gov.cn/nb/2.htm", "下页"), "other", False),
        (ListEntry(ARTICLE, ""), "other", False),  # a thumbnail: the titled link beside it is the entry
        (ListEntry("http://www.example.gov.cn/nb/2023/index.html", "2023年"), "subcolumn", True),
    ],
)
def test_inside_a_column_every_article_is_a_candidate_unless_clearly_not_a_report(entry: ListEntry, kind: str, fetched: bool) -> None:
    assert classify_entry(entry) == kind
    if kind not in ("other",):
        assert wanted(entry) is fetched


def test_year_restricted_recrawls_skip_other_years_but_fetch_titles_without_one() -> None:
    assert wanted(ListEntry(ARTICLE, "某局2022年政府信息公开工作年度报告"), 2023) is False
    assert wanted(ListEntry(ARTICLE, "某局2023年政府信息公开工作年度报告"), 2023) is True
    assert wanted(ListEntry(ARTICLE, "某局政府信息公开工作年度报告"), 2023) is True


def test_classify_title_reads_traditional_and_full_width_titles() -> None:
    assert classify_title("政府資訊公開工作年度報告２０２３年") == "report"
    assert classify_title("２０２３年") == "subcolumn"


# What the crawler now fetches, the parser must still judge -------------------------------------
@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("关于召开2023年度政府信息公开工作年度报告审核会议的通知", "各乡镇、各部门：现将2023年度政府信息公开工作年度报告审核会议有关事项通知如下。一、会议时间：2024年1月10日。"),
        ("转发市政府办公室关于做好年度报告工作的通知", "各单位：现将2023年度政府信息公开工作年度报告有关要求转发给你们。"),
        ("关于2023年度政府信息公开工作年度报告发布情况的公示", "现将我县各单位2023年度政府信息公开工作年度报告发布情况公示如下：县财政局已发布；县民政局已发布。"),
        ("我县扎实推进基层政务公开标准化规范化建设", "今年以来，我县梳理公开事项清单，2023年政府信息公开工作年度报告按时发布。"),
        ("2020年政府信息公开工作年度报告发布 贵州公开政策文件236件", "日前，贵州省人民政府发布2020年政府信息公开工作年度报告。报告显示，全年公开政策文件236件。"),
    ],
)
def test_pages_about_reports_that_are_fetched_now_are_not_filed_as_reports(title: str, body: str) -> None:
    from parser import parse_document

    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div id='zoom'><p>{body}</p></div></body></html>"
    parsed = parse_document(page.encode(), "text/html", url="http://www.example.gov.cn/zwgk/202401/t20240105_1.html")
    assert parsed.kind == "other" and parsed.parse_status == "not_report"


# Variants found by the recall audit (issue 10) ---------------------------------------------------
@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("某县貳零貳叁年政府資訊公開工作年度報告", 2023),  # capital numerals on a traditional page
        ("某县贰零贰叁年度政府信息公开年报", 2023),
        ("某县贰仟零贰拾叁年政府信息公开年报", 2023),
        ("某县二0二三年度政府信息公开工作年度报告", 2023),  # an ASCII zero among Chinese numerals
        ("某县２０23年政府信息公开工作年度报告", 2023),  # full-width and ASCII digits mixed
        ("某县 2023 年度 政府信息公开工作年度报告", 2023),
        ("某县(2023)政府信息公开工作年度报告", 2023),  # the year alone in brackets
        ("某县政府信息公开工作年度报告（2023）", 2023),
        ("【2023年】某县政府信息公开工作年度报告", 2023),
        ("某县政府信息公开工作年度报告【2022】", 2022),
        ("关于印发某县工作计划的通知(某政办发[2023]12号)", None),  # a document number, not a year
        ("某政发(2023)5号", None),
    ],
)
def test_years_in_capital_numerals_mixed_digits_and_brackets_are_read(title: str, year: int | None) -> None:
    assert report_year(title, latest=2026) == year
    assert fields.year_from_title(title) == year


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        # Traditional forms of the words of the negative evidence (答記者問, 吹風, 培訓, 簡報, 紀要).
        ("某縣2023年政府資訊公開工作年度報告答記者問", "interpretation"),
        ("某縣2023年政府資訊公開工作年度報告政策吹風會", "interpretation"),
        ("關於2023年度政府資訊公開工作年度報告培訓班的通知", "compiling_notice"),
        ("關於2023年度政府資訊公開工作年度報告的簡報", "notice"),
        ("關於做好2023年度政府資訊公開工作年度報告編製和發佈工作的通知", "compiling_notice"),
        ("2023年政府信息公开工作年度报告解读", "interpretation"),
        ("【图解】某县2023年政府信息公开工作年度报告", "interpretation"),
        ("一图看懂｜某县2023年政府信息公开工作年度报告", "interpretation"),
        ("某县2023年度政府信息公开工作年度报告视频解读", "interpretation"),
        # A word of the evidence at the start, or after the name: still evidence.
        ("视频：某县审计局2023年政府信息公开工作年度报告", "interpretation"),
        ("某县召开会议部署2023年度年报工作", "compiling_notice"),
    ],
)
def test_negative_evidence_in_traditional_and_other_forms(title: str, reason: str) -> None:
    assert negative_evidence(title) == reason
    assert classify_title(title) == "excluded"


@pytest.mark.parametrize(
    "title",
    [
        # Bodies whose names hold a word of the negative evidence publish reports of their own.
        "某县会议中心2023年政府信息公开工作年度报告",
        "某县视频监控中心2023年政府信息公开工作年度报告",
        "某县干部培训中心2022年度政府信息公开年报",
        # Corrections and attachments of a report are the report.
        "某县2023年度政府信息公开工作年度报告（更正版）",
        "某县2023年政府信息公开工作年报(附件)",
        "某县二〇二三年度政府信息公开工作年度报告（修订）",
    ],
)
def test_report_titles_whose_words_only_look_negative_are_followed(title: str) -> None:
    assert negative_evidence(title) is None
    assert wanted(ListEntry(ARTICLE, title))
    assert classify_title(title) == "report"


def test_a_title_cut_short_before_its_subject_is_fetched_and_the_body_gives_the_year() -> None:
    from parser import parse_document

    entry = ListEntry(ARTICLE, "关于2023年政府信息公开…")
    assert classify_entry(entry) == "candidate" and wanted(entry)
    # The year only in the body, in Chinese numerals, under a title without one.
    title = "某县人民政府办公室政府信息公开工作年度报告"
    body = "本报告中所列数据的统计期限自二〇二三年一月一日起至二〇二三年十二月三十一日止。"
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div id='zoom'><p>{body}</p></div></body></html>"
    parsed = parse_document(page.encode(), "text/html", url=ARTICLE)
    assert (parsed.kind, parsed.report_year) == ("report", 2023)


def test_a_traditional_page_with_the_year_only_in_its_period_sentence_is_a_report() -> None:
    from parser import parse_document

    title = "政府資訊公開工作年度報告"
    body = "本報告由某縣人民政府辦公室根據《中華人民共和國政府資訊公開條例》編製。本報告中所列數據的統計期限自2023年1月1日起至2023年12月31日止。"
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div id='zoom'><p>{body}</p></div></body></html>"
    parsed = parse_document(page.encode(), "text/html", url=ARTICLE)
    assert (parsed.kind, parsed.report_year) == ("report", 2023)
