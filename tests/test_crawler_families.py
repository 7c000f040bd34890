"""Recall of every CMS family's list machinery: real crawls (a subprocess running the Scrapy spider)
of loopback portals (tests/portal_sim/families.py), each checked against what the portal holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.portal_sim import SimPortal
from tests.portal_sim.families import family_portals
from tests.portal_sim.harness import crawl, query, write_settings


@dataclass
class Crawled:
    portals: dict[str, SimPortal]
    config: Path
    summary: dict[str, Any]
    requests: dict[str, list]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    portals = {p.site_id: p for p in family_portals()}
    for p in portals.values():
        assert p.server is not None
        p.server.start()
    try:
        config = write_settings(tmp_path_factory.mktemp("families"), [p.spec() for p in portals.values()])
        summary = crawl(config, timeout=240)
        requests = {site_id: p.server.requests() for site_id, p in portals.items() if p.server}
        yield Crawled(portals, config, summary, requests)
    finally:
        for p in portals.values():
            if p.server:
                p.server.stop()


def reports_of(crawled: Crawled, site_id: str) -> list[tuple[str, int]]:
    """(agency, year) of the reports stored from ``site_id``'s pages."""
    rows = query(
        crawled.config,
        "SELECT DISTINCT a.name, r.report_year FROM reports r JOIN agencies a ON a.id = r.agency_id WHERE r.site_id = ? ORDER BY 1, 2",
        site_id,
    )
    return [(a, int(y)) for a, y in rows]


@pytest.mark.parametrize(
    "site_id",
    [
        "mixed", "mixed-cms", "gkml-frag", "gkml-tree", "gkml-api", "hanweb-big", "vsb-long", "vsb-numbers",
        "dede-static", "dede-php", "dede-static-nonext", "dede-php-nonext", "trs-countpage", "generic-pe",
    ],
)  # fmt: skip
def test_every_report_the_portal_lists_is_stored(crawled: Crawled, site_id: str) -> None:
    portal = crawled.portals[site_id]
    assert portal.expected, "the portal must hold reports"
    assert reports_of(crawled, site_id) == portal.expected, crawled.summary["_log"][-4000:]


def test_the_crawl_finishes_without_errors(crawled: Crawled) -> None:
    assert crawled.summary["status"] == "finished"
    errors = query(crawled.config, "SELECT site_id, kind, url, detail FROM crawl_errors")
    assert errors == []  # a category served whole answers 404 for page 2: the list's end, not an error


def test_each_list_page_is_read_by_the_family_that_fits_it(crawled: Crawled) -> None:
    paths = [r.path for r in crawled.requests["mixed"]]
    got = set(paths)
    # Every createPageHTML page of both TRS year columns under the hand-made root…
    for year in ("2024nd", "2023nd"):
        assert {f"/xxgk/ndbg/{year}/index.html", f"/xxgk/ndbg/{year}/index_1.html", f"/xxgk/ndbg/{year}/index_2.html"} <= got, paths
    # …and both pages of the gkmlpt category the root hands over to.
    api = [p for p in paths if p.startswith("/gkmlpt/api/all/3301")]
    assert len(api) >= 2, paths


def test_gkmlpt_columns_differing_only_by_fragment_are_both_read(crawled: Crawled) -> None:
    api = sorted(r.path.split("?")[0] for r in crawled.requests["gkml-frag"] if r.path.startswith("/gkmlpt/api/all/"))
    assert "/gkmlpt/api/all/4101" in api and "/gkmlpt/api/all/4102" in api
    shells = [r for r in crawled.requests["gkml-frag"] if r.path == "/gkmlpt/index"]
    assert len(shells) == 2  # one per column: the fragment is not sent, so the server sees the shell twice


@pytest.mark.parametrize("site_id", ["gkml-tree", "gkml-api"])
def test_a_shell_without_fragment_reads_only_its_report_categories(crawled: Crawled, site_id: str) -> None:
    asked = {r.path.split("?")[0] for r in crawled.requests[site_id] if r.path.startswith("/gkmlpt/api/all/")}
    assert asked == {"/gkmlpt/api/all/5202", "/gkmlpt/api/all/5203"}  # not 政策文件, not 解读


def test_hanweb_windows_are_posted_up_to_total_record(crawled: Crawled) -> None:
    posts = [r for r in crawled.requests["hanweb-big"] if r.method == "POST"]
    assert posts and all(r.headers.get("x-requested-with") == "XMLHttpRequest" for r in posts)


@pytest.mark.parametrize("site_id", ["vsb-long", "vsb-numbers"])
def test_vsb_pages_are_read_counting_down(crawled: Crawled, site_id: str) -> None:
    lists = [r.path for r in crawled.requests[site_id] if r.path.startswith("/zfxxgk/zfxxgknb")]
    assert set(lists) == {"/zfxxgk/zfxxgknb.htm", *(f"/zfxxgk/zfxxgknb/{n}.htm" for n in (4, 3, 2, 1))}


def test_news_in_a_report_column_are_fetched_unless_the_title_rules_them_out(crawled: Crawled) -> None:
    """As on the real column the portal copies (tests/recorded/trs/): a feature is fetched for the
    parser (and not filed), a meeting is left by its title, the sibling columns are not entered."""
    rows = query(crawled.config, "SELECT title, decision, reason FROM list_sightings WHERE site_id = 'trs-countpage' AND title NOT LIKE '%年度报告%'")
    assert sorted(rows) == [
        ("恩格贝生态示范区召开2024年度工作会暨党风廉政建设会议", "skipped", "excluded_title"),
        ("恩格贝生态示范区：栽下梧桐引凤来", "followed", "fetch"),
    ]
    asked = {r.path for r in crawled.requests["trs-countpage"]}
    assert not any(p.startswith(("/xxgk/xxgkgd/", "/xxgk/rsxx/", "/xxgk/cwgk/")) for p in asked), asked


def test_a_powereasy_column_is_read_by_its_dated_rows_and_plain_pager(crawled: Crawled) -> None:
    """As on the real column the portal copies (tests/recorded/generic/): every page of the plain
    pager is read, the meeting is left by its title, and the chrome that repeats the newest
    entries (a menu with short dates, a box without dates) adds nothing to what is fetched."""
    asked = [r.path for r in crawled.requests["generic-pe"]]
    assert {"/Category_133/Index.aspx", "/Category_133/Index_2.aspx", "/Category_133/Index_3.aspx"} <= set(asked), asked
    rows = query(crawled.config, "SELECT DISTINCT title, decision, reason FROM list_sightings WHERE site_id = 'generic-pe' AND title LIKE '%会议%'")
    assert rows == [("县政府召开第十一次常务会议", "skipped", "excluded_title")]  # on every page: the menu repeats it
    items = [p for p in asked if p.startswith("/Item/")]
    assert len(items) == len(set(items)) == 7, asked  # the seven reports, each once


# Without a crawl ---------------------------------------------------------------------------------
RECORDED = Path(__file__).parent / "recorded"


def test_a_real_dataproxy_answer_gives_every_record_and_the_next_window() -> None:
    from scrapy import Request
    from scrapy.http import XmlResponse

    from crawler.adapters import adapter_for
    from crawler.adapters.hanweb import _RECORD
    from core.settings import SiteSpec

    body = (RECORDED / "hanweb" / "wzkj_wenzhou_dataproxy.xml").read_bytes()
    column = "http://wzkj.example/col/col1220132/index.html"
    state = {"proxy": "http://wzkj.example/module/web/jpage/dataproxy.jsp", "form": {}, "start": 1, "total": 3432, "per": 20, "referer": column}
    url = state["proxy"] + "?startrecord=1&endrecord=60&perpage=20"
    response = XmlResponse(url=url, body=body, encoding="utf-8", request=Request(url, meta={"list_state": state}))
    adapter = adapter_for("hanweb")
    links = adapter.record_links([m.group(1) for m in _RECORD.finditer(body.decode())], column)
    assert [(link.url.rsplit("/", 1)[-1], link.list_date) for link in links] == [
        ("art_1312722_7744076.html", "2017-05-24"),
        ("art_1312722_7744075.html", "2017-05-23"),
        ("art_1312722_7744074.html", "2017-05-12"),
    ]
    assert links[1].title == "关于组织申报科技支撑“五大会战”重大科技项目的通知"  # from the single-quoted title attribute
    site = SiteSpec(id="w", name="温州市科学技术局", start_urls=[column])
    nxt = adapter.parse_list(response, site).next_page
    assert nxt is not None and "startrecord=4&" in nxt.url  # the next window starts after the three records read


def test_fragments_count_only_for_requests_that_ask_for_it() -> None:
    from scrapy import Request

    from crawler.fingerprint import FragmentAwareFingerprinter
    from scrapy.utils.request import fingerprint

    fp = FragmentAwareFingerprinter().fingerprint
    shell = "http://a.example/gkmlpt/index"
    assert fp(Request(f"{shell}#2753", meta={"keep_fragment": True})) != fp(Request(f"{shell}#2754", meta={"keep_fragment": True}))
    # Everything else is deduplicated as Scrapy does it: an in-page anchor is the same page.
    assert fp(Request("http://a.example/nb/index.html#top")) == fp(Request("http://a.example/nb/index.html"))
    assert fp(Request("http://a.example/nb/index.html")) == fingerprint(Request("http://a.example/nb/index.html"))


def test_a_page_read_as_gkmlpt_without_a_shell_is_read_as_an_html_list() -> None:
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.adapters import adapter_for, detect_family
    from core.settings import SiteSpec

    url = "http://a.example/nb/list_1.html"
    body = (
        '<ul><li><a href="/gkmlpt/content/0/1/post_1.html" title="某局2023年政府信息公开工作年度报告">某局…</a> 2024-01-02</li></ul>'
        '<a href="list_2.html">下一页</a>'
    )
    response = HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=Request(url))
    family = detect_family(response)  # one gkmlpt marker (a post link) and nothing else
    page = adapter_for(family).parse_list(response, SiteSpec(id="a", name="x", start_urls=[url]))
    assert [e.url for e in page.entries] == ["http://a.example/gkmlpt/content/0/1/post_1.html"]
    assert page.next_page is not None and page.next_page.url == "http://a.example/nb/list_2.html"
