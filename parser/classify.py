"""What a document is (report, link page, other) and which national format a report follows."""

from __future__ import annotations

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
