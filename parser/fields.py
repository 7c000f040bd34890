"""Title, agency, report year and dates of a document."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# The title readers live in core.titles (shared with the crawler); these names stay for callers.
from core.titles import REPORT_WORDS, is_report_title, year_mentions  # noqa: F401
from core.titles import report_year as year_from_title  # noqa: F401
from parser.labels import norm
_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_YEAR = "[〇○零Ｏ一二三四五六七八九]{4}"
_PERIOD = re.compile(
    r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起|开始)?\s*(?:至|到|—|-|~|－|至于)\s*"
    r"(?:((?:19|20)\d{2})\s*年\s*)?12\s*月\s*31\s*日"
)
_DATE = re.compile(r"((?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})(?!\d)\s*日?")
_CN_DATE = re.compile(
    rf"({_CN_YEAR})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月\s*([一二三四五六七八九十]{{1,3}})\s*日"
)
_URL_DATES = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/((?:19|20)\d{2})-(\d{2})-(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),
    re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})/"),
)
_META_DATE_NAMES = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "publishtime",
    "dc.date",
    "dcterms.issued",
    "article:published_time",
)
_PUBLISHED_LABEL = re.compile(r"(?:发布日期|发布时间|发文日期|公开日期|发布于|上传时间)\s*[:：]?\s*")
_SIGNED_LABEL = re.compile(r"成文日期\s*[:：]?\s*")
# 来源 needs its colon: without one it is a word of running text ("来源于…").
_AGENCY_LABEL = re.compile(r"(?:发布机构|发文机关|发布单位)\s*[:：]?\s*|(?:信息来源|来源)\s*[:：]\s*")
_AGENCY_END = re.compile(
    r"(?:局|委员会|委|办公室|办|院|政府|会|中心|所|处|室|厅|部|站|队|馆|镇|乡|街道|街道办事处|公司|集团|组|社|司|署|台|行|团|校|监狱|大队|支队|分局)$"
)
_SUBJECT = re.compile(r"政府信息公开|政务信息公开|政务公开|信息公开|年度报告|年报")
_TITLE_PREFIX = re.compile(r"^(?:标\s*题|名\s*称|题\s*名)\s*[:：]\s*")
# A full stop or comma makes a line a sentence that mentions a report ("现将…年度报告转发给你们。"),
# not the report's title.
_SENTENCE = re.compile(r"[。，；！？]")
_TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|—{1,2}|(?<!\d)[-–](?!\d))\s*")


def cn_year(text: str) -> int:
    """'二〇二一' → 2021."""
    return int("".join(str(_CN_DIGITS.get(ch, 0)) for ch in text))


def _cn_small(text: str) -> int:
    """'十二' → 12, '二十' → 20, '三' → 3."""
    if "十" in text:
        head, _, tail = text.partition("十")
        return (_CN_DIGITS.get(head, 1) if head else 1) * 10 + (_CN_DIGITS.get(tail, 0) if tail else 0)
    return _CN_DIGITS.get(text, 0)


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        out = date(y, m, d)
    except ValueError:
        return None
    return out if 1990 <= y <= 2100 else None


def find_date(text: str) -> date | None:
    """First date in ``text``: 2024-01-15, 2024年1月15日, 2024/1/15, 二〇二四年一月十五日."""
    m = _DATE.search(text)
    if m:
        return _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _CN_DATE.search(text)
    if m:
        return _mk(cn_year(m.group(1)), _cn_small(m.group(2)), _cn_small(m.group(3)))
    return None


def as_date(value: Any) -> date | None:
    """A hint value (date, datetime, 'YYYY-MM-DD…', HTTP date) as a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    found = find_date(text)
    if found:
        return found
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


# --- Title -------------------------------------------------------------------------------------
def clean_title(text: str) -> str:
    """A title line without markdown marks, label prefixes or doubled spaces."""
    t = re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip().strip("#*").strip()
    return _TITLE_PREFIX.sub("", t)


def pick_html_title(candidates: list[str | None]) -> str | None:
    """The first candidate that looks like a report title, else the first non-empty one.

    ``<title>`` strings carry the site name after ``_`` or ``|``: only the fitting part is kept.
    """
    parts: list[str] = []
    for cand in candidates:
        if not cand:
            continue
        pieces = [p for p in _TITLE_SPLIT.split(cand) if p.strip()] or [cand]
        fitting = next((p for p in pieces if is_report_title(p)), None)
        if fitting:
            return clean_title(fitting)
        parts.append(clean_title(pieces[0]))
    return parts[0] if parts else None


def find_title_line(lines: list[str], limit: int = 15) -> int | None:
    """Index of the title line among the first ``limit`` non-empty lines of the body."""
    seen = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        seen += 1
        if seen > limit:
            break
        if is_report_title(clean_title(line)) and len(norm(line)) <= 90 and not _SENTENCE.search(line):
            return i
    return None


# --- Agency and year ---------------------------------------------------------------------------
def _clean_agency(text: str) -> str | None:
    t = re.sub(r"[\s\u3000]+", "", text).strip("#*：:，,。、（）()《》“”\"'")
    t = re.sub(r"关于$", "", t)
    return t if 2 <= len(t) <= 40 else None


def agency_from_title(title: str) -> str | None:
    """The body named before the year: '平罗县机关事务服务中心 2021年…' → '平罗县机关事务服务中心';
    or, in '2021年度XX局政府信息公开工作年度报告', between the year and 政府信息公开."""
    years = year_mentions(title)
    if not years:
        return None
    start, end, _ = years[0]
    if start > 0:
        return _clean_agency(title[:start])
    after = _SUBJECT.split(title[end:], maxsplit=1)[0]
    name = _clean_agency(after)
    return name if name and _AGENCY_END.search(name) else None


def agency_from_line(line: str) -> str | None:
    """A short heading line that names a body (the line above a title without one)."""
    t = _clean_agency(clean_title(line))
    if not t or any(w in t for w in REPORT_WORDS) or re.search(r"\d", t):
        return None
    return t if _AGENCY_END.search(t) else None


def agency_from_labels(lines: list[str]) -> str | None:
    """发布机构 / 来源 in a metadata table: 'XX局' after the label, or on the next line/cell."""
    for i, line in enumerate(lines):
        for m in _AGENCY_LABEL.finditer(line):
            # The value is the next cell of a metadata grid, the text after the label, or the next line.
            rest = line[m.end() :].lstrip(" \t").split("\t")[0].strip()
            if not rest and i + 1 < len(lines):
                rest = lines[i + 1].strip().split("\t")[0]
            rest = re.split(r"\s{2,}|\s(?=\S+[:：])|[:：]", rest)[0]
            name = _clean_agency(rest)
            if name and _AGENCY_END.search(name) and "网" not in name[-2:]:
                return name
    return None


def year_from_period(text: str) -> int | None:
    """The year of the statistics period sentence ('…从2024年1月1日至12月31日')."""
    m = _PERIOD.search(text)
    if m:
        y = int(m.group(1))
        return y if m.group(2) is None or int(m.group(2)) == y else None
    return None


# --- Dates -------------------------------------------------------------------------------------
def meta_date(metas: dict[str, str]) -> date | None:
    """Publication date from head metas (PubDate and friends)."""
    for name in _META_DATE_NAMES:
        if metas.get(name):
            found = find_date(metas[name])
            if found:
                return found
    return None


def labelled_date(lines: list[str], label: re.Pattern[str]) -> date | None:
    """The date after a label (发布日期：…), on the same line/cell or the next."""
    for i, line in enumerate(lines):
        m = label.search(line)
        if not m:
            continue
        found = find_date(line[m.end() : m.end() + 40])
        if found is None and i + 1 < len(lines):
            found = find_date(lines[i + 1][:40])
        if found:
            return found
    return None


def published_label_date(lines: list[str]) -> date | None:
    """发布日期 / 发布时间 from page metadata lines."""
    return labelled_date(lines, _PUBLISHED_LABEL)


def signed_label_date(lines: list[str]) -> date | None:
    """成文日期 from page metadata lines."""
    return labelled_date(lines, _SIGNED_LABEL)


def url_date(url: str | None) -> date | None:
    """Date encoded in a CMS path: /202401/t20240115_…, /art/2024/1/16/, /2024-01-15/."""
    if not url:
        return None
    for pattern in _URL_DATES:
        m = pattern.search(url)
        if m:
            found = _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if found:
                return found
    return None


def signature_date(lines: list[str], tail: int = 6) -> date | None:
    """A date line closing the text (the signature, e.g. '2022年1月20日')."""
    checked = 0
    for line in reversed(lines):
        t = line.strip()
        if not t:
            continue
        checked += 1
        if checked > tail:
            break
        if len(norm(t)) > 40:
            continue
        found = find_date(t)
        if found and (_DATE.search(t) or _CN_DATE.search(t)):
            rest = _DATE.sub("", _CN_DATE.sub("", norm(t)))
            # The line is the date, perhaps after the body's name; not a sentence that cites one.
            if len(rest) <= 25 and not re.search(r"[，。；,;]", rest):
                return found
    return None
