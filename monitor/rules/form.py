"""Form: blank tables, missing sections, the outdated format, unreadable tables, image-only tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.context import CheckContext
from monitor.evidence import NUMERAL_SECTIONS, SECTION_NUMERALS
from monitor.reports import ALL_SECTIONS, ReportRow
from monitor.rules.base import FindingDraft, Rule
from core import keys

SECTION_HEADINGS = {
    "一": "一、总体情况",
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}
CURRENT_FORMATS = (keys.FORMAT_2021, keys.FORMAT_2019)

BLANK = Rule(
    "blank_table",
    "blank_table",
    "warning",
    "{heading}{what}（空白不等于 0，应填写数字）",
    "表格应填写数字",
)
MISSING_SECTION = Rule(
    "missing_section",
    "missing_section",
    "warning",
    "报告缺少规定章节：{sections}",
    "年度报告应包含六个规定章节",
)
OUTDATED = Rule(
    "outdated_format",
    "outdated_format",
    "warning",
    "{year}年度报告仍使用国办公开办函〔2019〕60号旧版格式，应使用国办公开办函〔2021〕30号格式",
    "2021年度起应使用新版格式",
)
MALFORMED = Rule(
    "malformed_table",
    "malformed_table",
    "error",
    "{heading}的表格无法可靠识别：{reason}",
    "表格应能按官方格式识别",
)
IMAGE_ONLY = Rule(
    "image_only",
    "image_only",
    "info",
    "{year}年度报告的表格为图片，系统未能读取其中的数字（不按零处理），勾稽关系未核对，请人工查看原文",
    "表格应以文字发布",
)
TABLES_UNREADABLE = Rule(
    "tables_unreadable",
    "tables_unreadable",
    "warning",
    "{year}年度报告已发布，但系统未能读取其中的统计表格：{reason}。"
    "表格数字未按零处理，勾稽关系未核对，缺报、逾期按已发布计算，请人工查看原文",
    "统计表格应能按官方格式读取",
)


def heading(section: str) -> str:
    """``三、收到和处理政府信息公开申请情况`` from ``requests`` or ``三``."""
    numeral = SECTION_NUMERALS.get(section, section)
    return SECTION_HEADINGS.get(numeral, section)


class FormCheck:
    """Per-report form rules."""

    lane = "review"
    rules = (BLANK, MISSING_SECTION, OUTDATED, MALFORMED, IMAGE_ONLY, TABLES_UNREADABLE)

    def check(self, ctx: CheckContext, r: ReportRow) -> Iterator[FindingDraft]:
        if _nothing_to_say(r):
            return
        common: dict[str, Any] = {
            "site_id": r.site_id,
            "agency_id": r.agency_id,
            "report_id": r.id,
            "report_year": r.report_year,
        }
        if r.format == keys.FORMAT_2019 and r.report_year >= 2021:
            yield OUTDATED.draft(
                **common, evidence={"format": r.format}, year=r.report_year
            )
        if r.parse_status == "image_only":
            yield IMAGE_ONLY.draft(
                **common, evidence={"parse_status": r.parse_status}, year=r.report_year
            )
            return  # nothing else about the tables can be said
        if r.parse_status == "tables_unreadable":
            # One finding for the whole report: which sections or tables are missing follows from it.
            yield TABLES_UNREADABLE.draft(
                **common,
                evidence={"parse_status": r.parse_status, "problems": r.problems},
                year=r.report_year,
                reason=_problem_reason(r.problems),
            )
            return
        yield from self._malformed(r, common)
        if r.format not in CURRENT_FORMATS or r.parse_status == "failed":
            return
        present = {str(s) for s in r.sections_present}
        missing = [n for n in SECTION_HEADINGS if n not in present]
        if missing:
            names = "、".join(SECTION_HEADINGS[n] for n in missing)
            yield MISSING_SECTION.draft(
                **common,
                evidence={"missing": missing, "present": sorted(present)},
                sections=names,
            )
        problem_sections = {_section_key(p) for p in r.problems}
        for section, has_cells, has_values in (
            (keys.REQUESTS, r.requests_has_cells, r.requests_has_values),
            (keys.APPEALS, r.appeals_has_cells, r.appeals_has_values),
        ):
            # No cells at all is the parser's to explain (a problem, image_only), not a blank table.
            if (
                not has_cells
                or has_values
                or section in problem_sections
                or None in problem_sections
            ):
                continue
            yield BLANK.draft(
                **common,
                key=section,
                evidence={"section": section},
                heading=heading(section),
                what="的表格全部为空白",
            )

    def finish(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        return iter(())

    @staticmethod
    def _malformed(r: ReportRow, common: dict[str, Any]) -> Iterator[FindingDraft]:
        seen: set[str] = set()
        for p in r.problems:
            section = _section_key(p) or "table"
            if section in seen:
                continue
            seen.add(section)
            reason = (
                p.get("reason") if isinstance(p, dict) else str(p)
            ) or "原因未说明"
            rows = p.get("rows", []) if isinstance(p, dict) else []
            yield MALFORMED.draft(
                **common,
                key=section,
                evidence={
                    "section": section,
                    "reason": reason,
                    "rows": rows,
                    "problems": r.problems,
                },
                heading=heading(section) if section != "table" else "报告",
                reason=reason,
            )
        if not r.problems and r.parse_status == "malformed":
            yield MALFORMED.draft(
                **common,
                key="table",
                evidence={"parse_status": r.parse_status},
                heading="报告",
                reason="解析器未能识别表格结构",
            )


def may_find(r: Any) -> bool:
    """Whether a form rule can fire on this report (false for the usual report). Decided when its
    ``report_facts`` row is derived, so a check reads only such reports whole. ``r``: anything
    with ``ReportRow``'s format, report_year, parse_status, problems, sections_present and
    ``*_has_cells``/``*_has_values`` attributes."""
    return not _nothing_to_say(r)


def _nothing_to_say(r: ReportRow) -> bool:
    """The usual report (no rule here can fire), told apart before any evidence is built."""
    if r.problems or r.parse_status in ("image_only", "tables_unreadable", "malformed", "failed"):
        return False
    if r.format not in CURRENT_FORMATS:
        return True
    if r.format == keys.FORMAT_2019 and r.report_year >= 2021:
        return False
    blank = (r.requests_has_cells and not r.requests_has_values) or (
        r.appeals_has_cells and not r.appeals_has_values
    )
    return not blank and r.sections_present == ALL_SECTIONS


# What the parser records (SectionProblem "report", rows = [where named, table state]), in Chinese.
_NAMED_BY = {
    "title": "标题",
    "heading": "正文标题",
    "two_line_heading": "正文标题（分两行）",
    "announcement": "开头语",
    "period": "统计期限说明",
}
_TABLE_STATE = {
    "no_tables": "正文中未识别出统计表格",
    "tables_found": "找到表格但未能识别其中任何一行",
    "images": "表格疑为图片",
}


def _problem_reason(problems: list[Any]) -> str:
    """Why a report's tables could not be read, in Chinese, from the parser's recorded problem."""
    for p in problems:
        rows = p.get("rows") if isinstance(p, dict) else None
        if isinstance(p, dict) and p.get("section") == "report" and rows and len(rows) == 2:
            named = _NAMED_BY.get(str(rows[0]), "文档")
            state = _TABLE_STATE.get(str(rows[1]), "统计表格未能读取")
            return f"{named}表明这是该年度报告，但{state}"
    return "原因未说明"


def _section_key(problem: Any) -> str | None:
    section = problem.get("section") if isinstance(problem, dict) else None
    if not section:
        return None
    return NUMERAL_SECTIONS.get(section, section)
