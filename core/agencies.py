"""Who an agency is and what kind of body it is, read from its name and its site.

One body is printed under many names: ``某市某区人民政府`` one year and ``某区人民政府`` the next,
``县政府办`` beside ``县人民政府办公室``, brackets full- or half-width, a traditional character here
and there. ``agency_key`` turns every such form into one key, so that a report is filed under the
agency it belongs to and a year is never reported missing because its name changed form. What
the rules cannot know (a renamed bureau, a local short name) the settings say with aliases.

``agency_level`` decides which deadline applies (docs/report-format.md §1): the body that acts as
the site's government (its 人民政府 or that government's office, a 行政公署, the 管委会 of a 新区 /
综合实验区 / 开发区 whose portal it is) gets the government's date; townships and streets their
own; everything else is a department. A level declared in settings always wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from core.traditional import TRADITIONAL_TO_SIMPLIFIED

# Bump when a change below changes the key or the level of some name: every stored agency is then
# rekeyed (and merged where two turn out one) by the next sync of the sites (storage.sites).
RULES_VERSION = 2  # 2: one traditional table with the titles' (core.traditional); 行署, 人民政府办

# The agency a report is filed under when neither the document nor its site can tell which body
# published it (storage.ingest): never expected, it holds such reports for review (the monitor's
# ``unnamed_agency`` finding) so that they still count as published.
UNNAMED_AGENCY = "未写明发布机构"

_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "【": "(", "】": ")", "［": "(", "］": ")", "[": "(", "]": ")", "﹝": "(", "﹞": ")", "「": "", "」": "", "“": "", "”": "", '"': ""})
_SPACE = re.compile(r"[\s·・•]+")

# Units of a region path, for regions written without separators ("宁夏回族自治区石嘴山市平罗县").
_UNIT = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|盟|市|县|区|旗)")  # not 州: 杭州市

# Short and long forms of one body, at the end of a name (applied before and after the site's region
# is stripped). Each is a whole phrase whose long form is unambiguous; a short form that several bodies share (文旅局: 文化和
# 旅游局 or 文化旅游广电局?) is left to the aliases in settings.
_EXPANSIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"([县市区旗])府办$", r"\1人民政府办公室"),
        (r"(?:人民)?政府办(公室)?$", "人民政府办公室"),  # 县政府办, 县人民政府办
        (r"行署(办公室)?$", r"行政公署\1"),
        (r"(?<!人民)政府办公厅$", "人民政府办公厅"),
        (r"(?<!人民)政府$", "人民政府"),
        (r"^([县市区旗])府$", r"\1人民政府"),
        (r"管委会(办公室)?$", r"管理委员会\1"),
        (r"街道(办事处|办)?$", "街道办事处"),
        (r"([镇乡])$", r"\1人民政府"),
        (r"人社局$", "人力资源和社会保障局"),
        (r"发改局$", "发展和改革局"),
        (r"发改委$", "发展和改革委员会"),
        (r"卫健局$", "卫生健康局"),
        (r"卫健委$", "卫生健康委员会"),
        (r"(健康|改革)委$", r"\1委员会"),
        (r"住建局$", "住房和城乡建设局"),
        (r"市场监管局$", "市场监督管理局"),
        (r"医保局$", "医疗保障局"),
        (r"应急局$", "应急管理局"),
        (r"退役军人局$", "退役军人事务局"),
    )
)
_ANY_EXPANSION = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _EXPANSIONS))
# "和" is printed or left out inside these fixed phrases: 人力资源(和)社会保障局, 发展(和)改革局.
_OPTIONAL_AND = re.compile(r"(人力资源|发展|住房|文化|农业|交通|自然资源|生态)和(?=社会保障|改革|城乡建设|旅游|农村|运输|规划|环境)")

_GOVERNMENT_SELF = re.compile(r"^(人民政府|人民政府办公室|人民政府办公厅|行政公署|行政公署办公室|管理委员会|管理委员会办公室)$")
_GOVERNMENT = re.compile(r"(人民政府|人民政府办公室|人民政府办公厅|行政公署|行政公署办公室)$")
_TOWNSHIP = re.compile(r"(镇|乡|街道|街道办事处|苏木|民族乡)(人民政府|人民政府办公室)?$")
_ZONE_COMMITTEE = re.compile(r"(新区|实验区|开发区|示范区|高新区|合作区|基地)管理委员会(办公室)?$")


def clean_name(name: str) -> str:
    """The name with spaces, bracket forms, full-width characters and traditional characters unified."""
    n = unicodedata.normalize("NFKC", name).translate(TRADITIONAL_TO_SIMPLIFIED).translate(_BRACKETS)
    return _SPACE.sub("", n)


@lru_cache(maxsize=4096)  # a few thousand sites, asked about for every name
def region_units(region: str) -> tuple[str, ...]:
    """The units of a region path, outermost first: ``宁夏回族自治区/石嘴山市/平罗县`` → three units."""
    region = clean_name(region.replace("/", " / ").replace(",", " / ").replace("，", " / "))
    parts = [p for p in re.split(r"[/>]+", region) if p]
    if len(parts) > 1:
        return tuple(parts)
    units = _UNIT.findall(region)
    rest = region[sum(map(len, units)) :]
    return (*units, *([rest] if rest else []))


def strip_region(name: str, units: tuple[str, ...]) -> str:
    """``name`` without a leading run of the site's own region units, ending at the site's own unit
    (so ``石嘴山市人民政府`` on the 平罗县 site stays the city's), or the province printed short
    (``宁夏平罗县…``); else without a generic ``县``/``区``/``市``/``省``… standing for the site's
    own unit (``县人民政府办公室``, ``区教育局``, ``自治区教育厅``)."""
    if not units:
        return name
    for prefix in _prefixes(units):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    generic = _GENERIC.search(units[-1])
    if generic and name.startswith(generic.group(0)):
        rest = name[len(generic.group(0)) :]
        # Only a generic prefix: 县人民政府, 县教育局 — not 区域…, 市场监督管理局, 县域….
        if re.match(r"(人民政府|[^场域级直属].{0,11}(局|厅|委员会|委|办公室|中心|院|所|队))$", rest):
            return rest
    return name


# What a name may print for "this" unit: 县人民政府 on a county's portal, 自治区教育厅 on a region's.
_GENERIC = re.compile(r"(自治区|自治州|自治县|自治旗|省|市|州|县|区|旗|盟)$")


@lru_cache(maxsize=4096)
def _prefixes(units: tuple[str, ...]) -> tuple[str, ...]:
    """The region prefixes a name of the site may start with, longest first: each run of units
    ending at the site's own, and the same with the province printed short (宁夏 for
    宁夏回族自治区, 浙江 for 浙江省), whole or straight before the site's own unit."""
    runs = {"".join(units[i:]) for i in range(len(units))}
    top = re.sub(r"((回族|壮族|维吾尔|藏族)?(自治区|特别行政区)|省)$", "", units[0])
    if top and top != units[0]:
        runs |= {top + "".join(units[1:]), top + units[-1] if len(units) > 1 else top}
    return tuple(sorted(runs, key=len, reverse=True))


def _expand(name: str) -> str:
    if "和" in name:
        name = _OPTIONAL_AND.sub(r"\1", name)
    if _ANY_EXPANSION.search(name):  # most names need none: one search instead of twenty
        for pattern, repl in _EXPANSIONS:
            name = pattern.sub(repl, name)
        name = _OPTIONAL_AND.sub(r"\1", name)
    return name


def agency_key(name: str, region: str = "", aliases: Mapping[str, str] | None = None) -> str:
    """The key under which ``name`` is one agency of a site in ``region``: cleaned, the site's own
    region prefix stripped, common short forms expanded, then mapped through ``aliases`` (alias key →
    official key, as ``alias_keys`` builds them)."""
    key = _key(name, region)
    if aliases:
        key = aliases.get(key, key)
    return key


@lru_cache(maxsize=1 << 16)  # a sync keys every stored agency: most names recur
def _key(name: str, region: str) -> str:
    # Expanded before the region is stripped (县府办 → 县人民政府办公室 → 人民政府办公室) and after.
    return _expand(strip_region(_expand(clean_name(name)), region_units(region)))


def alias_keys(pairs: Iterable[tuple[str, str]], region: str = "") -> dict[str, str]:
    """``{alias key: official key}`` for ``(alias, official name)`` pairs; raises ``ValueError``
    when one alias would stand for two bodies."""
    out: dict[str, str] = {}
    for alias, official in pairs:
        a, o = agency_key(alias, region), agency_key(official, region)
        if a == o:
            continue  # already the same agency by the rules
        if out.get(a, o) != o:
            raise ValueError(f"alias {alias!r} stands for two agencies")
        out[a] = o
    for a, o in list(out.items()):
        if o in out:  # an official name that is itself an alias: follow it once
            out[a] = out[o]
    return out


def agency_level(name: str, declared: str | None = None, *, region: str = "", site_name: str = "") -> str:
    """``government`` (本级政府), ``township`` (乡镇/街道) or ``department``; ``declared`` wins.

    The site's government is its 人民政府 (or that government's office), a 行政公署, or the 管委会 of
    the zone whose portal the site is: with the site's region stripped the name is the bare
    管理委员会, or it is the site's own name. A 人民政府 of another county or city is a government
    too (its own report is due on the government's date); a township's is a township."""
    if declared:
        return declared
    full = _expand(clean_name(name))
    own = _key(name, region)
    if _GOVERNMENT_SELF.match(own):
        return "government"
    if site_name and _ZONE_COMMITTEE.search(full) and _key(site_name, region) == own:
        return "government"
    if _TOWNSHIP.search(full) and not re.search(r"(县|市|区|旗|盟|州)(人民政府|人民政府办公室)$", full):
        return "township"
    if _GOVERNMENT.search(full):
        return "government"
    return "department"


# --- What an agency name looks like ---------------------------------------------------------
# A body's name ends in what it is (局, 委员会, 人民政府, 镇, 街道办事处…) or is a region standing
# for its government (句容市, 茅箭区); it has no verb, no subject words of a report, no digits
# and no page chrome (网站, 首页, breadcrumb marks). Text that fails this is not an agency.
_BODY_KINDS = (
    "局", "委员会", "委", "办公室", "办公厅", "办", "人民政府", "政府", "中心", "院", "厅", "管委会", "会", "镇", "乡",
    "苏木", "街道办事处", "街道办", "街道", "街办", "机关", "公署", "所", "站", "处", "队", "馆", "署", "部",
)
_PLACES = ("区", "县", "市", "省", "旗", "盟", "州")
# Others that state themselves as a report's publisher in page metadata or above a title (a state
# firm, a school, a prison, a broadcaster), but are not read as a name inside running text, where
# these endings are too common in ordinary words.
_OTHER_PUBLISHERS = ("室", "公司", "集团", "组", "社", "司", "台", "行", "团", "校", "监狱")
_SUFFIXES = _BODY_KINDS + _PLACES
_NAME_SUFFIX = re.compile("(?:" + "|".join(_SUFFIXES) + ")$")
_PUBLISHER_END = re.compile("(?:" + "|".join(_BODY_KINDS + _OTHER_PUBLISHERS) + ")$")


def ends_as_publisher(name: str) -> bool:
    """Whether ``name`` ends as a publishing body does (局, 人民政府, 中心, 公司, 学校…), not a
    bare place: the test for a name stated as a publisher (page metadata, a line over a title)."""
    return _PUBLISHER_END.search(name) is not None


_NOT_IN_NAME = re.compile(
    r"信息公开|政务公开|公开工作|年度|报告|年报|位置|首页|网站|政府网|门户网|关于|做好|报送|根据|依据|主动|申请|"
    r"以下简称|通知|要求|正文|名称|标题|索引|[我了<>/|\\_=+*#@:,.;!?、。，；：“”《》-]"
)
_NOT_NAME_START = re.compile(r"^(?:由|党政|综合|我|本|全|各|该|今|上述|此|其|在|对|为|共(?!青团)|县级|市级|区级)")
_LEVEL_ONLY_START = re.compile(r"^(?:自治区|自治州|自治县|自治旗|省|市|县|区|旗|盟|州)")


def looks_like_agency_name(name: str | None, *, need_suffix: bool = True) -> bool:
    """Whether ``name`` has the shape of an agency's name (see above). ``need_suffix=False`` for a
    name the page itself presents as the body (before the year in a title, after a 发布机构 label,
    on its own line): it need not end as names do (the caller checks what it needs) and may hold
    a digit."""
    if not name:
        return False
    n = clean_name(name)
    if not 2 <= len(n) <= 40 or _NOT_IN_NAME.search(n) or _NOT_NAME_START.match(n):
        return False
    if need_suffix and re.search(r"\d", n):
        return False  # running text (2022年…, 第20条…); a title or label may print 第10局
    outside = re.sub(r"\([^()]*\)", "", n)  # 贵阳市人民政府(市人民政府办公厅) is one body
    if outside.count("政府") > 1 or outside.count("(") != outside.count(")"):
        return False  # a banner of several sites (中国政府网山西省政府忻州市政府), a name cut short
    end = _NAME_SUFFIX.search(outside)
    if end is not None and end.start() == 0:
        return False  # only what a body is (办公室, 人民政府): not which one
    return end is not None or not need_suffix


def is_generic_agency_name(name: str) -> bool:
    """A name that says its level but not its place (市教育局, 区科信局, 县政府): it names a body
    only on its own site, so a fuller form of it elsewhere in the document is preferred."""
    return bool(_LEVEL_ONLY_START.match(clean_name(name)))


def agency_name_end(text: str) -> int:
    """Length of the longest start of ``text`` that ends as an agency name does, or 0."""
    for end in range(min(len(text), 40), 1, -1):
        if text.endswith(_SUFFIXES, 0, end):
            return end
    return 0
