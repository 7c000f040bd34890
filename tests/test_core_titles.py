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
