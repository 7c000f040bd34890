"""Tolerant normalisation of the official Chinese labels, and the vocabulary used to match them.

Labels are printed with every kind of drift: full-width or half-width brackets and digits,
spaces and line breaks inside words ("结果 维持"), curly or straight quotes, ``1.``/``1．``/``1、``,
traditional characters on mirrored pages, provincial annotations in brackets. Matching therefore
works on a normalised form and on short keywords, never on the full official text.
"""

from __future__ import annotations

import re

from core.nfkc import nfkc
from core.traditional import HAS_TRADITIONAL, TRADITIONAL_TO_SIMPLIFIED  # mirror sites convert whole pages

_DROP = dict.fromkeys(map(ord, "“”‘’\"'「」『』〝〞"), None)
_CACHE: dict[str, str] = {}
# Translating every character of a long text through a table is slow: most texts hold no
# traditional character, and quotes and spaces go in one regex pass.
_DROP_OR_SPACE = re.compile("[" + re.escape("".join(map(chr, _DROP))) + r"\s]+")


def norm(text: str) -> str:
    """Matching form of a label: NFKC (full-width → half-width), simplified, no spaces or quotes."""
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    s = nfkc(text)
    if HAS_TRADITIONAL.search(s):
        s = s.translate(TRADITIONAL_TO_SIMPLIFIED)
    s = _DROP_OR_SPACE.sub("", s)
    # Labels repeat across documents; paragraphs do not and would only churn the cache.
    if len(text) <= 80:
        if len(_CACHE) > 20000:
            _CACHE.clear()
        _CACHE[text] = s
    return s


# A leading item number: (一) 一、 1. 1、 (1) ①; kept apart so "2.重复申请" matches "重复申请".
_ITEM_NO = re.compile(
    r"^(?:\(([一二三四五六七八九十]{1,2})\)|([一二三四五六七八九十]{1,2})[、.,]"
    r"|\((\d{1,2})\)|(\d{1,2})(?:[.、,:]|(?=\D))|([①②③④⑤⑥⑦⑧⑨⑩]))"
)
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def split_item_number(s: str) -> tuple[str | None, int | None, str]:
    """Split a normalised label into (numbering style, number, rest).

    Style is ``"cn"`` for Chinese numerals ((一), 一、), ``"arabic"`` for 1. (1) ①.
    """
    m = _ITEM_NO.match(s)
    if not m:
        return None, None, s
    cn = m.group(1) or m.group(2)
    if cn:
        num = _CN_NUM.get(cn[-1], 0) + (10 if len(cn) == 2 and cn[0] == "十" else 0)
        return "cn", num, s[m.end() :]
    ar = m.group(3) or m.group(4)
    if ar:
        return "arabic", int(ar), s[m.end() :]
    return "arabic", "①②③④⑤⑥⑦⑧⑨⑩".index(m.group(5)) + 1, s[m.end() :]


# --- Section headings --------------------------------------------------------------------------
_HEADING = re.compile(r"^([一二三四五六七])[、.,，．]\s*(.{2,48})$")
_HEADING_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("一", ("总体情况", "概述", "总体")),
    ("二", ("主动公开",)),
    ("四", ("行政复议", "行政诉讼")),
    ("三", ("收到和处理", "依申请", "申请情况", "申请公开")),
    ("五", ("问题", "改进")),
    ("六", ("其他需要报告", "其他需报告", "其他事项", "需要报告", "其他")),
)


def heading_section(text: str) -> str | None:
    """Which of 一..六 a heading line opens ("二、主动公开政府信息情况" → "二"), or None."""
    s = norm(text).lstrip("#*").rstrip("*")
    m = _HEADING.match(s)
    if not m:
        return None
    rest = m.group(2)
    # Rows of the section-三 table look like headings ("二、上年结转政府信息公开申请数量").
    if "数量" in rest or "结转" in rest or "办理结果" in rest:
        return None
    for section, words in _HEADING_KEYWORDS:
        if any(w in rest for w in words):
            return section
    return None


# --- Section 二 (active) -------------------------------------------------------------------------
# Column header keywords; the first match wins, so longer / more specific words come first.
ACTIVE_COLUMN_WORDS: tuple[tuple[str, str], ...] = (
    ("制发件数", "issued"),
    ("废止件数", "repealed"),
    ("现行有效", "in_force"),
    ("处理决定", "decisions"),
    ("收费金额", "amount_10k_yuan"),
    ("新制作", "made"),
    ("新公开", "published"),
    ("公开总数", "total_published"),
    ("项目数量", "previous_items"),
    ("上一年", "previous_items"),
    ("增/减", "change"),
    ("增减", "change"),
    ("增(减)", "change"),
    ("采购总金额", "amount_yuan"),
    ("总金额", "amount_yuan"),
)
_UNIT_IN_HEADER = re.compile(r"单位[:：]?([万亿千]?元)")


def active_column(cell: str) -> tuple[str | None, str | None]:
    """(column key, unit printed in the header) of a section-二 header cell."""
    s = norm(cell)
    if not s or len(s) > 40:
        return None, None
    unit_m = _UNIT_IN_HEADER.search(s)
    unit = unit_m.group(1) if unit_m else None
    if "采购" in s and "数量" in s:
        return "items", unit
    for word, key in ACTIVE_COLUMN_WORDS:
        if word in s:
            return key, unit
    return None, None


ACTIVE_ROW_WORDS: tuple[tuple[str, str], ...] = (
    ("规范性文件", "normative_documents"),
    ("对外管理服务", "other_services"),
    ("行政许可", "licensing"),
    ("行政处罚", "penalty"),
    ("行政强制", "coercion"),
    ("事业性收费", "fees"),
    ("集中采购", "procurement"),
)


# A bracketed note after a label: "规章(设区的市、自治州人民政府应提供相关数据)", a provincial
# explanation of what the row counts; the row is named before it.
_ANNOTATION = re.compile(r"(?<=.)\([^()]{4,}\)$")


def strip_annotation(s: str) -> str:
    """A normalised label without the bracketed explanation printed after it."""
    return _ANNOTATION.sub("", s) if s.endswith(")") else s


def active_row(cell: str) -> str | None:
    """Row key of a section-二 row label ("行政许可" → "licensing"), a bracketed note after it
    ignored."""
    s = strip_annotation(norm(cell))
    if not s or len(s) > 30:
        return None
    _, _, rest = split_item_number(s)
    if rest.startswith("规章") and len(rest) <= 6:
        return "regulations"
    for word, key in ACTIVE_ROW_WORDS:
        if word in rest:
            return key
    return None


# --- Section 三 (requests) -----------------------------------------------------------------------
REQUEST_HEADER_WORDS = (
    "申请人情况",
    "自然人",
    "法人或其他组织",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "勾稽关系",
)

# Sub-items: keyword → (group, row key). Checked in order.
REQUEST_ITEM_WORDS: tuple[tuple[str, str, str], ...] = (
    ("国家秘密", "withheld", "withheld.state_secret"),
    ("禁止公开", "withheld", "withheld.prohibited_by_law"),
    ("三安全一稳定", "withheld", "withheld.security_stability"),
    ("危及", "withheld", "withheld.security_stability"),
    ("第三方", "withheld", "withheld.third_party"),
    ("内部事务", "withheld", "withheld.internal_affairs"),
    ("过程性", "withheld", "withheld.process_info"),
    ("执法案卷", "withheld", "withheld.enforcement_file"),
    ("查询事项", "withheld", "withheld.query_matter"),
    ("不掌握", "unable", "unable.not_held"),
    ("另行制作", "unable", "unable.needs_creation"),
    ("现成信息", "unable", "unable.needs_creation"),
    ("补正后", "unable", "unable.unclear"),
    ("仍不明确", "unable", "unable.unclear"),
    ("不补正", "other", "other.no_correction"),
    ("收费通知", "other", "other.unpaid_fee"),
    ("缴纳费用", "other", "other.unpaid_fee"),
    ("信访", "declined", "declined.petition"),
    ("举报投诉", "declined", "declined.petition"),
    ("重复申请", "declined", "declined.repeated"),
    ("出版物", "declined", "declined.publication"),
    ("大量反复", "declined", "declined.excessive"),
    ("重新出具", "declined", "declined.confirmation"),
    ("确认或", "declined", "declined.confirmation"),
)
# Item order inside each group, for labels that carry only a number.
REQUEST_GROUP_ITEMS: dict[str, tuple[str, ...]] = {
    "withheld": (
        "withheld.state_secret",
        "withheld.prohibited_by_law",
        "withheld.security_stability",
        "withheld.third_party",
        "withheld.internal_affairs",
        "withheld.process_info",
        "withheld.enforcement_file",
        "withheld.query_matter",
    ),
    "unable": ("unable.not_held", "unable.needs_creation", "unable.unclear"),
    "declined": (
        "declined.petition",
        "declined.repeated",
        "declined.publication",
        "declined.excessive",
        "declined.confirmation",
    ),
    "other": ("other.no_correction", "other.unpaid_fee", "other.other"),
}


# Labels of the top rows and of the group headings, in the order they are tested: (a word and
# an optional second word that must both occur, longest label length or None, kind, value). Order matters: "部分公开" before
# "不予公开" before "予以公开"; a group heading is short, a sub-item naming it is not.
_HEADLINE_RULES: tuple[tuple[str, str | None, int | None, str, str | None], ...] = (
    ("本年新收", None, None, "top", "new"),
    ("新收", "申请", None, "top", "new"),
    ("上年结转", None, None, "top", "carried_in"),
    ("结转下年", None, None, "top", "carried_out"),
    ("继续办理", None, None, "top", "carried_out"),
    ("办理结果", None, None, "group", None),
    ("部分公开", None, None, "top", "partly_disclosed"),
    ("不予公开", None, 8, "group", "withheld"),
    ("予以公开", None, None, "top", "disclosed"),
    ("无法提供", None, 8, "group", "unable"),
    ("不予处理", None, 8, "group", "declined"),
    ("其他处理", None, 8, "group", "other"),
)


def _headline_label(rest: str) -> tuple[str, str | None] | None:
    """(kind, value) when ``rest`` is a top-row or group label, else None."""
    for word, second, max_len, kind, value in _HEADLINE_RULES:
        if word in rest and (second is None or second in rest) and (max_len is None or len(rest) <= max_len):
            return kind, value
    return None


def _is_results_total(rest: str, style: str | None, num: int | None) -> bool:
    """总计/合计, or the seventh top row (（七）…计) however it is worded."""
    return rest in ("总计", "合计") or (style == "cn" and num == 7 and "计" in rest)


def _item_label(rest: str, style: str | None) -> tuple[str, str | None] | None:
    """("item", row key) for a sub-item label, ("item", None) for a bare arabic number, else None."""
    for word, _group, key in REQUEST_ITEM_WORDS:
        if word in rest:
            return "item", key
    if rest in ("其他", "其它"):
        return "item", "other.other"
    if not rest and style == "arabic":
        return "item", None
    return None


def request_label(cell: str) -> tuple[str, str | None, int | None]:
    """Classify one label cell of the section-三 table.

    Returns ``(kind, value, number)`` with kind one of ``"top"`` (value = row key), ``"group"``
    (value = group name, or None for 三、本年度办理结果), ``"item"`` (value = row key, or None when
    only the number is known) or ``"none"``.
    """
    s = norm(cell)
    style, num, rest = split_item_number(s)
    if not rest and num is None:
        return "none", None, None
    found = _headline_label(rest)
    if found is None and _is_results_total(rest, style, num):
        found = ("top", "results_total")
    if found is None:
        found = _item_label(rest, style)
    if found is None:
        return "none", None, num
    return found[0], found[1], num


# --- Section 四 (appeals) ------------------------------------------------------------------------
APPEAL_HEADER_WORDS = ("复议", "诉讼", "维持", "纠正", "结果", "审结", "总计", "起诉", "合计")


def is_appeal_header(cell: str) -> bool:
    """Whether a cell is part of the section-四 table's three header rows."""
    s = norm(cell)
    return any(w in s for w in APPEAL_HEADER_WORDS)
