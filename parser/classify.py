"""What a document is (report, link page, other) and which national format a report follows."""

from __future__ import annotations

import re

from core.keys import FORMAT_2019, FORMAT_2021, FORMAT_PRE2019
from core.titles import mentions_report, negative_evidence
from parser.labels import norm

_MARKERS_2021 = ("本年制发件数", "现行有效件数", "本年收费金额", "逾期未按收费通知要求缴纳费用", "逾期不补正")
_MARKERS_2019 = (
    "本年新制作数量",
    "对外公开总数量",
    "上一年项目数量",
    "其他对外管理服务事项",
    "第二十条第(九)项",
    "采购总金额",
)
_MARKERS_PRE2019 = ("收费及减免", "依申请公开政府信息情况", "政府信息公开情况统计表", "同意公开答复数")


def detect_format(text: str, report_year: int | None) -> str | None:
    """'2021-30', '2019-60' or 'pre2019': by the table labels, else by the report year."""
    n = norm(text)
    score_2021 = sum(1 for m in _MARKERS_2021 if m in n)
    score_2019 = sum(1 for m in _MARKERS_2019 if m in n)
    # 2019-60 has a single （六）其他处理 row; 2021-30 splits it into three items.
    if "其他处理" in n and "不补正" not in n and ("采购" in n or "上一年" in n or score_2019):
        score_2019 += 1
    if score_2021 or score_2019:
        if score_2021 != score_2019:
            return FORMAT_2021 if score_2021 > score_2019 else FORMAT_2019
    elif any(m in n for m in _MARKERS_PRE2019):
        return FORMAT_PRE2019
    if report_year is None:
        return None
    if report_year >= 2021:
        return FORMAT_2021
    if report_year >= 2019:
        return FORMAT_2019
    return FORMAT_PRE2019


# The preamble every report opens with: the 条例 it is made under and the report itself
# (…编制本报告 / 本报告根据《条例》… / 特向社会公布…年度报告 / 现将…工作情况报告如下).
_PREAMBLE = re.compile(
    r"(?:根据|依据|按照)[^。]{0,120}?政府信息公开条例[^。]{0,200}?(?:编制|制作|撰写)本(?:年度)?报告"
    r"|本(?:年度)?报告(?:是|由[^。]{0,40}?)?(?:根据|依据|按照)[^。]{0,40}?政府信息公开条例"
    r"|特向社会公[布开][^。]{0,40}?(?:年度报告|年报)"
    r"|政府信息公开条例[^。]{0,200}?现将[^。]{0,40}?(?:政府信息公开|政务公开)[^。]{0,20}?报告如下"
)
# Row labels of the national statistics tables (2019-60 and 2021-30 alike): a document printing
# them is a report, or the national format notice (whose title says so).
_TABLE_LABELS = (
    "第二十条第(一)项",
    "第二十条第(五)项",
    "本年新收政府信息公开申请数量",
    "上年结转政府信息公开申请数量",
    "未经复议直接起诉",
    "复议后起诉",
)


# The items of the report's 一、总体情况 (2021-30 format): （一）主动公开 …（五）监督保障.
_SITUATION_ITEM = re.compile(
    r"^\s*[(（][一二三四五六][)）][^\n]{0,6}?(主动公开|依申请公开|信息管理|平台建设|监督保障)", re.M
)


def shows_report_body(text: str) -> bool:
    """Whether a text shows what only a report shows, when it names neither itself nor its
    agency: the report's standard preamble, at least two row labels of the national tables, or
    three of the standard items of its general situation (（一）主动公开…（四）平台建设)."""
    n = norm(text[:20000])
    if _PREAMBLE.search(n[:3000]) or sum(1 for label in _TABLE_LABELS if label in n) >= 2:
        return True
    return len({m.group(1) for m in _SITUATION_ITEM.finditer(text[:8000])}) >= 3


def title_says_not_report(title: str | None) -> bool:
    """Titles with clear negative evidence (``core.titles.negative_evidence``): 解读/图解 pages,
    work plans, notices about compiling or submitting reports, the national format notice."""
    return negative_evidence(title) is not None


def classify(
    title: str | None,
    head_text: str,
    sections_present: list[str],
    sections_with_cells: int,
    attachment_links: list[tuple[str, str]],
) -> str:
    """'report', 'link_page' or 'other'.

    A report names itself an annual report (title or opening lines) and has the report's body:
    at least three of the six section headings, or readable statistics tables. A page without
    that body which links a few attachments named like a report is a link page.
    """
    if title_says_not_report(title):
        return "other"
    named = mentions_report(title or "") or mentions_report(head_text)
    body = len(sections_present) >= 3 or sections_with_cells >= 2
    if body and (named or sections_with_cells >= 2):
        return "report"
    reportish = [
        (url, text) for url, text in attachment_links if mentions_report(text) or mentions_report(url) or named
    ]
    if reportish and len(attachment_links) <= 6 and len(sections_present) < 3:
        return "link_page"
    return "other"
