"""Reading titles of annual disclosure reports: the one home of the title and year heuristics.

Used by the crawler (which list entries to follow) and the parser (title, report year, what a
page is). Titles on real portals write years in full-width digits (``２０２４年``), Chinese
numerals (``二〇二三年度``, ``二零二三年``, ``两千零二十三年``), come in traditional characters
from mirror sites (``政府資訊公開工作年度報告``), carry the site name or a date after the subject,
or are cut short by the list (``…``/``...``). Everything here works on :func:`normalize_title`'s
form. No I/O, no dependency: the traditional-character table is small and covers the words the
decisions look at, not the language.
"""

from __future__ import annotations

import re
from datetime import date

from core import traditional

# Traditional → simplified: the one table (core.traditional), re-exported for callers of this module.
TRADITIONAL_TO_SIMPLIFIED = traditional.TRADITIONAL_TO_SIMPLIFIED

# Full-width ASCII (！ to ～) → ASCII; every kind of space → one space.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_WIDTH_AND_SPACE = str.maketrans({**_FULL_WIDTH, 0x3000: 0x20})
_HAS_WIDE = re.compile("[\uff01-\uff5e\u3000]")

# The subject words of a report title, after which a year no longer names the year reported on.
_SUBJECT = re.compile(r"政府信息公开|政务信息公开|政务公开|信息公开|年度报告|年报|工作报告")
REPORT_WORDS = ("年度报告", "年报", "工作报告")

_CN_DIGIT = {
    "〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "0": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    # The capital numerals of financial writing (贰零贰叁年, 貳零貳叁年 on a traditional page).
    "壹": 1, "贰": 2, "貳": 2, "叁": 3, "参": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
_CN_YEAR_DIGIT = "[〇○零Oo0一二三四五六七八九壹贰貳叁参肆伍陆柒捌玖]"
_NOT_DATE = r"(?!\s*\d{1,2}\s*月)(?!\s*[一二三四五六七八九十]{1,3}\s*月)"
_YEAR_ARABIC = re.compile(rf"(?<![\d.])((?:19|20)\d{{2}})(?!\d)\s*(?:(?:年度?|年){_NOT_DATE}|(?=\s*(?:政府|政务|信息公开|年报|年度报告)))")
# A year alone in brackets: "某县(2023)政府信息公开…", "…年度报告【2023】"; not a document number
# (某政发(2023)5号; 〔2023〕 is only ever one).
_YEAR_BRACKETED = re.compile(r"(?<![发函字])[(\[【]\s*((?:19|20)\d{2})\s*[)\]】](?!\s*第?\d+\s*号)")
_YEAR_CN_DIGITS = re.compile(rf"({_CN_YEAR_DIGIT}{{4}})\s*年度?{_NOT_DATE}")
_YEAR_CN_SPELLED = re.compile(rf"([二两贰貳])[千仟]零?(?:([一二三四五六七八九贰貳叁参肆伍陆柒捌玖])?([十拾]))?([一二三四五六七八九壹贰貳叁参肆伍陆柒捌玖])?\s*年度?{_NOT_DATE}")
MIN_YEAR = 2000  # the 条例 took effect in 2008; a few local rules earlier. Anything before is noise.

_TRUNCATED = re.compile(r"(?:…|⋯|\.{2,}|。{3,}|·{3,})\s*$")

# Clear evidence that a page is ABOUT reports rather than a report (docs/portals.md §5).
_NEGATIVE = (
    ("interpretation", re.compile(r"解读|图解|一图读懂|一图看懂|读懂|图说|问答|答记者问|政策吹风")),
    ("interpretation", re.compile(r"视频|动漫|动画|H5", re.I)),
    ("work_plan", re.compile(r"工作要点")),
    # 机构编制委员会办公室 and 培训中心 are agencies that publish reports of their own.
    ("compiling_notice", re.compile(r"(?<!机构)编制(?!委员会|办公室|委)|部署|培训(?:会|班)|征求意见|意见征集")),
    # A notice asking bodies to submit reports; "关于报送…年度报告的函" is a report sent up with its cover letter.
    ("submission_notice", re.compile(r"报送.*通知|做好.*报送|报送工作|做好.*(?:年度报告|年报).*(?:通知|工作)")),
    ("national_format", re.compile(r"年度报告格式|年报格式|报告格式|国办公开办函")),
    ("review_notice", re.compile(r"(?:检查|评估|评议|考核|抽查|测评|核查).*(?:通报|情况|结果)|通报")),
    ("meeting", re.compile(r"召开|会议")),
    # A notice, bulletin or forward about reports in general; one that publishes a named report
    # ("关于印发某县2023年政府信息公开工作年度报告的通知") is no evidence either way.
    ("notice", re.compile(r"^转发|(?:通知|通告|公告|公示|简报|纪要)$")),
)
# Words of the list above that are also parts of bodies' names (县会议中心, 县视频监控中心, 县考核
#办公室): inside the name of the body that opens the title, before its year and subject, they are
# no evidence. Never the words that only ever speak about a report (解读, 一图读懂, 通知).
_NOT_IN_NAMES = frozenset({"解读", "图解", "一图读懂", "一图看懂", "读懂", "图说", "问答", "答记者问", "政策吹风", "工作要点"})
_BODY_END = re.compile(r"(?:中心|局|站|所|院|馆|室|队|委员会|办公室|公司|台|厅|处|学校|集团|基地)$")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+$")
_PUBLISHES_REPORT = re.compile(r"(?:印发|公布|发布)\S*?(?:19|20)\d{2}\s*年度?\S*?(?:年度报告|年报|工作报告)》?的?(?:通知|公告)$")


def _same_length(text: str) -> str:
    """Full-width → ASCII, U+3000 → space, traditional → simplified: one character for one, so
    positions in the result are positions in ``text``."""
    t = text.translate(_WIDTH_AND_SPACE) if _HAS_WIDE.search(text) else text
    if not traditional.HAS_TRADITIONAL.search(t):
        return t
    for trad, simp in traditional.PHRASES:  # same length: 資訊 → 信息
        t = t.replace(trad, simp)
    return t.translate(TRADITIONAL_TO_SIMPLIFIED)


def normalize_title(text: str | None) -> str:
    """A title in matching form: full-width → ASCII, every space (U+3000, NBSP…) one space,
    traditional characters of the words that matter → simplified, trimmed."""
    if not text:
        return ""
    return _SPACES.sub(" ", _same_length(text)).strip()


def _compact(text: str) -> str:
    """Normalised and without spaces: "2021 年政府信息 公开" matches like "2021年政府信息公开"."""
    return normalize_title(text).replace(" ", "")


def is_truncated(title: str | None) -> bool:
    """Whether a list cut the title short (``…``, ``...``)."""
    return bool(title and _TRUNCATED.search(title.strip()))


def year_mentions(title: str | None) -> list[tuple[int, int, int]]:
    """Every year written in ``title`` as (start, end, year), positions in ``title`` itself:
    2023年, 2023年度, ２０２３年, 二〇二三年, 二零二三年, 两千零二十三年, or 2023 right before the
    subject words, or alone in brackets ((2023), 【2023】); never the year of a date (2024年1月)."""
    if not title:
        return []
    t = _same_length(title)
    found: list[tuple[int, int, int]] = []
    for m in _YEAR_ARABIC.finditer(t):
        found.append((m.start(), m.end(), int(m.group(1))))
    for m in _YEAR_BRACKETED.finditer(t):
        found.append((m.start(), m.end(), int(m.group(1))))
    for m in _YEAR_CN_DIGITS.finditer(t):
        digits = m.group(1)
        if not all(c in "0Oo" for c in digits):  # not "OOOO年"
            found.append((m.start(), m.end(), int("".join(str(_CN_DIGIT[c]) for c in digits))))
    for m in _YEAR_CN_SPELLED.finditer(t):
        tens = (_CN_DIGIT[m.group(2)] if m.group(2) else 1) if m.group(3) else 0
        units = _CN_DIGIT[m.group(4)] if m.group(4) else 0
        found.append((m.start(), m.end(), 2000 + tens * 10 + units))
    return sorted(found)


def report_year(title: str | None, *, latest: int | None = None) -> int | None:
    """The year a title reports on: the last year written before the subject words
    (政府信息公开…年度报告 / 年报 / 年度报告), so a date after them does not count; the first year
    when there are no subject words. Years before 2000 or after ``latest`` (default: this year)
    are not plausible and are ignored."""
    if not title:
        return None
    top = latest if latest is not None else date.today().year
    years = [(start, y) for start, _, y in year_mentions(title) if MIN_YEAR <= y <= top]
    if not years:
        return None
    subject = _SUBJECT.search(_same_length(title))
    before = [y for start, y in years if subject is None or start < subject.start()]
    return before[-1] if before else years[0][1]


def mentions_report(text: str | None) -> bool:
    """Whether a text speaks of an annual disclosure report (年度报告/年报/工作报告 and 公开)."""
    n = _compact(text or "")
    return any(w in n for w in REPORT_WORDS) and "公开" in n


def is_report_title(title: str | None) -> bool:
    """Whether ``title`` reads positively like the title of an annual disclosure report:
    a short line naming 年度报告 / 年报 / 工作报告 with 公开 (or 年报 alone)."""
    # _compact only drops spaces: its length is known before the (slower) normalisation, and
    # most lines of a body are too long to be a title.
    if not 6 <= len(_SPACES.sub("", title or "")) <= 90:
        return False
    n = _compact(title or "")
    return any(w in n for w in REPORT_WORDS) and ("公开" in n or "年报" in n)


def negative_evidence(title: str | None) -> str | None:
    """The reason a title is clearly NOT a report but about one (an interpretation, a work plan,
    a notice about compiling or submitting reports, the national format notice, a review, a
    meeting, a notice or bulletin about reports in general), or None when the title gives no such
    evidence. A word that is part of the publishing body's name (县会议中心…) is no evidence."""
    n = _compact(title or "")
    if not n:
        return None
    for reason, pattern in _NEGATIVE:
        if reason == "notice" and _PUBLISHES_REPORT.search(n):
            continue
        if any(not _inside_body_name(n, m) for m in pattern.finditer(n)):
            return reason
    return None


def _body_name_end(n: str) -> int:
    """Where the body's name that opens a title ends: at its first year or subject word."""
    starts = [start for start, _, _ in year_mentions(n)[:1]]
    subject = _SUBJECT.search(n)
    if subject:
        starts.append(subject.start())
    return min(starts, default=0)


def _inside_body_name(n: str, m: re.Match[str]) -> bool:
    """Whether the match lies inside one run of a body's name before the year and subject (县会议中心
    2023年…): characters on both sides of it, and the run ends as a body's name does."""
    if m.group(0) in _NOT_IN_NAMES or m.start() == 0:
        return False
    end = _body_name_end(n)
    name = n[:end]
    return m.end() < end and bool(_CJK_RUN.search(n[m.start() - 1 : end])) and len(_CJK_RUN.search(name).group(0)) == len(name) and bool(_BODY_END.search(name))  # type: ignore[union-attr]


__all__ = [
    "MIN_YEAR",
    "REPORT_WORDS",
    "TRADITIONAL_TO_SIMPLIFIED",
    "is_report_title",
    "is_truncated",
    "mentions_report",
    "negative_evidence",
    "normalize_title",
    "report_year",
    "year_mentions",
]
