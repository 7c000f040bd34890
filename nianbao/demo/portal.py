"""The bundled demo: four county portals on one loopback host:port, built from the five seed reports.

=========  ==========================  ====================  ==========================================
path       site                        CMS family            what it shows
=========  ==========================  ====================  ==========================================
/pengyang  彭阳县人民政府              TRS (2 list pages)    four years of one bureau; a 图解 page, a
                                                             notice, a robots-forbidden preview link
/pingluo   平罗县人民政府              Hanweb (datastore +   a report published late (2022-03-15, due
                                       dataproxy.jsp POST)   2022-01-31); 审批服务管理局 2022 and 2024
                                                             but no 2023; a 解读 page
/ziyang    紫阳县人民政府              VSB, GBK, no charset  the 2020 report only as an attachment
                                       header                (download.jsp, Referer checked)
/xixia     银川市西夏区人民政府        gkmlpt JSON API       a 2019-60 format report
=========  ==========================  ====================  ==========================================

``DemoPortal(port).start()`` serves it; ``demo_sites(base_url)`` is the matching site registry and
``expected_demo_reports()`` what a correct crawl stores.
"""

from __future__ import annotations

from datetime import date

from nianbao.demo.documents import report_body_html, seed_text, shift_years
from nianbao.demo.families import Article, Attachment, ColumnTemplate, Encoding, GkmlptColumn, HanwebColumn, TrsColumn, VsbColumn
from nianbao.demo.server import Page, PortalServer
from core.settings import AgencySpec, SiteSpec

DEMO_AS_OF = date(2025, 6, 30)

# Scrapy settings for crawling the loopback demo: no politeness delays against our own server.
DEMO_CRAWL_OVERRIDES = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.1,
    "RETRY_BACKOFF_MAX": 1.0,
    "DOWNLOAD_TIMEOUT": 15,
    "NIANBAO_PROGRESS_INTERVAL": 0,
}

PENGYANG = "彭阳县审批服务管理局"
PINGLUO_AFFAIRS = "平罗县机关事务服务中心"
PINGLUO_APPROVAL = "平罗县审批服务管理局"
ZIYANG = "紫阳县行政审批服务局"
XIXIA = "银川市西夏区审批服务管理局"

# Paths linked from the portals that robots.txt forbids; a polite crawler never requests them.
ROBOTS_DISALLOWED = ("/pengyang/preview/",)


def expected_demo_reports() -> list[tuple[str, int]]:
    """(agency, report year) of every report a correct crawl of the demo stores, each exactly once."""
    return [
        (PENGYANG, 2021),
        (PENGYANG, 2022),
        (PENGYANG, 2023),
        (PENGYANG, 2024),
        (PINGLUO_AFFAIRS, 2021),  # published 2022-03-15: late (due 2022-01-31)
        (PINGLUO_APPROVAL, 2022),
        (PINGLUO_APPROVAL, 2024),  # 2023 is missing
        (ZIYANG, 2020),  # attachment only
        (XIXIA, 2020),
    ]


def _report(text: str) -> str:
    return report_body_html(text)


def _pengyang() -> TrsColumn:
    base = seed_text("pengyang_approval_2021")
    articles = [
        Article(f"{PENGYANG}{y}年政府信息公开工作年度报告", published, _report(shift_years(base, y - 2021)), publisher=PENGYANG)
        for y, published in [(2021, date(2022, 1, 20)), (2022, date(2023, 1, 16)), (2023, date(2024, 1, 22)), (2024, date(2025, 1, 17))]
    ]
    articles += [
        Article(
            f"图解：{PENGYANG}2021年政府信息公开工作年度报告",
            date(2022, 1, 25),
            '<p><img src="./W020220125.png" alt="一图读懂"/></p>',
            publisher=PENGYANG,
        ),
        Article(
            "彭阳县人民政府办公室关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
            date(2024, 1, 5),
            "<p>各乡镇人民政府，县政府各部门：为做好2023年度政府信息公开工作年度报告编制和发布工作，现将有关事项通知如下……</p>",
            publisher="彭阳县人民政府办公室",
        ),
        Article(  # linked from the list, but robots.txt forbids the folder
            "彭阳县审批服务管理局2024年政府信息公开工作年度报告（校对稿）",
            date(2025, 1, 10),
            "<p>校对稿，请勿转载。</p>",
            publisher=PENGYANG,
            path="/pengyang/preview/202501/t20250110_9001.html",
        ),
    ]
    return TrsColumn(prefix="/pengyang", site_name="彭阳县人民政府", articles=articles, page_size=4, site_code="6404250001")


def _pingluo() -> HanwebColumn:
    approval = seed_text("pingluo_approval_2024")
    articles = [
        Article(f"{PINGLUO_AFFAIRS}2021年政府信息公开工作年度报告", date(2022, 3, 15), _report(seed_text("pingluo_affairs_2021")), publisher=PINGLUO_AFFAIRS),
        Article(f"{PINGLUO_APPROVAL}2022年政府信息公开工作年度报告", date(2023, 1, 18), _report(shift_years(approval, -2)), publisher=PINGLUO_APPROVAL),
        Article(f"{PINGLUO_APPROVAL}2024年政府信息公开工作年度报告", date(2025, 1, 20), _report(approval), publisher=PINGLUO_APPROVAL),
        Article(
            f"《{PINGLUO_APPROVAL}2024年政府信息公开工作年度报告》解读",
            date(2025, 1, 21),
            "<p>一、总体情况解读。2024年，我局坚持以公开为常态……</p>",
            publisher=PINGLUO_APPROVAL,
        ),
        Article(
            "平罗县关于转发《中华人民共和国政府信息公开工作年度报告格式》的通知",
            date(2021, 12, 28),
            "<p>现将国办公开办函〔2021〕30号转发给你们，请认真贯彻执行。</p>",
            publisher="平罗县人民政府办公室",
        ),
    ]
    return HanwebColumn(
        prefix="/pingluo",
        site_name="平罗县人民政府",
        articles=articles,
        page_size=2,
        inline_records=2,
        column_id=1229433621,
        web_id=3321,
        unit_id=7001432,
        site_code="6402210001",
    )


def _ziyang() -> VsbColumn:
    # The 2020 report exists only as a text attachment of an otherwise empty article (GBK, like the site).
    report = seed_text("ziyang_approval_2020")
    name = f"{ZIYANG}2020年政府信息公开工作年度报告.txt"
    articles = [
        Article(
            f"{ZIYANG}2020年政府信息公开工作年度报告",
            date(2021, 1, 25),
            f"<p>{ZIYANG}2020年政府信息公开工作年度报告详见附件。</p>",
            attachments=[Attachment(name, report.encode("gb18030"), "application/octet-stream")],
            publisher=ZIYANG,
        ),
        Article(
            f"一图读懂{ZIYANG}2020年政府信息公开工作年度报告",
            date(2021, 1, 27),
            "<p><img src='/ziyang/__local/tu.jpg'/></p>",
            publisher=ZIYANG,
        ),
        Article(
            "紫阳县人民政府办公室关于报送2020年政府信息公开工作年度报告的通知",
            date(2021, 1, 6),
            "<p>各镇人民政府，县政府各工作部门：请于2021年1月31日前报送……</p>",
            publisher="紫阳县人民政府办公室",
        ),
    ]
    encoding = Encoding(codec="gbk", header=None, meta="gb2312")
    return VsbColumn(prefix="/ziyang", site_name="紫阳县人民政府", articles=articles, page_size=2, encoding=encoding, site_code="6109240001")


def _xixia() -> GkmlptColumn:
    articles = [
        Article(f"{XIXIA}2020年政府信息公开工作年度报告", date(2021, 1, 28), _report(seed_text("xixia_approval_2020")), publisher=XIXIA),
        Article(
            "银川市西夏区人民政府办公室关于印发2020年政府信息公开工作年度报告编制要点的通知",
            date(2021, 1, 8),
            "<p>区属各部门：现将编制要点印发给你们……</p>",
            publisher="银川市西夏区人民政府办公室",
        ),
    ]
    return GkmlptColumn(prefix="/xixia", site_name="银川市西夏区人民政府", articles=articles, page_size=10, sid="200641", catid=2753, site_code="6401050001")


def demo_columns() -> dict[str, ColumnTemplate]:
    """The demo's portals by site id."""
    return {"pengyang": _pengyang(), "pingluo": _pingluo(), "ziyang": _ziyang(), "xixia": _xixia()}


def robots_txt(disallowed: tuple[str, ...] = ROBOTS_DISALLOWED) -> Page:
    lines = ["User-agent: *", *(f"Disallow: {p}" for p in disallowed), ""]
    return Page("\n".join(lines).encode(), content_type="text/plain")


def _home(columns: dict[str, ColumnTemplate]) -> Page:
    links = "".join(f'<li><a href="{c.index_path}">{c.site_name}</a></li>' for c in columns.values())
    return Page(f"<html><head><meta charset='utf-8'><title>nianbao demo</title></head><body><ul>{links}</ul></body></html>".encode())


class DemoPortal:
    """The demo portals, served on ``127.0.0.1:port`` (0 picks a free port)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.columns = demo_columns()
        routes: dict = {"/robots.txt": robots_txt(), "/": _home(self.columns), "/index.html": _home(self.columns)}
        for column in self.columns.values():
            routes.update(column.routes())
        self.server = PortalServer(routes, host=host, port=port)

    def start(self) -> DemoPortal:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> DemoPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def port(self) -> int:
        return self.server.port

    def sites(self) -> list[SiteSpec]:
        return demo_sites(self.base_url)


def demo_sites(base_url: str) -> list[SiteSpec]:
    """The site registry of the demo portals served at ``base_url`` (e.g. ``http://127.0.0.1:18731``)."""
    base = base_url.rstrip("/")
    c = demo_columns()
    xixia = c["xixia"]
    assert isinstance(xixia, GkmlptColumn)
    # Each agency is watched from the first year it published on the demo portal, so the demo's
    # missing-year findings are the gaps a user would look into, not the years before it existed.
    def watched(name: str, since: int) -> list[AgencySpec]:
        return [AgencySpec(name=name, level="department", first_year=since)]

    return [
        SiteSpec(
            id="pengyang",
            name="彭阳县人民政府",
            region="宁夏回族自治区/固原市/彭阳县",
            start_urls=[base + c["pengyang"].index_path],
            cms="trs",
            agencies=watched(PENGYANG, 2021),
        ),
        SiteSpec(
            id="pingluo",
            name="平罗县人民政府",
            region="宁夏回族自治区/石嘴山市/平罗县",
            start_urls=[base + c["pingluo"].index_path],
            cms="auto",
            agencies=watched(PINGLUO_AFFAIRS, 2021) + watched(PINGLUO_APPROVAL, 2022),
        ),
        SiteSpec(
            id="ziyang",
            name="紫阳县人民政府",
            region="陕西省/安康市/紫阳县",
            start_urls=[base + c["ziyang"].index_path],
            cms="auto",
            agencies=watched(ZIYANG, 2020),
        ),
        SiteSpec(
            id="xixia",
            name="银川市西夏区人民政府",
            region="宁夏回族自治区/银川市/西夏区",
            level="district",
            start_urls=[base + xixia.start_url_suffix],
            cms="auto",
            agencies=watched(XIXIA, 2020),
        ),
    ]
