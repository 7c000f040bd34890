"""Chinese names of finding kinds, severities and statuses, shared by rules, CLI and digests."""

from __future__ import annotations

KIND_LABELS: dict[str, str] = {
    "missing_year": "缺报",
    "late": "逾期发布",
    "backdated": "疑似倒签",
    "balance": "勾稽关系不符",
    "carryover": "上下年结转不符",
    "blank_table": "表格空白",
    "missing_section": "章节缺失",
    "outdated_format": "使用旧版格式",
    "malformed_table": "表格无法识别",
    "image_only": "仅有图片",
    "tables_unreadable": "表格未能读取，需人工核查",
    "unnamed_agency": "未写明发布机构，需人工核查",
    "duplicate": "内容雷同",
    "text_table": "文字与表格矛盾",
    "crawl_blocked": "抓取受阻",
    "crawl_error": "抓取错误",
    "column_shrunk": "年报栏目条目减少",
    "column_unreachable": "年报栏目无法访问",
}
# Display order in digests: timeliness first, then tables, then form and text, then crawling.
KIND_ORDER = tuple(KIND_LABELS)

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

STATUS_LABELS = {
    "new": "新发现",
    "open": "仍存在",
    "reopened": "再次出现",
    "resolved": "已解决",
}
OPEN_STATUSES = ("new", "open", "reopened")

LEVEL_LABELS = {
    "government": "本级政府",
    "department": "政府部门",
    "township": "乡镇/街道",
}


def kind_label(kind: str, own: str | None = None) -> str:
    """The Chinese name of ``kind``; ``own``: the name a rule added in settings gives its kind
    (kept in the finding's evidence), used when the kind is not one of ours."""
    return KIND_LABELS.get(kind) or own or kind
