"""A loopback simulator of county portals for the crawler tests.

Each portal runs its own server on its own loopback address (127.0.0.2, .3, …), so per-host
politeness can be measured. Five CMS styles, each with the quirks the crawler has to survive:

=========  ===========  ===========================================================================
site id    address      what it does
=========  ===========  ===========================================================================
trs        127.0.0.2    TRS column tree (year sub-columns), 3 ``createPageHTML`` pages, a slow page,
                        a page that fails with 500 once, a report linked under a robots-forbidden path,
                        a listed report whose page is gone (404)
hanweb     127.0.0.3    Hanweb inline datastore + POST ``dataproxy.jsp`` that insists on the AJAX form
vsb        127.0.0.4    VSB pages counting down; a report only as ``download.jsp`` attachment that
                        answers an error page without the article as Referer
gkmlpt     127.0.0.5    gkmlpt SPA shell + JSON list API (two pages)
generic    127.0.0.6    GBK bytes under a ``charset=utf-8`` header and a misspelled ``httpequiv`` meta;
                        old column URL 301 → relative Location; a detail behind a meta refresh; no
                        ETag / Last-Modified at all (content-hash fallback); site ``selectors``
waf        127.0.0.7    瑞数: 412 with a ``$_ts`` script for every URL
robots     127.0.0.8    robots.txt answered slowly, four of five start URLs forbidden by it
dead       127.0.0.9    nothing listens (connection refused)
=========  ===========  ===========================================================================

Every request is logged with its headers and its start/end times (``Simulator.requests()``).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import date

from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.families import (
    Article,
    Attachment,
    ColumnTemplate,
    Encoding,
    GenericColumn,
    GkmlptColumn,
    HanwebColumn,
    TrsColumn,
    VsbColumn,
)
from nianbao.demo.server import Handler, LoggedRequest, Page, PortalServer
from core.settings import Selectors, SiteSpec

from .quirks import FlakyRoute, meta_refresh, redirect, ruishu_challenge, slow

DETAIL_DELAY = 0.05  # every TRS detail takes a moment: overlapping requests become visible
SLOW_SECONDS = 1.5


def _report(key: str, agency: str, year: int) -> str:
    return report_body_html(derived_report(key, agency=agency, year=year))


def _title(agency: str, year: int) -> str:
    return f"{agency}{year}年政府信息公开工作年度报告"


def _robots(*disallow: str) -> Page:
    return Page(("User-agent: *\n" + "".join(f"Disallow: {d}\n" for d in disallow)).encode(), content_type="text/plain")


@dataclass
class SimPortal:
    """One simulated site: its server, its registry entry, the reports a correct crawl stores."""

    site_id: str
    name: str
    server: PortalServer | None
    start_paths: list[str]
    expected: list[tuple[str, int]] = field(default_factory=list)
    cms: str = "auto"
    selectors: Selectors | None = None
    forbidden_prefixes: list[str] = field(default_factory=list)  # robots.txt Disallow
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def base_url(self) -> str:
        if self.server is not None:
            return self.server.base_url
        return f"http://{self.host}:{self.port}"

    def spec(self) -> SiteSpec:
        return SiteSpec(
            id=self.site_id,
            name=self.name,
            region="测试省/测试市",
            start_urls=[self.base_url + p for p in self.start_paths],
            cms=self.cms,  # type: ignore[arg-type]
            selectors=self.selectors,
        )


# Portals ------------------------------------------------------------------------------------------
TRS_DELETED = "/zfxxgk/zfxxgknb/n2022n/202301/t20230110_404.html"


def trs_portal() -> SimPortal:
    edu, town, fin, audit = "洪雅县教育和体育局", "洪雅县止戈镇", "洪雅县财政局", "洪雅县审计局"
    y2023 = TrsColumn(
        prefix="",
        column_dir="zfxxgk/zfxxgknb/n2023n",
        site_name="洪雅县人民政府",
        page_size=2,
        articles=[
            Article(_title(edu, 2023), date(2024, 1, 18), _report("pengyang_approval_2021", edu, 2023), publisher=edu),
            Article(_title(town, 2023), date(2024, 1, 19), _report("pingluo_approval_2024", town, 2023), publisher=town),
            Article(f"《{_title(edu, 2023)}》解读", date(2024, 1, 20), "<p>解读内容</p>", publisher=edu),
            Article(_title(audit, 2023), date(2024, 1, 22), "<p>内部稿</p>", publisher=audit, path="/zfxxgk/internal/202401/t20240122_77.html"),
            Article(_title(fin, 2023), date(2024, 1, 25), _report("pingluo_affairs_2021", fin, 2023), publisher=fin),
        ],
    )
    y2022 = TrsColumn(
        prefix="",
        column_dir="zfxxgk/zfxxgknb/n2022n",
        site_name="洪雅县人民政府",
        articles=[
            Article(_title(edu, 2022), date(2023, 1, 16), _report("pengyang_approval_2021", edu, 2022), publisher=edu),
            Article("洪雅县人民政府办公室关于做好2022年度政府信息公开工作年度报告编制发布工作的通知", date(2023, 1, 3), "<p>通知</p>"),
            # Listed, but the document was deleted: the server answers 404.
            Article(_title("洪雅县林业局", 2022), date(2023, 1, 10), "", path=TRS_DELETED),
        ],
    )
    root = TrsColumn(prefix="", column_dir="zfxxgk/zfxxgknb", site_name="洪雅县人民政府", articles=[], subcolumns=[("2023年", y2023), ("2022年", y2022)])
    routes = root.routes()
    del routes[TRS_DELETED]
    for article, path in root.detail_url_paths():
        if path == TRS_DELETED:
            continue
        page = routes[path]
        if article.title == _title(edu, 2023):
            routes[path] = slow(page, SLOW_SECONDS)
        elif article.title == _title(town, 2023):
            routes[path] = FlakyRoute(slow(page, DETAIL_DELAY), failures=1)
        else:
            routes[path] = slow(page, DETAIL_DELAY)
    routes["/robots.txt"] = _robots("/zfxxgk/internal/")
    return SimPortal(
        "trs",
        "洪雅县人民政府",
        PortalServer(routes, host="127.0.0.2"),
        [root.index_path],
        [(edu, 2023), (town, 2023), (fin, 2023), (edu, 2022)],
        cms="trs",
        forbidden_prefixes=["/zfxxgk/internal/"],
    )


def hanweb_portal() -> SimPortal:
    xixia, dev, civil = "永嘉县溪下乡", "永嘉县发展和改革局", "永嘉县民政局"
    column = HanwebColumn(
        prefix="",
        site_name="永嘉县人民政府",
        column_id=1229779591,
        web_id=3211,
        unit_id=6150071,
        page_size=1,  # one record per page: jpage windows of three, so two POSTs after the inline two
        inline_records=2,
        articles=[
            Article(_title(xixia, 2023), date(2024, 1, 16), _report("xixia_approval_2020", xixia, 2023), publisher=xixia),
            Article(_title(dev, 2023), date(2024, 1, 12), _report("pengyang_approval_2021", dev, 2023), publisher=dev),
            Article(f"一图读懂{_title(dev, 2023)}", date(2024, 1, 13), "<p>图</p>", publisher=dev),
            Article(_title(civil, 2023), date(2024, 1, 10), _report("pingluo_affairs_2021", civil, 2023), publisher=civil),
            Article("永嘉县关于做好政府信息公开工作年度报告编制工作的通知", date(2024, 1, 2), "<p>通知</p>"),
            Article(_title(civil, 2022), date(2023, 1, 11), _report("pingluo_affairs_2021", civil, 2022), publisher=civil),
            Article(f"{_title(civil, 2022)}解读", date(2023, 1, 12), "<p>解读</p>", publisher=civil),
        ],
    )
    routes = {"/robots.txt": _robots("/module/search/"), **column.routes()}
    return SimPortal(
        "hanweb",
        "永嘉县人民政府",
        PortalServer(routes, host="127.0.0.3"),
        [column.index_path],
        [(xixia, 2023), (dev, 2023), (civil, 2023), (civil, 2022)],
    )


def vsb_portal() -> SimPortal:
    fin, audit = "张家川县财政局", "张家川县审计局"
    attachment = derived_report("ziyang_approval_2020", agency=fin, year=2023)
    column = VsbColumn(
        prefix="",
        site_name="张家川回族自治县人民政府",
        tree_id=11972,
        page_size=2,
        articles=[
            Article(
                _title(fin, 2023),
                date(2024, 1, 23),
                "<p>详见附件。</p>",
                attachments=[Attachment(_title(fin, 2023) + ".txt", attachment.encode("utf-8"))],
                publisher=fin,
            ),
            Article(f"一图读懂{_title(audit, 2023)}", date(2024, 1, 26), "<p>图</p>", publisher=audit),
            Article(_title(audit, 2023), date(2024, 1, 25), _report("pingluo_approval_2024", audit, 2023), publisher=audit),
            Article("张家川县人民政府办公室关于报送政府信息公开工作年度报告的通知", date(2024, 1, 4), "<p>通知</p>"),
            Article(_title(audit, 2022), date(2023, 1, 20), _report("pingluo_approval_2024", audit, 2022), publisher=audit),
        ],
    )
    routes = {"/robots.txt": _robots(), **column.routes()}
    return SimPortal(
        "vsb", "张家川回族自治县人民政府", PortalServer(routes, host="127.0.0.4"), [column.index_path], [(fin, 2023), (audit, 2023), (audit, 2022)]
    )


def gkmlpt_portal() -> SimPortal:
    hr = "连州市人力资源和社会保障局"
    column = GkmlptColumn(
        prefix="",
        site_name="连州市人民政府",
        sid="200165",
        catid=4521,
        page_size=2,
        articles=[
            Article(_title(hr, 2023), date(2024, 1, 19), _report("pengyang_approval_2021", hr, 2023), publisher=hr),
            Article(f"《{_title(hr, 2023)}》解读", date(2024, 1, 20), "<p>解读</p>", publisher=hr),
            Article(_title(hr, 2022), date(2023, 1, 17), _report("pengyang_approval_2021", hr, 2022), publisher=hr),
        ],
    )
    routes = {"/robots.txt": _robots(), **column.routes()}
    return SimPortal("gkmlpt", "连州市人民政府", PortalServer(routes, host="127.0.0.5"), [column.start_url_suffix], [(hr, 2023), (hr, 2022)])


GENERIC_MOVED = "/xxgk/ndbg/2023/0116/moved_3301.html"


def generic_portal() -> SimPortal:
    civil = "北京市朝阳区民政局"
    column = GenericColumn(
        prefix="",
        column_dir="xxgk/ndbg",
        site_name="北京市朝阳区人民政府",
        page_size=2,
        # GBK bytes, a header claiming UTF-8, and the meta misspelled: three lies about one page.
        encoding=Encoding(codec="gbk", header="utf-8", meta="gbk", meta_style="httpequiv"),
        articles=[
            Article(_title(civil, 2023), date(2024, 1, 22), _report("pingluo_affairs_2021", civil, 2023), publisher=civil),
            Article(f"图解：{_title(civil, 2023)}", date(2024, 1, 23), "<p>图解</p>", publisher=civil),
            Article(_title(civil, 2022), date(2023, 1, 16), _report("pingluo_affairs_2021", civil, 2022), publisher=civil),
            Article(_title(civil, 2021), date(2022, 1, 14), _report("pingluo_affairs_2021", civil, 2021), publisher=civil),
        ],
    )
    routes: dict[str, Handler] = {"/robots.txt": _robots(), **column.routes()}
    for article, path in column.detail_url_paths():
        if article.title == _title(civil, 2022):  # the listed URL now only forwards by meta refresh
            routes[GENERIC_MOVED] = routes[path]
            routes[path] = meta_refresh("./moved_3301.html", "gbk")
    routes["/old/ndbg/"] = redirect("../../xxgk/ndbg/list_1.html")
    selectors = Selectors(item="table.news tr", link="td.entry a", title="td.entry a::attr(title)", date="td.date::text", next_page="a.next")
    return SimPortal(
        "generic",
        "北京市朝阳区人民政府",
        PortalServer(routes, host="127.0.0.6", conditional="none"),
        ["/old/ndbg/"],
        [(civil, 2023), (civil, 2022), (civil, 2021)],
        cms="generic",
        selectors=selectors,
    )


def waf_portal() -> SimPortal:
    server = PortalServer({"/robots.txt": ruishu_challenge, "/zwgk/ndbg/index.html": ruishu_challenge}, host="127.0.0.7")
    return SimPortal("waf", "海关总署", server, ["/zwgk/ndbg/index.html"], [], cms="auto")


ROBOTS_FORBIDDEN_STARTS = ["/private/a/index.html", "/private/b/index.html", "/private/c/index.html", "/private/d/index.html"]


def robots_portal() -> SimPortal:
    fin = "固镇县财政局"
    column = TrsColumn(
        prefix="",
        column_dir="nb",
        site_name="固镇县人民政府",
        articles=[Article(_title(fin, 2023), date(2024, 1, 9), _report("xixia_approval_2020", fin, 2023), publisher=fin)],
    )
    routes: dict[str, Handler] = {**column.routes(), "/robots.txt": slow(_robots("/private/"), 0.5)}
    for path in ROBOTS_FORBIDDEN_STARTS:
        routes[path] = column.routes()[column.index_path]
    return SimPortal(
        "robots",
        "固镇县人民政府",
        PortalServer(routes, host="127.0.0.8"),
        [column.index_path, *ROBOTS_FORBIDDEN_STARTS],
        [(fin, 2023)],
        cms="trs",
        forbidden_prefixes=["/private/"],
    )


def dead_portal() -> SimPortal:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.9", 0))
        port = s.getsockname()[1]
    return SimPortal("dead", "关停县人民政府", None, ["/zfxxgk/zfxxgknb/index.html"], [], host="127.0.0.9", port=port)


# The whole set ------------------------------------------------------------------------------------
class Simulator:
    """All simulated portals; ``start()`` them, crawl ``sites()``, inspect ``requests()``."""

    def __init__(self) -> None:
        self.portals = [
            trs_portal(),
            hanweb_portal(),
            vsb_portal(),
            gkmlpt_portal(),
            generic_portal(),
            waf_portal(),
            robots_portal(),
            dead_portal(),
        ]

    def start(self) -> Simulator:
        for p in self.portals:
            if p.server:
                p.server.start()
        return self

    def stop(self) -> None:
        for p in self.portals:
            if p.server:
                p.server.stop()

    def portal(self, site_id: str) -> SimPortal:
        return next(p for p in self.portals if p.site_id == site_id)

    def sites(self) -> list[SiteSpec]:
        return [p.spec() for p in self.portals]

    def expected_reports(self) -> list[tuple[str, int]]:
        return [r for p in self.portals for r in p.expected]

    def requests(self, site_id: str | None = None) -> list[LoggedRequest]:
        out: list[LoggedRequest] = []
        for p in self.portals:
            if p.server and (site_id is None or p.site_id == site_id):
                out.extend(p.server.requests())
        return sorted(out, key=lambda r: r.started)

    def clear_logs(self) -> None:
        for p in self.portals:
            if p.server:
                p.server.clear_log()


def max_concurrency(requests: list[LoggedRequest]) -> int:
    """The most requests one server was handling at the same moment."""
    events = sorted([(r.started, 1) for r in requests] + [(r.finished, -1) for r in requests], key=lambda e: (e[0], e[1]))
    current = peak = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


__all__ = ["ColumnTemplate", "SimPortal", "Simulator", "max_concurrency"]
