"""Title, agency, report year and dates of a document."""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from collections.abc import Callable, Iterable
from typing import Any

# The title readers live in core.titles (shared with the crawler); these names stay for callers.
from core.titles import REPORT_WORDS, is_report_title, year_mentions  # noqa: F401
from core.titles import report_year as year_from_title  # noqa: F401
from core.agencies import agency_name_end, ends_as_publisher, is_generic_agency_name, looks_like_agency_name
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
_SUBJECT = re.compile(r"政府信息公开|政务信息公开|政务公开|信息公开|年度报告|年报")
# A label before the title (标题：…, 名  称 …) and a flip-book page label (Page 9 - …).
_TITLE_PREFIX = re.compile(r"^(?:(?:标\s*题|名\s*称|题\s*名)\s*(?:[:：]\s*|\s+)|(?:Page|P\.)\s*\d+\s*[-–—:：]\s*)", re.I)
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


def is_breadcrumb(line: str) -> bool:
    """A 'you are here' trail (首页 > 政府信息公开 > 年报, 首页/政府信息公开/…, 网站首页->…), which
    names columns, not a document."""
    return (
        any(mark in line for mark in (">", "»", "›", "→"))
        or "位置" in line[:8]
        or (line.count("/") >= 2 and "首页" in line)
    )


# A sentence or an item of the body, never a title: it opens like one or ends one.
_SENTENCE_START = re.compile(r"^(?:根据|依据|按照|为|本报告|本年度|现将|[一二三四五六七八九十]是|[(（]?[一二三四五六七八九十]+[)）、])")


def is_title_line(line: str) -> bool:
    """Whether a body line can be the document's title: a report title, not a breadcrumb, not a
    sentence of the body."""
    if "报" not in line and "報" not in line:  # every report title names the 报告 / 年报 (cheap first)
        return False
    t = clean_title(line)
    if not is_report_title(t) or len(norm(line)) > 90 or is_breadcrumb(t):
        return False
    return not _SENTENCE.search(t) and not _SENTENCE_START.match(t)


def find_title_line(lines: list[str], limit: int = 15) -> int | None:
    """Index of the title line among the first ``limit`` non-empty lines of the body: the first
    report title there, or a later one that names the year when the first does not (a column
    name in the navigation, '政府信息公开年报', is not the title)."""
    found = head_title_lines(lines, limit)
    return next((i for i in found if year_mentions(clean_title(lines[i]))), found[0] if found else None)


def head_title_lines(lines: list[str], limit: int = 40) -> list[int]:
    """Indexes of the report titles among the first ``limit`` non-empty lines (a page may print
    the title more than once, with and without the agency)."""
    out, seen = [], 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        seen += 1
        if seen > limit:
            break
        if is_title_line(line):
            out.append(i)
    return out


# --- Agency and year ---------------------------------------------------------------------------
_ALIAS_NOTE = re.compile(r"[(（]\s*(?:以下简称|下称|简称)[^()（）]*[)）]")


def _clean_agency(text: str) -> str | None:
    t = _ALIAS_NOTE.sub("", re.sub(r"[\s\u3000]+", "", text)).strip("#*：:，,。、（）()《》“”\"'")
    t = re.sub(r"关于$", "", t)
    if t.count("(") + t.count("（") > t.count(")") + t.count("）"):
        t = re.split(r"[(（](?=[^()（）]*$)", t)[0]  # cut at its bracket: 阜阳市人民政府(办公室
    return t if 2 <= len(t) <= 40 else None


def agency_from_title(title: str) -> str | None:
    """The body named before the year: '平罗县机关事务服务中心 2021年…' → '平罗县机关事务服务中心';
    or, in '2021年度XX局政府信息公开工作年度报告', between the year and 政府信息公开. A cover letter
    ('XX厅关于报送2020年…年度报告的函') is sent by the body reporting; a subject word before the
    year ('伊宁县政府信息公开工作2023年度报告') is not part of the name."""
    years = year_mentions(title)
    if not years:
        return None
    start, end, _ = years[0]
    if start > 0:
        before = _SUBJECT.split(title[:start], maxsplit=1)[0]
        before = re.split(r"关于", before, maxsplit=1)[0]
        name = _clean_agency(clean_title(before))
        return name if looks_like_agency_name(name, need_suffix=False) else None
    after = _SUBJECT.split(title[end:], maxsplit=1)[0]
    name = _clean_agency(after)
    return name if name and ends_as_publisher(name) and looks_like_agency_name(name, need_suffix=False) else None


def agency_from_line(line: str) -> str | None:
    """A short heading line that names a body (the line above a title without one)."""
    t = _clean_agency(clean_title(line))
    if not t or any(w in t for w in REPORT_WORDS) or re.search(r"\d", t):
        return None
    return t if ends_as_publisher(t) and looks_like_agency_name(t, need_suffix=False) else None


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
            if name and ends_as_publisher(name) and "网" not in name[-2:] and looks_like_agency_name(name, need_suffix=False):
                return name
    return None


# --- Agency named in the body ------------------------------------------------------------------
# Where the body of the text stops being a name: punctuation, the verbs and adverbs that follow
# the subject of a sentence ("2022年,XX局认真贯彻…"), the report's subject words, a digit.
_NAME_STOP = re.compile(
    r"[\s,，。;；:：、“”\"《》<>]|\d|深入|认真|坚持|严格|按照|贯彻|围绕|全面|聚焦|不断|积极|进一步|根据|依据|依法|立足|"
    r"持续|着力|高度|扎实|切实|始终|紧扣|紧紧|结合|落实|强化|加强|大力|继续|通过|共(?!青团)|在|以|把|对|各|"
    r"全[区县市镇乡旗盟州年]|编制|汇总|向社会|现将|现就|现公布|关于|报送|做好|为|的|是|年度|政府信息公开|信息公开|"
    r"政务公开|未|已|先后|主动|严"
)
# A body's own office speaks for it in the body text (由XX镇人民政府党政办公室编制, 2021年,XX中心
# 办公室共主动公开…, 请与XX局办公室联系): the report is the body's. A government's 办公室 and a
# committee's 办公室 (编办) are bodies of their own and stay.
_INNER_OFFICE = re.compile(
    r"(?:(?<=人民政府)|(?<=政府)|(?<=[镇乡区]))(?:党政综合办公室|党政办公室|党政办|综合办公室)$"
    r"|(?<=[局院厅心])(?:党政综合办公室|党政办公室|综合办公室|办公室)$"
)
_CONTACT = re.compile(r"请与\s*([^,，。;；(（]{2,40}?)\s*(?:联系|[(（]\s*(?:地址|电话|联系))")
# The report's title inside a sentence: 现公布XX局2022年…年度报告 / 特编制并向社会公布《XX镇2022年…》
# / 现就XX县人民政府2020年度政府信息公开情况报告如下. Another document's title (《…关于…的通知》)
# is not: the report title must end where the sentence or the quotation ends.
_EMBEDDED_TITLE = re.compile(
    r"(?:公布|发布|公开|报送|现就|《)\s*《?((?:(?!关于)[^《》,，。;；:：]){0,40}?(?:19|20)\d{2}\s*年度?[^《》,，。;；]{0,30}?(?:报告|年报))"
    r"(?=》|[。,，;；(（]|如下|\s|$)"
)
_YEAR_LEAD = re.compile(
    r"(?:^|[。；;\n])[^\S\n]*(?:[(（]?[一二三四五六七八九十\d]+[)）、.．]\s*)?((?:19|20)\d{2})\s*年(?:度|以来)?\s*[,，]?\s*"
    r"(?:在[^,，。]{1,30}?下\s*[,，]\s*)?"
)
_COMPILED_BY = re.compile(r"由\s*([^,，。;；]{2,80}?)(?:汇总|综合|负责|牵头)?编制")
_ABOUT_WORK = re.compile(r"(?:做好|结合)\s*(?:(?:19|20)\d{2}年度?)?([^,，。;；]{2,40}?)(?:政府信息公开|政务公开)工作")
_SUBJECT_VERB = re.compile(r"^(?:向社会公[布开]|编制|现将|现就|特向社会)")


def name_at_start(text: str) -> str | None:
    """The agency name a stretch of running text starts with ('东城区城市管理委员会深入贯彻…' →
    '东城区城市管理委员会'), or None: the text up to the first word that cannot be part of a
    name, cut back to where a name can end."""
    t = _ALIAS_NOTE.sub("", re.sub(r"[\s\u3000]+", "", text))
    stop = _NAME_STOP.search(t)
    head = t[: stop.start()] if stop else t
    end = agency_name_end(head)
    name = head[:end] if end else None
    return name if looks_like_agency_name(name) else None


def agency_from_sentences(text: str) -> str | None:
    """The body a report's opening sentences name as publishing the report: the report's title
    quoted in the sentence announcing it (现公布XX局2022年政府信息公开工作年度报告)."""
    for m in _EMBEDDED_TITLE.finditer(text):
        name = agency_from_title(m.group(1))
        if name and looks_like_agency_name(name):
            return name
    return None


def agency_from_body(text: str) -> list[str]:
    """Names the body text gives the reporting agency, most telling first: the subject of the
    sentence publishing or compiling the report (XX局向社会公布…, XX镇政府编制…), the body whose
    work it reports on (做好/结合XX局政府信息公开工作), the subject of a sentence opening with the
    year (2022年,XX局认真贯彻…), the body that compiled it (由XX编制), the contact for questions
    (请与XX联系); a body's own office stands for the body."""
    found: list[str] = []
    for piece in re.split(r"[,，。;；\n]", text):
        if not any(w in piece for w in ("公布", "公开", "编制", "现将", "现就")):
            continue
        name = name_at_start(piece)
        if name and _SUBJECT_VERB.match(re.sub(r"\s+", "", piece)[len(name) :]):
            found.append(name)
    for m in _ABOUT_WORK.finditer(text):
        name = name_at_start(m.group(1))
        if name and name == re.sub(r"\s+", "", m.group(1)):
            found.append(name)
    for m in _YEAR_LEAD.finditer(text):
        name = name_at_start(text[m.end() : m.end() + 60])
        if name:
            found.append(name)
    for m in _COMPILED_BY.finditer(text):
        name = name_at_start(m.group(1))
        if name:
            found.append(name)
    for m in _CONTACT.finditer(text):
        name = name_at_start(m.group(1))
        if name and name == re.sub(r"\s+", "", m.group(1)):
            found.append(name)
    return [_INNER_OFFICE.sub("", name) for name in found]


def best_agency(candidates: Iterable[str | None], body: Callable[[], list[str]]) -> str | None:
    """The first name-shaped candidate (strongest source first), else the first name the body
    gives (``body()``, read only when needed) that says its place; a name that says its level
    but not its place (市教育局) or is only the department (卫生健康局) is replaced by a fuller
    form of it found anywhere. ``candidates`` may be lazy: the weaker ones are looked for only
    when the first found is not enough."""
    rest = iter(candidates)
    chosen = next((c for c in rest if c), None)
    if chosen is not None and not is_generic_agency_name(chosen) and len(chosen) > 6:
        return chosen
    named = ([chosen] if chosen else []) + [c for c in rest if c]
    from_body = body()
    everything = named + from_body
    if chosen is None:
        chosen = next((b for b in from_body if not is_generic_agency_name(b)), None)
        if chosen is None:  # only names without their place: a fuller form, or none
            generic = next(iter(from_body), None)
            if generic is None:
                return None
            core = generic.lstrip("省市县区旗盟州")
            fuller = [d for d in everything if d != generic and d.endswith(core) and not is_generic_agency_name(d)]
            return max(fuller, key=len) if fuller else None
    if is_generic_agency_name(chosen) or len(chosen) <= 6:
        core = chosen.lstrip("省市县区旗盟州") if is_generic_agency_name(chosen) else chosen
        fuller = [
            d for d in everything
            if d != chosen and len(d) > len(chosen) and d.endswith(core) and not is_generic_agency_name(d)
        ]
        if fuller:
            return max(fuller, key=len)
    return chosen


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_PERIOD = re.compile(
    rf"({_CN_YEAR})\s*年\s*一\s*月\s*一\s*日\s*(?:起|开始)?\s*(?:至|到|—|-|~|－)\s*(?:({_CN_YEAR})\s*年\s*)?十二\s*月\s*三十一\s*日"
)
# The preamble saying which year's work it reports: "…汇报我镇2023年政府信息公开工作".
_PREAMBLE_YEAR = re.compile(r"(?:汇报|报告|总结)[^。,，]{0,10}?((?:19|20)\d{2})\s*年度?的?(?:政府信息公开|政务公开)工作")


def year_from_period(text: str) -> int | None:
    """The year of the statistics period sentence ('…从2024年1月1日至12月31日', '自２０２２年…',
    '二〇二二年一月一日至十二月三十一日')."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    m = _PERIOD.search(text)
    if m:
        y = int(m.group(1))
        return y if m.group(2) is None or int(m.group(2)) == y else None
    m = _CN_PERIOD.search(text)
    if m:
        y = cn_year(m.group(1))
        return y if m.group(2) is None or cn_year(m.group(2)) == y else None
    return None


def year_from_body(text: str) -> int | None:
    """The year a report without title, period or announcement reports on: the year its preamble
    names ('本报告…汇报我镇2023年政府信息公开工作'), else the year its general situation opens
    with ('一、总体情况 / 2022年,XX局…'), when it is a plausible report year."""
    m = _PREAMBLE_YEAR.search(text)
    years = [int(m.group(1))] if m else []
    years += [int(m.group(1)) for m in _YEAR_LEAD.finditer(text)][:1]
    top = date.today().year
    return next((y for y in years if 2000 <= y <= top), None)


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
