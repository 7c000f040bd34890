"""Canonical keys of the national report formats (see docs/report-format.md).

Every table cell is stored and exported as ``section / row / column``. This module is the one
place that names them, with the official Chinese labels, so the parser, the monitor and the
exporters cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FORMAT_2021 = "2021-30"
FORMAT_2019 = "2019-60"
FORMAT_PRE2019 = "pre2019"
FORMATS = (FORMAT_2021, FORMAT_2019, FORMAT_PRE2019)

ACTIVE = "active"
REQUESTS = "requests"
APPEALS = "appeals"
SECTIONS = (ACTIVE, REQUESTS, APPEALS)

SECTION_LABELS = {
    ACTIVE: "二、主动公开政府信息情况",
    REQUESTS: "三、收到和处理政府信息公开申请情况",
    APPEALS: "四、政府信息公开行政复议、行政诉讼情况",
}


@dataclass(frozen=True)
class RowSpec:
    """One row of an official table: canonical key, official label, its columns."""

    key: str
    label: str
    columns: tuple[str, ...]


# --- Section 二 -----------------------------------------------------------------------------
ACTIVE_COLUMN_LABELS = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "本年处理决定数量",
    "amount_10k_yuan": "本年收费金额（单位：万元）",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "previous_items": "上一年项目数量",
    "change": "本年增/减",
    "items": "采购项目数量",
    "amount_yuan": "采购总金额",
}

ACTIVE_ROWS: dict[str, tuple[RowSpec, ...]] = {
    FORMAT_2021: (
        RowSpec("regulations", "规章", ("issued", "repealed", "in_force")),
        RowSpec("normative_documents", "行政规范性文件", ("issued", "repealed", "in_force")),
        RowSpec("licensing", "行政许可", ("decisions",)),
        RowSpec("penalty", "行政处罚", ("decisions",)),
        RowSpec("coercion", "行政强制", ("decisions",)),
        RowSpec("fees", "行政事业性收费", ("amount_10k_yuan",)),
    ),
    FORMAT_2019: (
        RowSpec("regulations", "规章", ("made", "published", "total_published")),
        RowSpec("normative_documents", "规范性文件", ("made", "published", "total_published")),
        RowSpec("licensing", "行政许可", ("previous_items", "change", "decisions")),
        RowSpec("other_services", "其他对外管理服务事项", ("previous_items", "change", "decisions")),
        RowSpec("penalty", "行政处罚", ("previous_items", "change", "decisions")),
        RowSpec("coercion", "行政强制", ("previous_items", "change", "decisions")),
        RowSpec("fees", "行政事业性收费", ("previous_items", "change")),
        RowSpec("procurement", "政府集中采购", ("items", "amount_yuan")),
    ),
}

# Columns holding money (decimals) or signed changes rather than non-negative counts.
DECIMAL_COLUMNS = frozenset({"amount_10k_yuan", "amount_yuan"})
SIGNED_COLUMNS = frozenset({"change"})


def irregular_number(column: str, value: Decimal) -> str | None:
    """``negative`` or ``fractional`` when ``value`` cannot stand in ``column`` (rule R7)."""
    if value < 0 and column not in SIGNED_COLUMNS:
        return "negative"
    if column not in DECIMAL_COLUMNS and value != value.to_integral_value():
        return "fractional"
    return None

# --- Section 三 -----------------------------------------------------------------------------
REQUEST_COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "public_interest",
    "legal_services",
    "other_org",
    "total",
)
REQUEST_COLUMN_LABELS = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_services": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}
APPLICANT_COLUMNS = REQUEST_COLUMNS[:-1]

_REQUEST_HEAD = (
    RowSpec("new", "一、本年新收政府信息公开申请数量", REQUEST_COLUMNS),
    RowSpec("carried_in", "二、上年结转政府信息公开申请数量", REQUEST_COLUMNS),
    RowSpec("disclosed", "（一）予以公开", REQUEST_COLUMNS),
    RowSpec("partly_disclosed", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", REQUEST_COLUMNS),
    RowSpec("withheld.state_secret", "（三）不予公开 1.属于国家秘密", REQUEST_COLUMNS),
    RowSpec("withheld.prohibited_by_law", "（三）不予公开 2.其他法律行政法规禁止公开", REQUEST_COLUMNS),
    RowSpec("withheld.security_stability", "（三）不予公开 3.危及“三安全一稳定”", REQUEST_COLUMNS),
    RowSpec("withheld.third_party", "（三）不予公开 4.保护第三方合法权益", REQUEST_COLUMNS),
    RowSpec("withheld.internal_affairs", "（三）不予公开 5.属于三类内部事务信息", REQUEST_COLUMNS),
    RowSpec("withheld.process_info", "（三）不予公开 6.属于四类过程性信息", REQUEST_COLUMNS),
    RowSpec("withheld.enforcement_file", "（三）不予公开 7.属于行政执法案卷", REQUEST_COLUMNS),
    RowSpec("withheld.query_matter", "（三）不予公开 8.属于行政查询事项", REQUEST_COLUMNS),
    RowSpec("unable.not_held", "（四）无法提供 1.本机关不掌握相关政府信息", REQUEST_COLUMNS),
    RowSpec("unable.needs_creation", "（四）无法提供 2.没有现成信息需要另行制作", REQUEST_COLUMNS),
    RowSpec("unable.unclear", "（四）无法提供 3.补正后申请内容仍不明确", REQUEST_COLUMNS),
    RowSpec("declined.petition", "（五）不予处理 1.信访举报投诉类申请", REQUEST_COLUMNS),
    RowSpec("declined.repeated", "（五）不予处理 2.重复申请", REQUEST_COLUMNS),
    RowSpec("declined.publication", "（五）不予处理 3.要求提供公开出版物", REQUEST_COLUMNS),
    RowSpec("declined.excessive", "（五）不予处理 4.无正当理由大量反复申请", REQUEST_COLUMNS),
    RowSpec("declined.confirmation", "（五）不予处理 5.要求行政机关确认或重新出具已获取信息", REQUEST_COLUMNS),
)
_REQUEST_TAIL = (
    RowSpec("results_total", "（七）总计", REQUEST_COLUMNS),
    RowSpec("carried_out", "四、结转下年度继续办理", REQUEST_COLUMNS),
)
REQUEST_ROWS: dict[str, tuple[RowSpec, ...]] = {
    FORMAT_2019: _REQUEST_HEAD + (RowSpec("other", "（六）其他处理", REQUEST_COLUMNS),) + _REQUEST_TAIL,
    FORMAT_2021: _REQUEST_HEAD
    + (
        RowSpec(
            "other.no_correction",
            "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            REQUEST_COLUMNS,
        ),
        RowSpec(
            "other.unpaid_fee",
            "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            REQUEST_COLUMNS,
        ),
        RowSpec("other.other", "（六）其他处理 3.其他", REQUEST_COLUMNS),
    )
    + _REQUEST_TAIL,
}

# Rows whose sum per column is （七）总计 (rule R3): everything between the two totals.
RESULT_ROWS: dict[str, tuple[str, ...]] = {
    fmt: tuple(r.key for r in rows if r.key not in {"new", "carried_in", "results_total", "carried_out"})
    for fmt, rows in REQUEST_ROWS.items()
}

# --- Section 四 -----------------------------------------------------------------------------
APPEAL_ROWS = (
    RowSpec("review", "行政复议", ("upheld", "corrected", "other", "pending", "total")),
    RowSpec("litigation_direct", "行政诉讼·未经复议直接起诉", ("upheld", "corrected", "other", "pending", "total")),
    RowSpec("litigation_after_review", "行政诉讼·复议后起诉", ("upheld", "corrected", "other", "pending", "total")),
)
APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
APPEAL_COLUMN_LABELS = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}


def rows_for(section: str, fmt: str) -> tuple[RowSpec, ...]:
    """The official rows of ``section`` in format ``fmt`` (empty for pre-2019 free formats)."""
    if section == ACTIVE:
        return ACTIVE_ROWS.get(fmt, ())
    if section == REQUESTS:
        return REQUEST_ROWS.get(fmt, ())
    if section == APPEALS:
        return APPEAL_ROWS if fmt in (FORMAT_2019, FORMAT_2021) else ()
    raise ValueError(f"unknown section {section!r}")


def expected_cells(fmt: str) -> list[tuple[str, str, str]]:
    """Every (section, row, column) an official table of ``fmt`` holds, in table order."""
    out: list[tuple[str, str, str]] = []
    for section in SECTIONS:
        for spec in rows_for(section, fmt):
            out.extend((section, spec.key, col) for col in spec.columns)
    return out


def cell_label(section: str, row: str, column: str, fmt: str = FORMAT_2021) -> str:
    """Official Chinese label of a cell, for digests and findings (e.g. ``（七）总计·自然人``)."""
    spec = next((r for r in rows_for(section, fmt) if r.key == row), None)
    if spec is None:  # other format, or unknown: try both
        for f in (FORMAT_2021, FORMAT_2019):
            spec = next((r for r in rows_for(section, f) if r.key == row), None)
            if spec:
                break
    row_label = spec.label if spec else row
    col_label = (
        REQUEST_COLUMN_LABELS.get(column)
        if section == REQUESTS
        else APPEAL_COLUMN_LABELS.get(column)
        if section == APPEALS
        else ACTIVE_COLUMN_LABELS.get(column)
    ) or column
    return f"{row_label}·{col_label}"
