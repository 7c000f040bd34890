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

# Traditional → simplified for the characters of report titles, agency names and the notices
# about reports (mirror sites convert whole pages). Phrases first: 資訊 is Taiwan's 信息.
_TRADITIONAL_PHRASES = (("資訊", "信息"), ("資料", "资料"), ("發佈", "发布"), ("佈", "布"))
_TRAD = (
    "報資開條處機關縣區鄉鎮辦廳農業務訊於經濟發與圖讀說題體聯對衛財審計場環護員會備錄導編製遞項點傳專組織門總統稅營貿醫療藥園規劃態廣東華雲嶺龍陽灣蘇遼寧黃齊維爾陝貴臺紅橋薊漢陰萬請復議訴訟決據轉動數時間為後號興豐寶義學習黨"
    "開數請處總計聯機關資許強費規範務項結轉辦續維審糾訴議復據與國內過為類舉訪報門權證況發廢現決額購單會織業學構屬護實際無補後確認獲繳點經濟預專設應當時間產級條製採區縣鄉鎮動態標題來源發機構號統問題進圖讀傳"
    "齊爭兩體險醫歷壓論環東車書長興政務級屬電視頻動畫徵見議點評測覈檢查報稱關係蘭陸歸區鐵漁軍館屆張揚"
)
_SIMP = (
    "报资开条处机关县区乡镇办厅农业务讯于经济发与图读说题体联对卫财审计场环护员会备录导编制递项点传专组织门总统税营贸医疗药园规划态广东华云岭龙阳湾苏辽宁黄齐维尔陕贵台红桥蓟汉阴万请复议诉讼决据转动数时间为后号兴丰宝义学习党"
    "开数请处总计联机关资许强费规范务项结转办续维审纠诉议复据与国内过为类举访报门权证况发废现决额购单会织业学构属护实际无补后确认获缴点经济预专设应当时间产级条制采区县乡镇动态标题来源发机构号统问题进图读传"
    "齐争两体险医历压论环东车书长兴政务级属电视频动画征见议点评测核检查报称关系兰陆归区铁渔军馆届张扬"
)
assert len(_TRAD) == len(_SIMP), "the traditional/simplified table must pair characters one to one"
TRADITIONAL_TO_SIMPLIFIED = str.maketrans(_TRAD, _SIMP)
# Whether a text holds anything to translate: translating every character is slow, and most
# titles and lines hold neither a traditional character nor a full-width one.
_HAS_TRADITIONAL = re.compile("[" + "".join(sorted(set(_TRAD + "".join(t for t, _ in _TRADITIONAL_PHRASES)))) + "]")

# Full-width ASCII (！ to ～) → ASCII; every kind of space → one space.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_WIDTH_AND_SPACE = str.maketrans({**_FULL_WIDTH, 0x3000: 0x20})
_HAS_WIDE = re.compile("[\uff01-\uff5e\u3000]")

# The subject words of a report title, after which a year no longer names the year reported on.
_SUBJECT = re.compile(r"政府信息公开|政务信息公开|政务公开|信息公开|年度报告|年报|工作报告")
REPORT_WORDS = ("年度报告", "年报", "工作报告")

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "0": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NOT_DATE = r"(?!\s*\d{1,2}\s*月)(?!\s*[一二三四五六七八九十]{1,3}\s*月)"
_YEAR_ARABIC = re.compile(rf"(?<![\d.])((?:19|20)\d{{2}})(?!\d)\s*(?:(?:年度?|年){_NOT_DATE}|(?=\s*(?:政府|政务|信息公开|年报|年度报告)))")
_YEAR_CN_DIGITS = re.compile(rf"([〇○零O一二三四五六七八九]{{4}})\s*年度?{_NOT_DATE}")
_YEAR_CN_SPELLED = re.compile(rf"([二两])千零?(?:([一二三四五六七八九])?(十))?([一二三四五六七八九])?\s*年度?{_NOT_DATE}")
MIN_YEAR = 2000  # the 条例 took effect in 2008; a few local rules earlier. Anything before is noise.

_TRUNCATED = re.compile(r"(?:…|⋯|\.{2,}|。{3,}|·{3,})\s*$")

# Clear evidence that a page is ABOUT reports rather than a report (docs/portals.md §5).
_NEGATIVE = (
    ("interpretation", re.compile(r"解读|图解|一图读懂|一图看懂|读懂|图说|问答|答记者问|政策吹风|视频|动漫|动画|H5", re.I)),
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
_PUBLISHES_REPORT = re.compile(r"(?:印发|公布|发布)\S*?(?:19|20)\d{2}\s*年度?\S*?(?:年度报告|年报|工作报告)》?的?(?:通知|公告)$")


def _same_length(text: str) -> str:
    """Full-width → ASCII, U+3000 → space, traditional → simplified: one character for one, so
    positions in the result are positions in ``text``."""
    t = text.translate(_WIDTH_AND_SPACE) if _HAS_WIDE.search(text) else text
    if not _HAS_TRADITIONAL.search(t):
        return t
    for trad, simp in _TRADITIONAL_PHRASES:
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
    subject words; never the year of a date (2024年1月)."""
    if not title:
        return []
    t = _same_length(title)
    found: list[tuple[int, int, int]] = []
    for m in _YEAR_ARABIC.finditer(t):
        found.append((m.start(), m.end(), int(m.group(1))))
    for m in _YEAR_CN_DIGITS.finditer(t):
        digits = m.group(1)
        if any(c in "〇○零一二三四五六七八九" for c in digits):
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
    evidence."""
    n = _compact(title or "")
    if not n:
        return None
    for reason, pattern in _NEGATIVE:
        if pattern.search(n) and not (reason == "notice" and _PUBLISHES_REPORT.search(n)):
            return reason
    return None


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
