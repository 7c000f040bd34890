"""Agency, year and kind of report openings as portals print them: page chrome around the title,
no title at all, the agency only in the body. Each case is one family of real pages (see
tests/real for the documents they come from); the texts here are other members of the family."""

from __future__ import annotations

import pytest

from parser import parse_document

BODY = (
    "一、总体情况\n2023年,我局认真贯彻落实《中华人民共和国政府信息公开条例》。\n二、主动公开政府信息情况\n"
    "三、收到和处理政府信息公开申请情况\n"
)


def parsed(text: str, media_type: str = "text/plain"):
    return parse_document(text.encode("utf-8"), media_type)


@pytest.mark.parametrize(
    "head, agency",
    [
        # breadcrumbs of every form before the title
        ("当前位置:网站首页->政务公开->政府信息公开年报->正文\n某县水利局2023年政府信息公开工作年度报告", "某县水利局"),
        ("首页/政府信息公开/政府信息公开年报/镇街/2023年/正文\n某某镇2023年度政府信息公开年报", "某某镇"),
        ("首页 > 政务公开 > 某某区人民政府办公室 > 政府信息公开年报\n某某区人民政府办公室2023年政府信息公开工作年度报告", "某某区人民政府办公室"),
        # a site banner right above the title
        ("中国政府网 某某省政府 某某市政府\n当前位置:首页 > 公开年报\n某县审计局2023年政府信息公开工作年度报告", "某县审计局"),
        # a flip-book page label, a 标题 label without its colon
        ("Page 3 - 某市某区信访局2023年政府信息公开工作年度报告", "某市某区信访局"),
        ("标      题 某自治区政府国资委2023年度信息公开工作报告", "某自治区政府国资委"),
        # a metadata label cut at its bracket, under a breadcrumb title
        ("首页 >政府信息公开 > 某市人民政府(办公室)政府信息公开 > 年报\n发布机构: 某市人民政府(办公室) 生成日期: 2024-03-08", "某市人民政府"),
        # a cover letter: the body sending the report is its agency
        ("某省生态环境厅关于报送2023年政府信息公开工作年度报告的函", "某省生态环境厅"),
        # the subject words between the agency and the year
        ("某某县政府信息公开工作2023年度报告", "某某县"),
        # the agency alone on the line above a title without one
        ("某区民族和宗教事务局\n2023年政府信息公开工作年度报告", "某区民族和宗教事务局"),
        ("2023年政府信息公开工作年度报告\n某县某某镇人民政府\n2023年政府信息公开工作年度报告", "某县某某镇人民政府"),
    ],
)
def test_agency_of_a_titled_page(head: str, agency: str) -> None:
    got = parsed(head + "\n" + BODY)
    assert (got.kind, got.agency, got.report_year) == ("report", agency, 2023)


@pytest.mark.parametrize(
    "opening, agency",
    [
        ("根据《中华人民共和国政府信息公开条例》规定,现公布某市教育局2023年政府信息公开工作年度报告。", "某市教育局"),
        ("按照《条例》要求,特编制并向社会公布《某某镇2023年政府信息公开工作年度报告》。", "某某镇"),
        ("根据《条例》有关规定,现向社会公布2023年某某乡信息公开工作年度报告。", "某某乡"),
        ("本报告根据《中华人民共和国政府信息公开条例》要求,由某某经济技术开发区管理委员会(以下简称开发区管委会)编制。", "某某经济技术开发区管理委员会"),
        ("本报告依据《中华人民共和国政府信息公开条例》要求,结合某某高新区管委会政府信息公开工作有关统计数据撰写。", "某某高新区管委会"),
        ("依据《中华人民共和国政府信息公开条例》第五十条规定,编制本报告。\n一、总体情况\n2023年,某某区城市管理委员会深入贯彻《条例》要求。", "某某区城市管理委员会"),
        ("本报告是根据《中华人民共和国政府信息公开条例》要求,由某某镇人民政府党政办公室编制。", "某某镇人民政府"),
        # the contact for questions, a body's own office standing for the body
        ("本报告所列数据统计期限为2023年1月1日至12月31日。如有疑问请与某县政务服务和大数据管理局(地址:某县某路1号)联系。", "某县政务服务和大数据管理局"),
        ("本报告根据《中华人民共和国政府信息公开条例》要求编制。如对本报告有疑问,请与某市投资促进中心办公室联系。", "某市投资促进中心"),
        # a short name from a label, its full form in the opening sentence
        ("发布机构 市文化旅游局\n根据《条例》规定,现公布某某市文化旅游局2023年政府信息公开工作年度报告。", "某某市文化旅游局"),
    ],
)
def test_agency_named_only_in_the_opening(opening: str, agency: str) -> None:
    got = parsed(opening + "\n" + BODY)
    assert (got.kind, got.agency, got.report_year) == ("report", agency, 2023)


@pytest.mark.parametrize(
    "opening",
    [
        "为切实做好2023年政府信息公开工作,更好发挥年度报告的作用,现将全年政府信息公开工作情况报告如下:",
        "(一)主动公开。2023年共公开信息年报1条。",
        "根据《中华人民共和国政府信息公开条例》和《某某县人民政府办公室关于2023年度政府信息公开工作年度报告编制工作的通知》要求,现将2023年度政府信息公开工作情况报告如下:",
        "依据《中华人民共和国政府信息公开条例》,编制本报告。\n一、总体情况\n2023年,区科信局以习近平新时代中国特色社会主义思想为指导。",
        "根据《中华人民共和国政府信息公开条例》,编制本报告。如对本报告有任何疑问,请与党政综合办联系。",
    ],
)
def test_no_agency_rather_than_garbage(opening: str) -> None:
    """Body text, another document's issuer and a name without its place are not the agency."""
    got = parsed(opening + "\n" + BODY)
    assert got.kind == "report"
    assert got.agency is None
    assert got.report_year == 2023


@pytest.mark.parametrize(
    "opening, year",
    [
        ("本报告所列数据的统计期限为２０２２年１月１日至２０２２年１２月３１日。", 2022),
        ("本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。", 2022),
        ("本报告中所列数据统计期限为二〇二二年一月一日至十二月三十一日。", 2022),
        ("根据《中华人民共和国政府信息公开条例》,现将2022年度政府信息公开工作情况报告如下:", 2022),
        ("本报告是根据《中华人民共和国政府信息公开条例》要求,汇报我镇2022年政府信息公开工作。", 2022),
    ],
)
def test_year_of_an_opening_without_title(opening: str, year: int) -> None:
    got = parsed(opening + "\n一、总体情况\n全年主动公开信息20条。\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n")
    assert (got.kind, got.report_year) == ("report", year)


def test_opening_with_the_national_tables_only_is_a_report() -> None:
    text = (
        "一、总体情况\n2021年,我乡明确专人负责政务公开工作。\n二、主动公开政府信息情况\n第二十条第(一)项\n信息内容\n"
        "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量\n二、上年结转政府信息公开申请数量\n"
    )
    got = parsed(text)
    assert (got.kind, got.report_year, got.agency) == ("report", 2021, None)


def test_the_national_format_notice_is_not_a_report() -> None:
    text = (
        "国务院办公厅政府信息与政务公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知\n"
        "根据《中华人民共和国政府信息公开条例》第五十条的规定,现将修订后的年度报告格式印发给你们。\n"
        "一、总体情况\n二、主动公开政府信息情况\n第二十条第(一)项\n本年新收政府信息公开申请数量\n上年结转政府信息公开申请数量\n"
    )
    assert parsed(text).kind != "report"


def test_html_metas_name_the_agency() -> None:
    html = (
        '<html><head><meta name="ArticleTitle" content="2023年政府信息公开工作年度报告">'
        '<meta name="ContentSource" content="某某县农业农村局"><meta name="SiteName" content="某某县人民政府">'
        "</head><body><div>一、总体情况</div><div>2023年,我局认真贯彻落实《条例》。</div>"
        "<div>二、主动公开政府信息情况</div></body></html>"
    )
    got = parsed(html, "text/html")
    assert (got.kind, got.agency, got.report_year) == ("report", "某某县农业农村局", 2023)
