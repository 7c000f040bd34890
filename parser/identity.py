"""Whether a document names itself an annual disclosure report for a year, and where it says so.

A report is a report because it says so, not because its tables could be read: the title, a
heading near the top (one line, or the agency on one line and the year and subject on the next),
the sentence announcing the report ("现将我局2022年度政府信息公开工作情况报告如下") or the
statistics-period sentence of the preamble ("本报告中所列数据统计期限为2023年1月1日至…").
Such a document is filed as that year's report even when none of its tables can be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.titles import normalize_title
from core.traditional import to_simplified
from parser import fields
from parser.labels import norm

# The report announcing itself: "现将我局2022年度政府信息公开工作情况报告如下", "现向社会公开…
# 2020年政府信息公开工作年度报告", a heading "关于2022年度政府信息公开情况的报告". Someone else's
# words about a report ("…正式向社会发布2020年…年度报告") are not. Matched on normalised text.
_ANNOUNCED = re.compile(
    r"(?:现(?:将|发布|公布|公开|予以?公布|向社会公[开布])|特向社会公[开布]|^关于)《?([^。；;,《》]{0,30}?)"
    r"((?:19|20)\d{2})年度?[^。；;]{0,20}?(?:政府信息公开|政务公开|信息公开)[^。；;]{0,12}?报告"
)
# The preamble naming whose work the report covers: "结合宣城高新区管委会政府信息公开工作有关统计数据",
# "结合2022年威海市人民政府办公室政府信息公开工作实际". (Not "由…编制": a government's report is
# compiled by its office, which is not the reporting body.)
_COVERED_BODY = re.compile(r"结合(?:(?:19|20)\d{2}年度?)?([^,。;:《》()]{2,30}?)的?(?:政府信息公开|政务公开)工作")
# A title names the report when it ends with it: "…年度报告发布" is a news item about one.
_TITLE_TAIL = re.compile(r"(?:\([^()]{0,20}\)|\[[^\[\]]{0,20}\]|[\s.:])*$")
# One report title inside a line, without label prefixes (名称:) or trailing fields (信息来源:).
_TITLE_CORE = re.compile(r"[^:>]{0,40}?(?:19|20)\d{2}年度?[^:>]{0,30}?(?:报告|年报)")
# The preamble's period sentence must speak of the report (本报告/年度报告/所列数据), so the
# same dates elsewhere (a plan, a notice) are no evidence.
_PERIOD_CONTEXT = ("本报告", "年度报告", "所列数据", "统计期限", "统计时限", "统计时间")
_HEAD_LINES = 15


@dataclass
class ReportName:
    """The year a document names itself the annual report of, and where it said so."""

    year: int
    source: str  # title | heading | two_line_heading | announcement | period
    text: str
    agency: str | None = None  # the body named with it, as printed ("临洮县新添镇")


def names_report(text: str) -> bool:
    """Whether ``text`` is a report title that ends with the report (not '…报告发布', '…报告的函')."""
    if not fields.is_report_title(text):
        return False
    n = norm(text)
    if re.search(r"[,;。!?]", n):  # a sentence that mentions a report, not a title
        return False
    return _TITLE_TAIL.sub("", n).endswith(("报告", "年报"))


def _from_title(title: str | None) -> ReportName | None:
    if title and names_report(title):
        year = fields.year_from_title(title)
        if year:
            return ReportName(year, "title", title, fields.agency_from_title(title))
    return None


def head_lines(lines: list[str], limit: int = _HEAD_LINES) -> list[tuple[int, str]]:
    """(index, text) of the first ``limit`` non-empty lines."""
    out: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if line.strip():
            out.append((i, line.strip()))
            if len(out) >= limit:
                break
    return out


def two_line_title(lines: list[str]) -> tuple[str, int] | None:
    """A title printed over two lines, joined: the agency on one line and 'YEAR年政府信息公开工作
    年度报告' on the next, or 'AGENCY YEAR年' over '政府信息公开工作年度报告'. Returns (joined
    title, index of the first line)."""
    head = head_lines(lines)
    for (i, first), (_, second) in zip(head, head[1:]):
        if len(norm(first)) > 40 or len(norm(second)) > 60:
            continue
        joined = fields.clean_title(first) + fields.clean_title(second)
        if not fields.is_report_title(joined) or fields.is_report_title(fields.clean_title(first)):
            continue
        if fields.year_from_title(joined) and (
            fields.agency_from_line(first) or (not fields.is_report_title(second) and fields.year_from_title(first))
        ):
            return joined, i
    return None


def _from_heading(lines: list[str]) -> ReportName | None:
    for _, raw in head_lines(lines):
        line = fields.clean_title(raw)
        if fields.is_breadcrumb(line) or len(norm(line)) > 90:
            continue
        year = fields.year_from_title(line) if names_report(line) else None
        if year:
            return ReportName(year, "heading", line, fields.agency_from_title(line))
    joined = two_line_title(lines)
    if joined is not None:
        year = fields.year_from_title(joined[0])
        if year:
            return ReportName(year, "two_line_heading", joined[0], fields.agency_from_title(joined[0]))
    return None


def _from_announcement(lines: list[str]) -> ReportName | None:
    for _, line in head_lines(lines):
        m = _ANNOUNCED.search(norm(line))
        if m:
            year = int(m.group(2))
            if 1990 <= year <= 2100:
                return ReportName(year, "announcement", line[:120], _announced_agency(m.group(1)))
    return None


def _announced_agency(name: str) -> str | None:
    """The body in "现公布《临洮县新添镇2022年…》"; not "我局"/"本单位", which name nobody."""
    name = name.strip("《》()")
    if len(name) < 2 or name.startswith(("我", "本", "全", "各")):
        return None
    return name


_NOT_A_NAME = re.compile(r"[<>:：|]|位置|首页|Page\d|信息公开|^标题|^[一二三四五六七八九十\d]+[)）、.]|^(?:为|根据|按照|依据)")


def plausible_agency(name: str | None) -> bool:
    """False for what a misread title yields instead of a body's name: a breadcrumb trail
    ("当前位置:首页>…"), a section heading ("一)主动公开"), the start of a sentence ("为切实做好")."""
    if not name:
        return False
    n = norm(name)
    return not _NOT_A_NAME.search(n) and n.count("(") == n.count(")")


def preamble_agency(lines: list[str]) -> str | None:
    """The body whose disclosure work the preamble says the report covers (结合XX政府信息公开工作…)."""
    for _, line in head_lines(lines):
        m = _COVERED_BODY.search(norm(line))
        if m:
            return _announced_agency(m.group(1))
    return None


# The last lines of a report: the body's name, then the date (落款), or both on one line.
_SIGNATURE_LINES = 6


def signed_agency(lines: list[str]) -> str | None:
    """The agency named in the signature (落款) closing the text: the line above the closing
    date line, or the text before the date on the same line."""
    tail = [line.strip() for line in lines if line.strip()][-_SIGNATURE_LINES:]
    for i in range(len(tail) - 1, -1, -1):
        line = tail[i]
        if len(norm(line)) > 40 or fields.find_date(line) is None:
            continue
        if fields.signature_date([line]) is None:
            continue
        before = re.split(r"(?:19|20)\d{2}\s*年|[〇○零一二三四五六七八九]{4}\s*年", line, maxsplit=1)[0]
        if before.strip():
            return fields.agency_from_line(before)
        return fields.agency_from_line(tail[i - 1]) if i > 0 else None
    return None


def _from_period(title: str | None, text: str) -> ReportName | None:
    # Traditional pages read in simplified form; the subject words may be in the title only (a
    # body that gives just the period under a title naming the report).
    head = to_simplified(text[:6000])
    if not any(w in normalize_title(title) + head[:3000] for w in ("政府信息公开", "政务公开", "信息公开")):
        return None
    for sentence in re.split(r"[。\n]", head):
        if not any(w in sentence for w in _PERIOD_CONTEXT):
            continue
        year = fields.year_from_period(sentence)
        if year:
            return ReportName(year, "period", sentence.strip()[:120])
    return None


def looks_like_list(lines: list[str]) -> bool:
    """Three or more different report titles near the top: a list of reports (a column page), not
    one report. A title repeated in a metadata line (名称：…  信息来源：…) counts once."""
    titles: list[str] = []
    for _, line in head_lines(lines, 30):
        t = norm(fields.clean_title(line))
        if fields.is_breadcrumb(t) or not fields.is_report_title(t):
            continue
        m = _TITLE_CORE.search(t)
        core = m.group(0) if m else None
        if core and not any(core.endswith(k) or k.endswith(core) for k in titles):
            titles.append(core)
    return len(titles) >= 3


def report_name(title: str | None, lines: list[str], text: str) -> ReportName | None:
    """Where the document names itself an annual disclosure report for a year (strongest first);
    None for a list of reports."""
    if looks_like_list(lines):
        return None
    return _from_title(title) or _from_heading(lines) or _from_announcement(lines) or _from_period(title, text)


SOURCE_WORDS = {
    "title": "its title",
    "heading": "its heading",
    "two_line_heading": "its heading (over two lines)",
    "announcement": "its opening sentence",
    "period": "its statistics-period sentence",
}
