"""Simulated portals for the recall of each CMS family's list machinery (tests/test_crawler_families.py).

=============  ===========  =======================================================================
site id        address      what it holds
=============  ===========  =======================================================================
mixed          127.0.0.20   a hand-made root listing ``2024年度``/``2023年度`` TRS year columns paged
                            by ``createPageHTML`` (3 pages each), and a link handing over to a
                            gkmlpt category ``/gkmlpt/index#<catid>`` (JSON list, 2 pages)
mixed-cms      127.0.0.33   the same tree on a site configured ``cms: trs``: the gkmlpt shell's own
                            markers override the configured family
gkml-frag      127.0.0.21   a gkmlpt platform with two 年报 categories given as start URLs that
                            differ only by the fragment; one category served whole (404 for page 2,
                            links in ``post_url``)
gkml-tree      127.0.0.22   the same kind of platform, start URL without a fragment: the 年报
                            categories named in ``window._CONFIG`` beside a 政策文件 category
gkml-api       127.0.0.23   start URL without a fragment, the category tree served as JSON
hanweb-big     127.0.0.24   Hanweb: 3 records in the page's ``<datastore>``, 15 in all, POST windows;
                            records in the markup of a real ``dataproxy.jsp`` answer (温州市科技局);
                            one report only as a file linked ``[附件下载]`` as on a real article
vsb-long       127.0.0.25   VSB: 5 list pages counting down (``col.htm``, ``col/4.htm`` … ``col/1.htm``)
vsb-numbers    127.0.0.30   the same with a pager of page numbers only (no 下页 link)
dede-static    127.0.0.26   DedeCMS ``index.html`` then ``list_32_<n>.html``
dede-php       127.0.0.27   DedeCMS ``/plus/list.php?tid=&TotalResult=&PageNo=`` and ``view.php?aid=``
dede-*-nonext  .31, .32     both Dede styles with a pager of numbers and ``共 N页`` only (no 下一页)
trs-countpage  127.0.0.28   TRS list in the markup of a real column (tests/recorded/trs/, 恩格贝 信息公开年报):
                            sibling columns in a side menu, layout table, titles as link text, news
                            items among the reports, ``var countPage`` pager written by script
generic-pe     127.0.0.36   a 动易 SiteFactory column in the markup of a real one (tests/recorded/generic/,
                            靖安县 政务要闻): ``Category_N/Index.aspx`` then ``Index_k.aspx``,
                            ``/Item/N.aspx`` articles, dated rows, the newest repeated without a
                            year in a menu and without dates in a 热门排行 box, a meeting among them
=============  ===========  =======================================================================
"""

from __future__ import annotations

from datetime import date

from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.families import (
    Article,
    Attachment,
    DedeColumn,
    GenericColumn,
    GkmlptCategory,
    GkmlptColumn,
    GkmlptPlatform,
    HanwebColumn,
    PowerEasyColumn,
    TrsColumn,
    VsbColumn,
)
from nianbao.demo.server import Handler, Page, PortalServer

from . import SimPortal

SEEDS = ("pengyang_approval_2021", "pingluo_approval_2024", "pingluo_affairs_2021", "xixia_approval_2020", "ziyang_approval_2020")
BUREAUS = ("财政局", "教育局", "民政局", "审计局", "司法局", "农业农村局", "水利局", "交通运输局", "卫生健康局", "自然资源局",
           "商务局", "应急管理局", "统计局", "林业局", "文化旅游局", "住房城乡建设局")  # fmt: skip


def reports(county: str, year: int, count: int, *, start: int = 0, published: date | None = None) -> list[Article]:
    """``count`` reports of ``county``'s bureaus for ``year``, each a parseable seed told about them."""
    day = published or date(year + 1, 1, 10)
    out = []
    for k in range(start, start + count):
        agency = f"{county}{BUREAUS[k % len(BUREAUS)]}"
        body = report_body_html(derived_report(SEEDS[k % len(SEEDS)], agency=agency, year=year))
        out.append(Article(f"{agency}{year}年政府信息公开工作年度报告", date(day.year, day.month, min(28, day.day + k)), body, publisher=agency))
    return out


def attachment_only_report(agency: str, year: int) -> Article:
    """A report whose text is only in its attachment, linked as a real Hanweb article links files."""
    title = f"{agency}{year}年政府信息公开工作年度报告"
    text = derived_report(SEEDS[0], agency=agency, year=year)
    return Article(title, date(year + 1, 1, 9), "<p>详见附件。</p>", attachments=[Attachment(f"{title}.txt", text.encode("utf-8"))], publisher=agency)


def noise(county: str, year: int) -> list[Article]:
    """Entries that are not reports: a 解读 and a notice."""
    return [
        Article(f"《{county}财政局{year}年政府信息公开工作年度报告》解读", date(year + 1, 2, 1), "<p>解读</p>"),
        Article(f"{county}关于做好{year}年度政府信息公开工作年度报告编制发布工作的通知", date(year + 1, 1, 2), "<p>通知</p>"),
    ]


def news_items() -> list[Article]:
    """News a real 年报 column lists besides its reports (tests/recorded/trs/): a meeting, which the
    crawler leaves by its title, and a feature, fetched for the parser to tell it is no report."""
    return [
        Article("恩格贝生态示范区召开2024年度工作会暨党风廉政建设会议", date(2024, 2, 6), "<p>2月5日，示范区召开2024年度工作会议。</p>"),
        Article("恩格贝生态示范区：栽下梧桐引凤来", date(2024, 1, 5), "<p>示范区坚持生态优先、绿色发展，引进企业落户。</p>"),
    ]


def expected(articles: list[Article]) -> list[tuple[str, int]]:
    return sorted((a.publisher, int(a.title[len(a.publisher) : len(a.publisher) + 4])) for a in articles if a.publisher and "解读" not in a.title)


def _robots() -> Page:
    return Page(b"User-agent: *\nDisallow:\n", content_type="text/plain")


def _portal(site_id: str, name: str, host: str, routes: dict[str, Handler], starts: list[str], articles: list[Article]) -> SimPortal:
    return SimPortal(site_id, name, PortalServer({"/robots.txt": _robots(), **routes}, host=host), starts, expected(articles))


def mixed_portal(cms: str = "auto") -> SimPortal:
    county = "临江县" if cms == "auto" else "抚松县"
    site = f"{county}人民政府"
    y2024 = reports(county, 2024, 5)
    y2023 = reports(county, 2023, 5, start=5)
    gkml = reports(county, 2022, 3, start=10)
    col2024 = TrsColumn(prefix="", column_dir="xxgk/ndbg/2024nd", site_name=site, page_size=2, articles=y2024 + noise(county, 2024))
    col2023 = TrsColumn(prefix="", column_dir="xxgk/ndbg/2023nd", site_name=site, page_size=2, articles=y2023)
    platform = GkmlptColumn(prefix="", site_name=site, sid="200301", catid=3301, page_size=2, articles=gkml)
    root = GenericColumn(
        prefix="", column_dir="xxgk/ndbg", site_name=site, articles=[],
        subcolumns=[("2024年度", col2024), ("2023年度", col2023), ("政府信息公开年报（2022年及以前）", platform)],
    )  # fmt: skip
    if cms == "auto":
        return _portal("mixed", site, "127.0.0.20", root.routes(), [root.index_path], y2024 + y2023 + gkml)
    portal = _portal("mixed-cms", site, "127.0.0.33", root.routes(), [root.index_path], y2024 + y2023 + gkml)
    portal.cms = cms
    return portal


def gkmlpt_fragment_portal() -> SimPortal:
    county = "怀集县"
    site = f"{county}人民政府"
    first, second = reports(county, 2023, 5), reports(county, 2022, 4, start=5)
    platform = GkmlptPlatform(
        prefix="", site_name=site, sid="200410",
        categories=[
            GkmlptCategory(4101, "部门政府信息公开年报", first, page_size=2),
            GkmlptCategory(4102, "乡镇政府信息公开年报", second, whole=True, link_field="post_url"),
        ],
    )  # fmt: skip
    starts = [f"{platform.index_path}#4101", f"{platform.index_path}#4102"]
    return _portal("gkml-frag", site, "127.0.0.21", platform.routes(), starts, first + second)


def gkmlpt_tree_portal(site_id: str = "gkml-tree", host: str = "127.0.0.22", tree: str = "config") -> SimPortal:
    county = "封开县" if tree == "config" else "德庆县"
    site = f"{county}人民政府"
    year_reports = reports(county, 2023, 4)
    older = reports(county, 2022, 3, start=4)
    policy = [Article(f"{county}关于印发乡村振兴实施方案的通知", date(2024, 3, 1), "<p>通知</p>", publisher=f"{county}人民政府办公室")]
    platform = GkmlptPlatform(
        prefix="", site_name=site, sid="200520" if tree == "config" else "200630", tree=tree,  # type: ignore[arg-type]
        categories=[
            GkmlptCategory(5201, "政策文件", policy),
            GkmlptCategory(5202, "政府信息公开年报", year_reports, page_size=3),
            GkmlptCategory(5203, "年度报告（乡镇）", older, whole=True),
            GkmlptCategory(5204, "政府信息公开年报解读", noise(county, 2023)[:1]),
        ],
    )  # fmt: skip
    return _portal(site_id, site, host, platform.routes(), [platform.index_path], year_reports + older)


def hanweb_portal() -> SimPortal:
    county = "仙居县"
    articles = reports(county, 2023, 14) + [attachment_only_report(f"{county}文化旅游局", 2023)]
    column = HanwebColumn(prefix="", site_name=f"{county}人民政府", column_id=1229451001, web_id=3377, unit_id=6200301, page_size=2, inline_records=3,
                          record_style="div", articles=articles)  # fmt: skip
    return _portal("hanweb-big", f"{county}人民政府", "127.0.0.24", column.routes(), [column.index_path], articles)


def vsb_portal(numbers_only: bool = False) -> SimPortal:
    county = "清水县" if not numbers_only else "秦安县"
    articles = reports(county, 2023, 9)
    column = VsbColumn(prefix="", site_name=f"{county}人民政府", tree_id=1402, page_size=2, numbers_only=numbers_only, articles=articles)
    site_id, host = ("vsb-numbers", "127.0.0.30") if numbers_only else ("vsb-long", "127.0.0.25")
    return _portal(site_id, f"{county}人民政府", host, column.routes(), [column.index_path], articles)


def dede_portal(dynamic: bool, next_link: bool = True) -> SimPortal:
    county = ("平南县" if not dynamic else "桂平县") if next_link else ("藤县" if not dynamic else "岑溪县")
    articles = reports(county, 2023, 7 if not dynamic else 5)
    column = DedeColumn(
        prefix="", site_name=f"{county}人民政府", tid=32 if not dynamic else 23, dynamic=dynamic, next_link=next_link, page_size=2, articles=articles
    )
    site_id, host = ("dede-php", "127.0.0.27") if dynamic else ("dede-static", "127.0.0.26")
    if not next_link:
        site_id, host = site_id + "-nonext", ("127.0.0.32" if dynamic else "127.0.0.31")
    return _portal(site_id, f"{county}人民政府", host, column.routes(), [column.column_link], articles)


def trs_countpage_portal() -> SimPortal:
    site = "恩格贝生态示范区管委会"
    articles = reports("恩格贝生态示范区", 2023, 5) + noise("恩格贝生态示范区", 2023) + news_items()
    column = TrsColumn(prefix="", column_dir="xxgk/xxgknb", site_name=site, page_size=2, pager="countPage", articles=articles)
    return _portal("trs-countpage", site, "127.0.0.28", column.routes(), [column.index_path], articles)


def powereasy_portal() -> SimPortal:
    county = "靖安县"
    meeting = Article("县政府召开第十一次常务会议", date(2024, 2, 6), "<p>会议研究了年度重点工作。</p>")
    articles = reports(county, 2023, 7) + [meeting]
    column = PowerEasyColumn(prefix="", site_name=f"{county}人民政府", page_size=3, column_name="政府信息公开年报", articles=articles)
    return _portal("generic-pe", f"{county}人民政府", "127.0.0.36", column.routes(), [column.index_path], articles)


def family_portals() -> list[SimPortal]:
    """Every portal of the table above."""
    return [
        mixed_portal(),
        mixed_portal(cms="trs"),
        gkmlpt_fragment_portal(),
        gkmlpt_tree_portal(),
        gkmlpt_tree_portal("gkml-api", "127.0.0.23", "api"),
        hanweb_portal(),
        vsb_portal(),
        vsb_portal(numbers_only=True),
        dede_portal(False),
        dede_portal(True),
        dede_portal(False, next_link=False),
        dede_portal(True, next_link=False),
        trs_countpage_portal(),
        powereasy_portal(),
    ]
