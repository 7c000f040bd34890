"""HTML versions of the seed reports, as the portals publish them, must give exactly the seed's
golden cells: TRS pages with real rowspan/colspan tables, Word-exported HTML, GBK pages,
statistics tables split in two by a page break, Hanweb pages with a metadata table, VSB pages
with a flattened table, text in ``<pre>``. Plus pages that are not reports, and date evidence.

The pages are built here from the seed texts (paragraphs) and the golden cells (tables).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.keys import APPEAL_ROWS, REQUEST_COLUMNS, rows_for
from parser import decode_text, parse_document
from tests.test_parser_seeds import (
    STEMS,
    assert_matches_golden,
    load_golden,
    seed_bytes,
)

Cells = dict[str, dict[str, dict[str, Any]]]

# --- Building pages ----------------------------------------------------------------------------
_HEADING = re.compile(r"^[#\s]*\**\s*([一二三四五六])、")
_MD = re.compile(r"</?b>|\*\*|^#+\s*")


def seed_parts(stem: str) -> tuple[list[str], dict[str, list[str]]]:
    """(opening lines, {numeral: lines}) of a seed, its tables dropped (they are rebuilt)."""
    text = seed_bytes(stem).decode("utf-8")
    head: list[str] = []
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _HEADING.match(line) if "\t" not in line else None
        if m and len(line) < 60:
            current = m.group(1)
            sections[current] = [_MD.sub("", line).strip()]
            continue
        if current in ("二", "三", "四") or "\t" in line:
            continue  # table content
        clean = _MD.sub("", line).strip()
        (sections[current] if current else head).append(clean)
    return head, sections


def cell_text(golden: dict[str, Any], section: str, row: str, col: str) -> str:
    raw = golden["raw"].get(f"{section}/{row}/{col}")
    if raw is not None:
        return raw
    value = golden["cells"][section][row][col]
    return "" if value is None else str(value)


Td = Callable[[str, int, int, bool], str]  # (text, rowspan, colspan, is_number) → <td>


def trs_td(text: str, rowspan: int = 1, colspan: int = 1, number: bool = False) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    inner = f"<b>{text}</b>" if number and text else f'<span style="font-size:14px">{html.escape(text)}</span>'
    return f"<td{attrs}>{inner}</td>"


def word_td(text: str, rowspan: int = 1, colspan: int = 1, number: bool = False) -> str:
    attrs = (f" rowspan={rowspan}" if rowspan > 1 else "") + (f" colspan={colspan}" if colspan > 1 else "")
    if not text:
        runs = "<span lang=EN-US style='font-size:10.5pt'>&nbsp;<o:p></o:p></span>"
    elif number:
        runs = f"<span lang=EN-US style='font-size:10.5pt;font-family:\"Times New Roman\"'>{text}<o:p></o:p></span>"
    else:
        half = max(1, len(text) // 2)  # Word splits labels into several runs, sometimes with a line break
        runs = (
            f"<span style='font-size:10.5pt;font-family:仿宋_GB2312'>{html.escape(text[:half])}</span>"
            f"<span style='font-size:10.5pt;font-family:仿宋_GB2312'>{html.escape(text[half:])}</span>"
        )
    return (
        f"<td width=64 valign=center style='width:48.0pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'{attrs}>"
        f"<p class=MsoNormal align=center style='text-align:center;line-height:15.0pt'>{runs}</p></td>"
    )


def active_rows(golden: dict[str, Any], td: Td) -> list[str]:
    fmt = golden["format"]
    c = golden["cells"]["active"]
    v: Callable[[str, str], str] = lambda r, col: cell_text(golden, "active", r, col)  # noqa: E731
    out: list[str] = []

    def block(article: str, header: list[str], rows: list[tuple[str, str, list[str]]]) -> None:
        out.append("<tr>" + td(article, 1, 4, False) + "</tr>")
        cols = [td("信息内容", 1, 1, False)] + [td(h, 1, 1, False) for h in header]
        if len(header) < 3:
            cols[-1] = td(header[-1], 1, 4 - len(header), False)
        out.append("<tr>" + "".join(cols) + "</tr>")
        for label, key, columns in rows:
            tds = [td(label, 1, 1, False)] + [td(v(key, col), 1, 1, True) for col in columns]
            if len(columns) < 3:
                tds[-1] = td(v(key, columns[-1]), 1, 4 - len(columns), True)
            out.append("<tr>" + "".join(tds) + "</tr>")

    if fmt == "2021-30":
        three = ["issued", "repealed", "in_force"]
        block(
            "第二十条第（一）项",
            ["本年制发件数", "本年废止件数", "现行有效件数"],
            [("规章", "regulations", three), ("行政规范性文件", "normative_documents", three)],
        )
        block("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "licensing", ["decisions"])])
        block(
            "第二十条第（六）项",
            ["本年处理决定数量"],
            [("行政处罚", "penalty", ["decisions"]), ("行政强制", "coercion", ["decisions"])],
        )
        block("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", "fees", ["amount_10k_yuan"])])
    else:
        made = ["made", "published", "total_published"]
        items = ["previous_items", "change", "decisions"]
        block(
            "第二十条第（一）项",
            ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
            [("规章", "regulations", made), ("规范性文件", "normative_documents", made)],
        )
        block(
            "第二十条第（五）项",
            ["上一年项目数量", "本年增/减", "处理决定数量"],
            [("行政许可", "licensing", items), ("其他对外管理服务事项", "other_services", items)],
        )
        block(
            "第二十条第（六）项",
            ["上一年项目数量", "本年增/减", "处理决定数量"],
            [("行政处罚", "penalty", items), ("行政强制", "coercion", items)],
        )
        block(
            "第二十条第（八）项",
            ["上一年项目数量", "本年增/减"],
            [("行政事业性收费", "fees", ["previous_items", "change"])],
        )
        block(
            "第二十条第（九）项",
            ["采购项目数量", "采购总金额"],
            [("政府集中采购", "procurement", ["items", "amount_yuan"])],
        )
    assert c  # every golden has section 二
    return out


_GROUPS = {
    "withheld": "（三）不予公开",
    "unable": "（四）无法提供",
    "declined": "（五）不予处理",
    "other": "（六）其他处理",
}


def _item_label(spec_label: str) -> str:
    return spec_label.split(" ", 1)[1] if " " in spec_label else spec_label


def request_rows(golden: dict[str, Any], td: Td) -> list[str]:
    """Section 三 as the official form lays it out, one ``<tr>`` per string."""
    specs = rows_for("requests", golden["format"])
    values = lambda key: "".join(td(cell_text(golden, "requests", key, c), 1, 1, True) for c in REQUEST_COLUMNS)  # noqa: E731
    out = [
        "<tr>"
        + td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3, False)
        + td("申请人情况", 1, 7, False)
        + "</tr>",
        "<tr>" + td("自然人", 2, 1, False) + td("法人或其他组织", 1, 5, False) + td("总计", 2, 1, False) + "</tr>",
        "<tr>"
        + "".join(td(x, 1, 1, False) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"))
        + "</tr>",
    ]
    result_specs = [s for s in specs if s.key not in ("new", "carried_in", "carried_out")]
    seen_groups: set[str] = set()
    for spec in specs:
        tr = ""
        if spec.key in ("new", "carried_in", "carried_out"):
            tr = td(spec.label, 1, 3, False)
        else:
            if spec is result_specs[0]:
                tr += td("三、本年度办理结果", len(result_specs), 1, False)
            group = spec.key.split(".")[0] if "." in spec.key else None
            if group:
                if group not in seen_groups:
                    seen_groups.add(group)
                    size = sum(1 for s in specs if s.key.startswith(group + "."))
                    tr += td(_GROUPS[group], size, 1, False)
                tr += td(_item_label(spec.label), 1, 1, False)
            else:
                tr += td(spec.label, 1, 2, False)
        out.append("<tr>" + tr + values(spec.key) + "</tr>")
    return out


def appeal_rows(golden: dict[str, Any], td: Td) -> list[str]:
    heads = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    return [
        "<tr>" + td("行政复议", 1, 5, False) + td("行政诉讼", 1, 10, False) + "</tr>",
        "<tr>"
        + "".join(td(h, 2, 1, False) for h in heads)
        + td("未经复议直接起诉", 1, 5, False)
        + td("复议后起诉", 1, 5, False)
        + "</tr>",
        "<tr>" + "".join(td(h, 1, 1, False) for h in heads * 2) + "</tr>",
        "<tr>"
        + "".join(td(cell_text(golden, "appeals", r.key, c), 1, 1, True) for r in APPEAL_ROWS for c in r.columns)
        + "</tr>",
    ]


def table(rows: list[str], word: bool = False) -> str:
    if word:
        return (
            "<table class=MsoNormalTable border=0 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>"
            + "".join(rows)
            + "</table>"
        )
    return '<table border="1" cellspacing="0" style="width:100%">' + "".join(rows) + "</table>"


def para(text: str, word: bool = False) -> str:
    if word:
        return (
            f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'><span style='font-size:16.0pt;"
            f"font-family:仿宋_GB2312'>{html.escape(text)}<span lang=EN-US>&nbsp;&nbsp;</span></span></p>"
        )
    return f"<p>{html.escape(text)}</p>"


def heading(text: str, word: bool) -> str:
    if word:  # the numeral and the words in separate runs, as Word exports them
        return (
            f"<p class=MsoNormal style='text-indent:32.0pt'><b><span style='font-family:黑体'>{html.escape(text[:2])}</span></b>"
            f"<b><span style='font-family:黑体'>{html.escape(text[2:])}<span lang=EN-US><o:p></o:p></span></span></b></p>"
        )
    return f"<p><strong>{html.escape(text)}</strong></p>"


def body_html(
    stem: str,
    *,
    word: bool = False,
    split: bool = False,
    skip_head: int = 0,
    td: Td | None = None,
    heading_in_table: bool = False,
) -> str:
    """The report body: seed paragraphs, headings, and rebuilt statistics tables."""
    golden = load_golden(stem)
    td = td or (word_td if word else trs_td)
    head, sections = seed_parts(stem)
    parts = [para(line, word) for line in head[skip_head:]]
    for numeral in ("一", "二", "三", "四", "五", "六"):
        lines = sections.get(numeral, [])
        if lines and not (heading_in_table and numeral in "二三四"):
            parts.append(heading(lines[0], word))
        if numeral == "三" and heading_in_table:
            rows = request_rows(golden, td)
            parts.append(table([f"<tr>{td(lines[0], 1, 10, False)}</tr>", *rows], word))
        elif numeral in "二四" and heading_in_table:
            rows = active_rows(golden, td) if numeral == "二" else appeal_rows(golden, td)
            parts.append(table([f"<tr>{td(lines[0], 1, 15 if numeral == '四' else 4, False)}</tr>", *rows], word))
        elif numeral == "二":
            rows = active_rows(golden, td)
            if split:
                parts += [
                    table(rows[:7], word),
                    '<p style="page-break-before:always">&nbsp;</p>',
                    table(rows[7:], word),
                ]
            else:
                parts.append(table(rows, word))
        elif numeral == "三":
            rows = request_rows(golden, td)
            if split:
                # Split inside group （三）: the second table has no header and no group cell.
                cut = 3 + 8
                second = [re.sub(r"^<tr><td[^>]*>.*?（三）不予公开.*?</td>", "<tr>", r) for r in rows[cut:]]
                parts += [
                    table(rows[:cut], word),
                    '<p style="page-break-before:always">&nbsp;</p>',
                    table(second, word),
                ]
            else:
                parts.append(table(rows, word))
        elif numeral == "四":
            parts.append(table(appeal_rows(golden, td), word))
        else:
            parts += [para(line, word) for line in lines[1:]]
    return "\n".join(parts)


def title_of(stem: str) -> str:
    golden = load_golden(stem)
    return f"{golden['agency']}{golden['report_year']}年政府信息公开工作年度报告"


def trs_page(stem: str, *, split: bool = False, heading_in_table: bool = False) -> str:
    title = title_of(stem)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta name="SiteName" content="某县人民政府"><meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2022-01-20 17:12">
<meta name="ContentSource" content="">
<title>{title}_某县人民政府</title>
<script>var countPage = 1; createPageHTML(1, 0, "index", "html");</script>
<style>.TRS_Editor p {{ line-height: 2; }}</style></head>
<body><div class="nav">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>
<div class="article"><h1 class="title">{title}</h1><div class="info">发布时间：2022-01-20 17:12 浏览次数：<span id="c">12</span></div>
<div class="trs_editor_view TRS_UEDITOR trs_paper_default"><div class="TRS_Editor">{body_html(stem, split=split, heading_in_table=heading_in_table)}</div></div>
</div><div class="footer">版权所有：某县人民政府 网站标识码：6404250001</div></body></html>"""


def word_page(stem: str, charset: str = "utf-8", meta: str = "http-equiv") -> str:
    title = title_of(stem)
    return f"""<HTML><HEAD>
<META {meta}="Content-Type" content="text/html; charset={charset}">
<TITLE>{title}</TITLE></HEAD>
<BODY lang=ZH-CN style='text-justify-trim:punctuation'>
<div class="Section1"><div id="zoom">
<p class=MsoNormal align=center style='text-align:center'><![if !supportLists]><span lang=EN-US>&nbsp;</span><![endif]></p>
{body_html(stem, word=True)}
<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>
</div></div></BODY></HTML>"""


# --- Same cells as the golden, in every markup -------------------------------------------------
def _check(page: str | bytes, stem: str, media_type: str = "text/html", url: str | None = None) -> Any:
    data = page.encode("utf-8") if isinstance(page, str) else page
    parsed = parse_document(data, media_type, url=url)
    assert_matches_golden(parsed, load_golden(stem), warnings=False)
    assert parsed.warnings == [] and parsed.problems == []
    assert parsed.sections_present == ["一", "二", "三", "四", "五", "六"]
    return parsed


@pytest.mark.parametrize("stem", STEMS)
def test_trs_page_with_spanned_tables(stem: str) -> None:
    parsed = _check(trs_page(stem), stem, url="http://www.example.gov.cn/zfxxgk/zfxxgknb/202201/t20220120_123.html")
    assert parsed.title == title_of(stem)
    assert parsed.published_on == date(2022, 1, 20) and parsed.published_source == "page_meta"
    assert parsed.dates["url_path"] == "2022-01-20"


@pytest.mark.parametrize(
    "stem", ["000_a4584f6e36514f0f", "003_efc90ab21be40f1a", "004_a9dbc25bac2331b1", "001_206c76bb26f4c9e2"]
)
def test_word_exported_html(stem: str) -> None:
    page = word_page(stem)
    assert "MsoNormal" in page and "&nbsp;" in page
    _check(page, stem)


@pytest.mark.parametrize(
    "stem,meta",
    [
        ("004_a9dbc25bac2331b1", "http-equiv"),
        ("003_efc90ab21be40f1a", "httpequiv"),
        ("000_a4584f6e36514f0f", "charset"),
    ],
)
def test_gbk_page(stem: str, meta: str) -> None:
    if meta == "charset":
        page = trs_page(stem).replace('<meta charset="utf-8">', "<meta charset=gb2312>")
    else:
        page = word_page(stem, charset="gb2312", meta=meta)
    data = page.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    _check(data, stem)
    # A wrong header charset must not win over bytes that only decode as GBK.
    _check(data, stem, media_type="text/html; charset=utf-8")


@pytest.mark.parametrize(
    "stem", ["000_a4584f6e36514f0f", "004_a9dbc25bac2331b1", "001_206c76bb26f4c9e2", "003_efc90ab21be40f1a"]
)
def test_tables_split_by_page_break(stem: str) -> None:
    page = trs_page(stem, split=True)
    assert page.count("<table") == 5
    _check(page, stem)


@pytest.mark.parametrize("stem", ["000_a4584f6e36514f0f", "003_efc90ab21be40f1a"])
def test_section_headings_inside_the_tables(stem: str) -> None:
    page = trs_page(stem, heading_in_table=True)
    assert "<p><strong>三、" not in page
    _check(page, stem)


def test_hanweb_page_with_metadata_table() -> None:
    stem = "000_a4584f6e36514f0f"
    meta_table = """<table class="xxgk_table" width="100%">
<tr><td>索&nbsp;引&nbsp;号：</td><td>11640425MB1578290Y/2022-00012</td><td>主题分类：</td><td>综合政务\\政务公开</td></tr>
<tr><td>发布机构：</td><td>彭阳县审批服务管理局</td><td>成文日期：</td><td>2022-01-18</td></tr>
<tr><td>标　　题：</td><td colspan="3">2021年政府信息公开工作年度报告</td></tr>
<tr><td>发文字号：</td><td></td><td>发布日期：</td><td>2022-01-21</td></tr></table>"""
    # The body starts with the title line only: the agency must come from 发布机构.
    page = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>2021年政府信息公开工作年度报告</title><script src="/script/jpage.js"></script></head>
<body><div class="main">{meta_table}
<div id="zoom">{body_html(stem, skip_head=1)}<p>彭阳县审批服务管理局</p><p>2022年1月18日</p></div></div></body></html>"""
    parsed = _check(page, stem, url="http://www.pengyang.gov.cn/art/2022/1/22/art_1229_4567.html")
    assert parsed.agency == "彭阳县审批服务管理局"
    assert parsed.published_on == date(2022, 1, 21) and parsed.published_source == "page_meta"
    assert parsed.dates == {"page_meta": "2022-01-21", "url_path": "2022-01-22", "text_signature": "2022-01-18"}


def test_vsb_page_with_flattened_table_repairs_like_the_text() -> None:
    """Seed 002's tables pasted as plain rows (one <td> per tab cell), 16-value appeals row included."""
    stem = "002_3d14e9be2d7413b2"
    text = seed_bytes(stem).decode("utf-8")
    out, in_table = [], False
    for line in text.splitlines():
        if "\t" in line:
            cells = "".join(
                f"<td>{html.escape(c.replace('<b>', '').replace('</b>', ''))}</td>" for c in line.split("\t")
            )
            out.append(("" if in_table else "<table>") + f"<tr>{cells}</tr>")
            in_table = True
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.strip():
            out.append(f"<p>{html.escape(_MD.sub('', line).strip())}</p>")
    page = f"""<html><head><meta charset="utf-8"><title>平罗县审批服务管理局2024年政府信息公开工作年度报告-平罗县人民政府</title></head>
<body><form name="_newscontent_fromname"><div id="vsb_content_2"><div class="v_news_content">{"".join(out)}</div></div>
<ul><li>附件【<a href="/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=99">年报.pdf</a>】已下载<span>3</span>次</li></ul>
</form></body></html>"""
    parsed = parse_document(page.encode("utf-8"), "text/html", url="https://www.pingluo.gov.cn/info/1025/10755.htm")
    assert_matches_golden(parsed, load_golden(stem))
    assert parsed.title == "平罗县审批服务管理局2024年政府信息公开工作年度报告"
    assert [link.url for link in parsed.links] == [
        "https://www.pingluo.gov.cn/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=99"
    ]


def test_pre_block_holds_the_tab_layout() -> None:
    stem = "001_206c76bb26f4c9e2"
    text = seed_bytes(stem).decode("utf-8")
    page = f"<html><body><div class='TRS_Editor'><pre>{html.escape(text)}</pre></div></body></html>"
    parsed = parse_document(page.encode("utf-8"), "text/html")
    assert_matches_golden(parsed, load_golden(stem))


def test_deeply_nested_broken_markup_does_not_crash() -> None:
    # Old editors leave unclosed <font> tags: over a thousand levels deep.
    page = trs_page("000_a4584f6e36514f0f").replace(
        '<div class="TRS_Editor">', '<div class="TRS_Editor">' + "<font size=3>" * 1500
    )
    _check(page, "000_a4584f6e36514f0f")


# --- Pages that are not reports ---------------------------------------------------------------
def test_interpretation_page_is_other() -> None:
    page = """<html><head><meta name="ArticleTitle" content="图解：彭阳县审批服务管理局2021年政府信息公开工作年度报告"></head>
<body><div class="TRS_Editor"><p>一、总体情况</p><p>2021年，我局……</p><p>二、主动公开政府信息情况</p><img src="a.png">
<p>三、收到和处理政府信息公开申请情况</p><p>四、政府信息公开行政复议、行政诉讼情况</p></div></body></html>"""
    parsed = parse_document(page.encode("utf-8"), "text/html")
    assert parsed.kind == "other" and parsed.parse_status == "not_report"
    assert parsed.cells == []


def test_notice_about_compiling_reports_is_other() -> None:
    page = """<html><head><title>关于做好2023年政府信息公开工作年度报告编制发布工作的通知</title></head>
<body><div id="zoom"><p>各乡镇、各部门：</p><p>根据《中华人民共和国政府信息公开条例》规定，现就做好2023年政府信息公开工作年度报告编制和发布工作通知如下：</p>
<p>一、总体要求</p><p>各单位于2024年1月31日前在政府网站发布本单位年度报告。</p><p>二、主动公开政府信息情况的填报</p><p>按照国办公开办函〔2021〕30号格式填报。</p>
<p>附件：<a href="/files/2024/ndbg_gs.docx">年度报告格式.docx</a></p></div></body></html>"""
    parsed = parse_document(
        page.encode("utf-8"), "text/html", url="http://www.example.gov.cn/zwgk/tzgg/202401/t20240105_1.html"
    )
    assert parsed.kind == "other"


def test_repost_of_national_format_notice_is_other() -> None:
    stem = "000_a4584f6e36514f0f"
    page = f"""<html><head><meta name="ArticleTitle" content="国务院办公厅政府信息与政务公开办公室关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知"></head>
<body><div class="TRS_Editor"><p>各省、自治区、直辖市人民政府办公厅……</p>{body_html(stem)}</div></body></html>"""
    assert parse_document(page.encode("utf-8"), "text/html").kind == "other"


def test_page_with_only_an_attachment_is_link_page() -> None:
    page = """<html><head><meta name="ArticleTitle" content="XX局2023年政府信息公开工作年度报告"></head>
<body><div class="TRS_Editor"><p>附件：<a href="./P020240118123456789012.pdf">XX局2023年政府信息公开工作年度报告.pdf</a></p></div></body></html>"""
    parsed = parse_document(
        page.encode("utf-8"), "text/html", url="http://www.example.gov.cn/zfxxgk/zfxxgknb/202401/t20240118_9.html"
    )
    assert parsed.kind == "link_page" and parsed.parse_status == "not_report"
    assert [link.url for link in parsed.links] == [
        "http://www.example.gov.cn/zfxxgk/zfxxgknb/202401/P020240118123456789012.pdf"
    ]
    assert parsed.links[0].text == "XX局2023年政府信息公开工作年度报告.pdf"


def test_link_page_without_report_title_uses_link_text() -> None:
    page = """<html><head><title>信息公开</title></head><body><div id="zoom"><p>详见附件。</p>
<p><a href="/u/cms/2024/0118/a.DOCX">附件：XX局2023年政府信息公开工作年度报告.docx</a></p></div></body></html>"""
    parsed = parse_document(page.encode("utf-8"), "text/html", url="https://xx.gov.cn/a/b/c.html")
    assert parsed.kind == "link_page"
    assert parsed.links[0].url == "https://xx.gov.cn/u/cms/2024/0118/a.DOCX"


def test_list_page_is_other() -> None:
    items = "".join(
        f'<li><a href="/zfxxgknb/{y}/t{y}0120_{i}.html" title="某局{y - 1}年政府信息公开工作年度报告">某局{y - 1}年政府信息公开工作年度报告</a><span>{y}-01-20</span></li>'
        for i, y in enumerate(range(2010, 2025))
    )
    page = f"<html><head><title>政府信息公开年报</title></head><body><ul class='list'>{items}</ul></body></html>"
    assert parse_document(page.encode("utf-8"), "text/html").kind == "other"


# --- Dates ------------------------------------------------------------------------------------
def _text_report(extra_tail: str = "") -> bytes:
    return seed_bytes("004_a9dbc25bac2331b1") + extra_tail.encode("utf-8")


def test_date_evidence_is_ranked() -> None:
    data = _text_report("\n\n银川市西夏区审批服务管理局\n2021年1月20日\n")
    url = "http://www.ycxixia.gov.cn/xxgk/zfxxgknb/202101/t20210125_1.html"
    hints = {"list_date": "2021-01-22", "last_modified": "Tue, 26 Jan 2021 08:00:00 GMT"}
    parsed = parse_document(data, "text/plain", url=url, hints=hints)
    assert parsed.dates == {
        "list_page": "2021-01-22",
        "url_path": "2021-01-25",
        "text_signature": "2021-01-20",
        "http_last_modified": "2021-01-26",
    }
    assert (parsed.published_on, parsed.published_source) == (date(2021, 1, 22), "list_page")
    parsed = parse_document(data, "text/plain", url=url, hints={"last_modified": hints["last_modified"]})
    assert parsed.published_source == "url_path"
    parsed = parse_document(data, "text/plain", hints={"last_modified": hints["last_modified"]})
    assert (parsed.published_on, parsed.published_source) == (date(2021, 1, 20), "text_signature")
    parsed = parse_document(
        seed_bytes("004_a9dbc25bac2331b1"), "text/plain", hints={"last_modified": hints["last_modified"]}
    )
    assert (parsed.published_on, parsed.published_source) == (date(2021, 1, 26), "http_last_modified")
    parsed = parse_document(data, "text/plain", url=url, hints={**hints, "published_on": date(2021, 1, 19)})
    assert (parsed.published_on, parsed.published_source) == (date(2021, 1, 19), "given")
    assert parsed.dates["given"] == "2021-01-19"


def test_chinese_numeral_signature_date() -> None:
    parsed = parse_document(_text_report("\n\n二〇二一年一月二十日\n"), "text/plain")
    assert parsed.dates["text_signature"] == "2021-01-20"


def test_hanweb_art_path_date() -> None:
    parsed = parse_document(
        seed_bytes("000_a4584f6e36514f0f"),
        "text/plain",
        url="http://www.yj.gov.cn/art/2024/1/16/art_1229779591_86714.html",
    )
    assert parsed.dates["url_path"] == "2024-01-16"


def test_report_year_comes_from_period_sentence_when_title_lacks_it() -> None:
    text = (
        seed_bytes("002_3d14e9be2d7413b2")
        .decode("utf-8")
        .replace("## 2024 年政府信息公开工作年度报告", "## 政府信息公开工作年度报告")
    )
    parsed = parse_document(text.encode("utf-8"), "text/plain")
    assert parsed.report_year == 2024


# --- Decoding ---------------------------------------------------------------------------------
def test_decode_text_variants() -> None:
    s = "紫阳县行政审批服务局2020年政府信息公开工作年度报告（镕）"
    assert decode_text(s.encode("utf-8")) == s
    assert decode_text(b"\xef\xbb\xbf" + s.encode("utf-8")) == s
    assert decode_text(s.encode("gb18030"), "gb2312") == s  # 镕 is GBK-only: gb2312 label, gb18030 decode
    assert decode_text(s.encode("gbk"), "utf-8") == s  # wrong declaration
    assert decode_text(s.encode("gbk"), "iso-8859-1") == s
    assert decode_text(b"<meta httpequiv=ContentType content='text/html; charset=gbk'>" + s.encode("gbk")).endswith(s)
    assert decode_text(s.encode("utf-16")) == s


def test_amounts_survive_html() -> None:
    parsed = parse_document(trs_page("002_3d14e9be2d7413b2").encode("utf-8"), "text/html")
    assert parsed.cell_map()[("active", "fees", "amount_10k_yuan")].value == Decimal("28.488564")


def test_irregular_word_grid_in_section_two() -> None:
    # Word tables often merge differently per row: the value sits under another header slot.
    stem = "000_a4584f6e36514f0f"
    page = trs_page(stem).replace(
        '<td><span style="font-size:14px">行政许可</span></td><td colspan="3"><b>2648</b></td>',
        '<td colspan="2"><span style="font-size:14px">行政许可</span></td><td colspan="2"><b>2648</b></td>',
    )
    assert 'colspan="2"><b>2648</b>' in page
    _check(page, stem)


def test_tables_as_images_give_image_only() -> None:
    head, sections = seed_parts("000_a4584f6e36514f0f")
    body = "".join(f"<p>{html.escape(x)}</p>" for x in head)
    for numeral in ("一", "二", "三", "四", "五", "六"):
        lines = sections[numeral]
        body += f"<p>{html.escape(lines[0])}</p>"
        body += (
            '<p><img src="./W020220120.png"></p>'
            if numeral in "二三四"
            else "".join(f"<p>{html.escape(x)}</p>" for x in lines[1:])
        )
    page = f"<html><head><title>{title_of('000_a4584f6e36514f0f')}</title></head><body><div id='zoom'>{body}</div></body></html>"
    parsed = parse_document(page.encode("utf-8"), "text/html")
    assert parsed.kind == "report" and parsed.parse_status == "image_only"
    assert parsed.cells == [] and {p.section for p in parsed.problems} == {"active", "requests", "appeals"}
    assert parsed.agency == "彭阳县审批服务管理局" and parsed.report_year == 2021 and parsed.format == "2021-30"


def test_agency_after_the_year_and_date_in_title() -> None:
    stem = "004_a9dbc25bac2331b1"
    page = trs_page(stem).replace(
        f'content="{title_of(stem)}"',
        'content="2020年度银川市西夏区审批服务管理局政府信息公开工作年度报告（2021年1月29日）"',
    )
    parsed = parse_document(page.encode("utf-8"), "text/html")
    assert parsed.agency == "银川市西夏区审批服务管理局" and parsed.report_year == 2020
