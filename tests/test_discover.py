"""`nianbao discover`: real Scrapy runs from a portal's home page to its 年报 column(s).

The portals are small loopback sites shaped like real county portals (docs/portals.md §1): a home
page whose navigation says 政务公开 or 信息公开, a disclosure hub listing 政府信息公开指南 / 制度 /
法定主动公开内容 beside the 年报 column, the column itself a TRS or Hanweb list (the demo's page
templates), sometimes on another host, sometimes split into 本级政府 / 部门 / 乡镇 columns. What
the command prints must load with core.settings, and a crawl of the printed entry must find the
reports.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest
import yaml

from core.settings import SiteSpec, settings_from_dict
from crawler.platform_shell import shell_categories
from crawler.portal_links import COLUMN_MIN, HUB_MIN, registered_domain, score_link
from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.families import Article, ColumnTemplate, GkmlptColumn, HanwebColumn, TrsColumn
from nianbao.demo.server import Page, PortalServer
from tests.conftest import run_cli
from tests.portal_sim.harness import crawl, stored_reports, write_settings

SITE = "固原市某某县人民政府"
# A closed loopback port standing in for links off the portal (中国政府网, the province): never followed.
ELSEWHERE = "http://127.0.0.9:9"


def _html(title: str, body: str, *, site_name: str | None = None) -> Page:
    meta = f'<meta name="SiteName" content="{html.escape(site_name)}">' if site_name else ""
    text = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{meta}<title>{html.escape(title)}</title></head><body>'
        '<div class="top"><div class="logo-title">固原市某某县人民政府</div></div>'
        f"{body}"
        f'<div class="footer"><a href="{ELSEWHERE}/">中国政府网</a> <a href="{ELSEWHERE}/nx/">宁夏回族自治区人民政府</a>'
        ' <a href="/wzdt/index.html">网站地图</a> <a href="/lxwm/index.html">联系我们</a>'
        "<p>主办：某某县人民政府办公室　网站标识码：6404000001</p></div></body></html>"
    )
    return Page(text.encode("utf-8"))


def _home(nav: list[tuple[str, str]]) -> Page:
    links = "".join(f'<li><a href="{href}" target="_blank">{html.escape(text)}</a></li>' for text, href in nav)
    news = (
        '<div class="news"><div class="news-title"><h3>今日某某</h3><a href="/xwzx/jrmm/index.html">更多</a></div><ul>'
        '<li><a href="/xwzx/jrmm/202403/t20240311_101.html" title="某某县召开2024年政务公开工作推进会">某某县召开2024年政务公开工作推进会</a></li>'
        '<li><a href="/xwzx/jrmm/202402/t20240220_102.html">县领导调研春耕备耕工作</a></li></ul></div>'
    )
    return _html(f"{SITE}门户网站", f'<div class="nav"><ul>{links}</ul></div>{news}', site_name=SITE)


def _hub(items: list[tuple[str, str]], extra: str = "") -> Page:
    """A 政府信息公开 page: its left menu, as county portals lay it out."""
    links = "".join(f'<li><a href="{href}">{html.escape(text)}</a></li>' for text, href in items)
    menu = f'<div class="left-menu"><div class="menu-tit">政府信息公开</div><ul>{links}</ul></div>'
    crumb = '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/index.html">政务公开</a> &gt; 政府信息公开</div>'
    return _html(f"政府信息公开_{SITE}", crumb + menu + extra)


def _reports(agencies: list[str], year: int = 2023) -> list[Article]:
    return [
        Article(
            f"{a}{year}年政府信息公开工作年度报告",
            date(year + 1, 1, 10 + i),
            report_body_html(derived_report("pengyang_approval_2021", agency=a, year=year)),
            publisher=a,
        )
        for i, a in enumerate(agencies)
    ]


HUB_SIBLINGS = [
    ("政府信息公开指南", "/zwgk/zfxxgk/zfxxgkzn/index.html"),
    ("政府信息公开制度", "/zwgk/zfxxgk/zfxxgkzd/index.html"),
    ("法定主动公开内容", "/zwgk/zfxxgk/fdzdgknr/index.html"),
    ("依申请公开", "/zwgk/zfxxgk/ysqgk/index.html"),
]
NAV = [("首页", "/index.html"), ("新闻中心", "/xwzx/index.html"), ("政务公开", "/zwgk/index.html"), ("政务服务", "/zwfw/index.html"), ("互动交流", "/hdjl/index.html")]


def _zwgk_page() -> Page:
    """政务公开: the disclosure hub among other boxes (政策文件, 人事信息…)."""
    boxes = "".join(
        f'<li><a href="{href}">{text}</a></li>'
        for text, href in [
            ("政府信息公开", "/zwgk/zfxxgk/index.html"),
            ("政策文件", "/zwgk/zcwj/index.html"),
            ("政策解读", "/zwgk/zcjd/index.html"),
            ("人事信息", "/zwgk/rsxx/index.html"),
            ("财政预决算", "/zwgk/czyjs/index.html"),
        ]
    )
    return _html(f"政务公开_{SITE}", f'<div class="zwgk-nav"><ul>{boxes}</ul></div>')


def _discover(tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    config = write_settings(tmp_path, [])
    proc = run_cli("discover", url, *args, config=config, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def _discover_portal(tmp_path: Path, routes: dict, *args: str) -> tuple[str, int, str, str, list[str]]:
    """Serve ``routes`` on 127.0.0.1, run discover from its root; (base URL, exit code, stdout,
    stderr, paths the portal was asked for)."""
    server = _serve(routes)
    try:
        code, out, err = _discover(tmp_path, server.base_url + "/", *args)
        return server.base_url, code, out, err, [r.path for r in server.requests()]
    finally:
        server.stop()


def _entry(stdout: str) -> SiteSpec:
    """The printed entry, loaded as settings.yaml would load it."""
    data = yaml.safe_load(stdout)
    settings = settings_from_dict(data)
    assert len(settings.sites) == 1
    return settings.sites[0]


def _serve(routes: dict, host: str = "127.0.0.1") -> PortalServer:
    return PortalServer(routes, host=host).start()


def _column_routes(column: ColumnTemplate) -> dict:
    return dict(column.routes())


def test_home_to_trs_column_through_zwgk_and_zfxxgk(tmp_path: Path) -> None:
    agencies = ["某某县人民政府办公室", "某某县教育局", "某某县卫生健康局"]
    column = TrsColumn(prefix="", column_dir="zwgk/zfxxgk/zfxxgknb", site_name=SITE, articles=_reports(agencies))
    routes = {
        "/index.html": _home(NAV),
        "/zwgk/index.html": _zwgk_page(),
        "/zwgk/zfxxgk/index.html": _hub([*HUB_SIBLINGS[:3], ("政府信息公开年报", "/zwgk/zfxxgk/zfxxgknb/index.html"), HUB_SIBLINGS[3]]),
        **_column_routes(column),
    }
    server = _serve(routes)
    try:
        code, out, err = _discover(tmp_path, server.base_url + "/", "--id", "mouxian", "--region", "宁夏回族自治区/固原市/某某县")
        asked = [r.path for r in server.requests()]
        assert code == 0, err[-3000:]
        site = _entry(out)
        # Ready to paste: a crawl of the printed entry finds the column's reports.
        (tmp_path / "crawl").mkdir()
        config = write_settings(tmp_path / "crawl", [site])
        summary = crawl(config)
    finally:
        server.stop()
    assert sorted(stored_reports(config)) == sorted((a, 2023) for a in agencies), summary["_log"][-3000:]
    assert site.id == "mouxian"
    assert site.name == SITE
    assert site.region == "宁夏回族自治区/固原市/某某县"
    assert site.start_urls == [server.base_url + column.index_path]
    assert site.cms == "trs"
    assert site.allowed_domains == []  # the column is on the portal's own host
    path_line = next(line for line in out.splitlines() if line.startswith("# path:"))
    assert path_line.index("政务公开") < path_line.index("政府信息公开 ") < path_line.index("政府信息公开年报")
    assert "/robots.txt" in asked
    # A person's path, not a site crawl: the news, the hub's siblings and the column's reports stay unread.
    assert not any(p.startswith(("/xwzx/", "/zwgk/zfxxgk/zfxxgkzn/")) or "/2024" in p for p in asked), asked
    assert len(asked) <= 6, asked


def test_column_on_another_host_is_found_and_that_host_allowed(tmp_path: Path) -> None:
    platform = _serve({}, host="127.0.0.2")  # the portal's 政府信息公开 host (an xxgk. sub-domain on real portals)
    column = HanwebColumn(prefix="", site_name=SITE, articles=_reports(["某某县财政局", "某某县民政局"]), column_name="政府信息公开年报")
    platform.routes.update(
        {
            "/index.html": _hub([*HUB_SIBLINGS, ("政府信息公开年报", column.index_path)]),
            **_column_routes(column),
        }
    )
    nav = [("首页", "/index.html"), ("新闻中心", "/xwzx/index.html"), ("信息公开", platform.base_url + "/"), ("政务服务", "/zwfw/index.html")]
    # The root page only sends browsers on by script, as many portals' do.
    redirect = Page('<html><head><title>正在跳转</title></head><body><script>window.location.href="/portal/index.html";</script></body></html>'.encode())
    portal = _serve({"/index.html": redirect, "/portal/index.html": _home(nav)})
    try:
        code, out, err = _discover(tmp_path, portal.base_url + "/")
    finally:
        portal.stop()
        platform.stop()
    assert code == 0, err[-3000:]
    site = _entry(out)
    assert site.start_urls == [platform.base_url + column.index_path]
    assert site.cms == "hanweb"
    assert site.allowed_domains == ["127.0.0.2", "127.0.0.1"]
    assert site.id == "127-0-0-1"  # no --id: taken from the host
    assert site.name == SITE


def test_platform_shell_categories_named_as_nianbao_are_all_listed(tmp_path: Path) -> None:
    """A provincial disclosure platform (gkmlpt) on another host: the shell's category tree names
    two 年报 categories; each is confirmed by its list API and listed as ``…/gkmlpt/index#<catid>``."""
    sid = "200165"
    government = GkmlptColumn(prefix="", sid=sid, catid=2753, site_name=SITE, articles=_reports(["某某县人民政府"]))
    departments = GkmlptColumn(prefix="", sid=sid, catid=2754, site_name=SITE, articles=_reports(["某某县教育局", "某某县公安局"]))
    categories = [(2750, "政策文件"), (2751, "政府信息公开指南"), (2753, "政府信息公开年报"), (2754, "部门政府信息公开年报"), (2760, "财政预决算")]
    tree = ", ".join(f"{{id: {c}, name: '{n}', parent: 0}}" for c, n in categories)
    shell = (
        f"<div id=\"app\"></div><script>window._CONFIG = {{SID: '{sid}', SITE_NAME: '{SITE}', API_BASE: '/gkmlpt/api', "
        f"CATEGORIES: [{tree}]}};</script><script src=\"/gkmlpt/gkml/pc/js/chunk-common.5f2b.js\"></script>"
    )
    platform = _serve({**_column_routes(government), **_column_routes(departments)}, host="127.0.0.2")
    platform.routes["/gkmlpt/index"] = _html(f"{SITE}政府信息公开", shell)
    nav = [("首页", "/index.html"), ("政府信息公开", platform.base_url + "/gkmlpt/index"), ("政务服务", "/zwfw/index.html")]
    portal = _serve({"/index.html": _home(nav)})
    try:
        code, out, err = _discover(tmp_path, portal.base_url + "/")
        asked = [r.path for r in platform.requests()]
    finally:
        portal.stop()
        platform.stop()
    assert code == 0, err[-3000:]
    site = _entry(out)
    assert site.start_urls == [f"{platform.base_url}/gkmlpt/index#2753", f"{platform.base_url}/gkmlpt/index#2754"], out
    assert site.cms == "gkmlpt"
    assert site.allowed_domains == ["127.0.0.2", "127.0.0.1"]
    assert not any("/api/all/2750" in p or "/api/all/2760" in p for p in asked), asked  # categories not named 年报 stay unread


def test_reports_split_over_three_columns_are_all_listed(tmp_path: Path) -> None:
    columns = {
        "本级政府": TrsColumn(prefix="", column_dir="zwgk/zfxxgknb/bjzf", site_name=SITE, articles=_reports(["某某县人民政府"]), column_name="本级政府"),
        "部门": TrsColumn(prefix="", column_dir="zwgk/zfxxgknb/bm", site_name=SITE, articles=_reports(["某某县教育局", "某某县公安局"]), column_name="部门"),
        "乡镇": TrsColumn(prefix="", column_dir="zwgk/zfxxgknb/xz", site_name=SITE, articles=_reports(["某某镇人民政府", "某某乡人民政府"]), column_name="乡镇"),
    }
    box = (
        '<div class="gknb"><div class="gknb-tit"><h3>政府信息公开年报</h3></div><ul>'
        + "".join(f'<li><a href="{c.index_path}">{label}</a></li>' for label, c in columns.items())
        + "</ul></div>"
    )
    routes = {"/index.html": _home(NAV), "/zwgk/index.html": _hub(HUB_SIBLINGS, box)}
    for c in columns.values():
        routes.update(_column_routes(c))
    base, code, out, err, _ = _discover_portal(tmp_path, routes)
    assert code == 0, err[-3000:]
    site = _entry(out)
    assert sorted(site.start_urls) == sorted(base + c.index_path for c in columns.values()), out
    assert site.cms == "trs"
    assert "found 3 年报 columns" in out


def test_portal_without_a_nianbao_column_exits_1_and_says_what_it_looked_at(tmp_path: Path) -> None:
    routes = {
        "/index.html": _home(NAV),
        "/zwgk/index.html": _zwgk_page(),
        "/zwgk/zfxxgk/index.html": _hub(HUB_SIBLINGS),
        "/zwgk/zfxxgk/fdzdgknr/index.html": _html("法定主动公开内容", '<ul><li><a href="/zwgk/zfxxgk/fdzdgknr/202401/t20240105_9.html">某某县2024年重点工作安排</a></li></ul>'),
    }
    base, code, out, err, _ = _discover_portal(tmp_path, routes)
    assert code == 1, err[-3000:]
    assert "no 年报 column found" in err
    assert yaml.safe_load(out) is None  # comments only: nothing an operator could paste by mistake
    assert f"{base}/zwgk/zfxxgk/index.html" in out  # the hub it reached is named
    assert "pages looked at" in out


def test_robots_txt_forbidding_the_disclosure_path_is_obeyed_and_said(tmp_path: Path) -> None:
    column = TrsColumn(prefix="", column_dir="zwgk/zfxxgk/zfxxgknb", site_name=SITE, articles=_reports(["某某县水务局"]))
    routes = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /zwgk/\n", content_type="text/plain"),
        "/index.html": _home(NAV),
        "/zwgk/index.html": _zwgk_page(),
        "/zwgk/zfxxgk/index.html": _hub([*HUB_SIBLINGS, ("政府信息公开年报", column.index_path)]),
        **_column_routes(column),
    }
    base, code, out, err, asked = _discover_portal(tmp_path, routes)
    assert code == 1, err[-3000:]
    assert not [p for p in asked if p.startswith("/zwgk/")], asked
    assert f"robots.txt forbids {base}/zwgk/index.html (政务公开)" in out
    assert "robots.txt" in err


def test_column_whose_list_a_script_loads_is_proposed_as_not_confirmed(tmp_path: Path) -> None:
    """The link says 政府信息公开年报 but the page shows nothing to confirm it (its list comes by XHR)."""
    routes = {
        "/index.html": _home(NAV),
        "/zwgk/index.html": _hub([*HUB_SIBLINGS, ("政府信息公开年报", "/zwgk/nianbao/index.html")]),
        "/zwgk/nianbao/index.html": _html(SITE, '<div id="list"></div><script src="/js/list.js"></script>'),
    }
    base, code, out, err, _ = _discover_portal(tmp_path, routes)
    assert code == 0, err[-3000:]
    assert _entry(out).start_urls == [base + "/zwgk/nianbao/index.html"]
    assert "not confirmed" in out


def test_page_budget_is_kept_and_said_when_it_runs_out(tmp_path: Path) -> None:
    column = TrsColumn(prefix="", column_dir="zwgk/zfxxgk/zfxxgknb", site_name=SITE, articles=_reports(["某某县林草局"]))
    routes = {
        "/index.html": _home(NAV),
        "/zwgk/index.html": _zwgk_page(),
        "/zwgk/zfxxgk/index.html": _hub([*HUB_SIBLINGS, ("政府信息公开年报", column.index_path)]),
        **_column_routes(column),
    }
    base, code, out, err, asked = _discover_portal(tmp_path, routes, "--max-pages", "2")
    pages = [p for p in asked if p != "/robots.txt"]
    assert code == 1, err[-3000:]
    assert len(pages) == 2, pages
    assert "--max-pages 2" in out
    assert "page budget ran out" in err


@pytest.mark.parametrize(
    "args",
    [("ftp://example.invalid/",), ("http://127.0.0.1:9/", "--max-pages", "0"), ("http://127.0.0.1:9/", "--id", "Bad Id")],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, out, err = _discover(tmp_path, *args)
    assert code == 2, (out, err)
    assert err.startswith("nianbao: discover:")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "text", "context"),
    [
        # Slugs and names seen on real portals (docs/portals.md §1).
        ("http://www.example.gov.cn/zfxxgk/zfxxgknb/", "政府信息公开年报", ""),
        ("http://www.example.gov.cn/zfxxgkzl/gknb/", "年度报告", ""),
        ("http://www.example.gov.cn/xxgk/ndbg/", "政府信息公开年度报告", ""),
        ("http://www.example.gov.cn/gongkai/zfxxgkpt/zfxxgknb/list.shtml", "信息公开年报", ""),
        ("http://www.example.gov.cn/xxgk/xxgkAnnualReport.jsp?fbtime=2023&area=1", "年报", ""),
        ("http://www.example.gov.cn/zwgk/more/index.html", "更多", "政府信息公开年报"),
        ("http://www.example.gov.cn/zwgk/c100/index.html", "乡镇（街道）", "政府信息公开工作年度报告"),
    ],
)
def test_links_that_lead_to_a_nianbao_column(url: str, text: str, context: str) -> None:
    assert score_link(url, text, context).column >= COLUMN_MIN


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("http://www.example.gov.cn/zwgk/202401/t20240110_1.html", "某某县2023年政府信息公开工作年度报告"),  # one report
        ("http://www.example.gov.cn/zwgk/202402/t20240210_2.html", "《某某县2023年政府信息公开工作年度报告》解读"),
        ("http://www.example.gov.cn/tjxx/tjnb/", "统计年报"),
        ("http://www.example.gov.cn/zwgk/zfxxgk/zfxxgkzn/", "政府信息公开指南"),
        ("http://www.example.gov.cn/xwzx/", "新闻中心"),
    ],
)
def test_links_that_are_not_a_nianbao_column(url: str, text: str) -> None:
    assert score_link(url, text).column < COLUMN_MIN


def test_hub_links_and_hosts() -> None:
    assert score_link("http://www.example.gov.cn/zwgk/", "政务公开").hub >= HUB_MIN
    assert score_link("http://xxgk.example.gov.cn/", "信息公开").hub >= HUB_MIN
    assert score_link("http://www.example.gov.cn/zwgk/zfxxgk/zfxxgkzn/", "政府信息公开指南").hub < HUB_MIN
    assert registered_domain("xxgk.example.gov.cn") == registered_domain("www.example.gov.cn") == "example.gov.cn"
    assert registered_domain("www.other.gov.cn") != "example.gov.cn"


def test_platform_category_tree_is_read_in_either_key_order() -> None:
    text = "window._CONFIG = {SID: '1', CATS: [{id: 7, name: '政府信息公开年报'}, {\"name\": \"%u90E8%u95E8%u5E74%u62A5\", \"id\": \"8\"}]};"
    assert shell_categories(text) == [("7", "政府信息公开年报"), ("8", "部门年报")]


def test_traditional_character_portal_and_a_start_at_its_disclosure_page(tmp_path: Path) -> None:
    """A mirror in traditional characters (政務公開 → 政府資訊公開 → 政府資訊公開年報) is followed as its
    simplified original; started at the 政府信息公开 page instead of the home page, the same column."""
    agencies = ["某某县人民政府办公室", "某某县教育局"]
    column = TrsColumn(prefix="", column_dir="zwgk/zfxxgk/zfxxgknb", site_name=SITE, articles=_reports(agencies))
    nav = [("首頁", "/index.html"), ("新聞中心", "/xwzx/index.html"), ("政務公開", "/zwgk/index.html")]
    boxes = '<ul><li><a href="/zwgk/zfxxgk/index.html">政府資訊公開</a></li><li><a href="/zwgk/zcwj/index.html">政策文件</a></li></ul>'
    hub = _hub([("政府資訊公開指南", "/zwgk/zfxxgk/zfxxgkzn/index.html"), ("政府資訊公開年報", "/zwgk/zfxxgk/c100/index.html")])
    routes = {
        "/index.html": _home(nav),
        "/zwgk/index.html": _html(f"政務公開_{SITE}", boxes),
        "/zwgk/zfxxgk/index.html": hub,
        **{path.replace("/zfxxgknb/", "/c100/"): page for path, page in _column_routes(column).items()},  # no telling slug
    }
    server = _serve(routes)
    try:
        from_home = _discover(tmp_path, server.base_url + "/", "--id", "mouxian")
        from_hub = _discover(tmp_path, server.base_url + "/zwgk/zfxxgk/index.html", "--id", "mouxian")
    finally:
        server.stop()
    for code, out, err in (from_home, from_hub):
        assert code == 0, err[-3000:]
        site = _entry(out)
        assert site.start_urls == [server.base_url + "/zwgk/zfxxgk/c100/index.html"]
        assert site.cms == "trs"


@pytest.mark.parametrize(
    ("text", "context", "year_level"),
    [
        ("政府資訊公開年報", "", False),
        ("年度報告", "", False),
        ("更多", "政府資訊公開年報", False),
        ("２０２３年", "政府信息公开年报", True),  # a year of the tree, not its root
        ("二〇二三年度", "政府信息公开年报", True),
    ],
)
def test_link_words_are_read_in_the_titles_form(text: str, context: str, year_level: bool) -> None:
    score = score_link("http://www.example.gov.cn/zwgk/c100/index.html", text, context)
    assert score.column >= 3 and score.year_level is year_level
    assert score_link("http://www.example.gov.cn/zwgk/index.html", "政務公開").hub >= HUB_MIN
