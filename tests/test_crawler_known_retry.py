"""An entry whose document could not be kept on one crawl (its fetch failed with a 503 after
retries) is asked for again by the next incremental crawl, even from a deep list page that an
early stop would otherwise never reach; no ``recrawl`` needed."""

from __future__ import annotations

from datetime import date

from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.families import Article, TrsColumn
from nianbao.demo.server import Page, PortalServer
from core.settings import SiteSpec
from tests.portal_sim.harness import crawl, query, write_settings

AGENCIES = ["洪雅县教育和体育局", "洪雅县财政局", "洪雅县审计局", "洪雅县民政局", "洪雅县林业局", "洪雅县止戈镇"]
KEYS = ["pengyang_approval_2021", "pingluo_affairs_2021", "pingluo_approval_2024"]
UNAVAILABLE = Page(b"<html><body>503 Service Unavailable</body></html>", status=503)


def _portal() -> tuple[PortalServer, TrsColumn, dict[str, str]]:
    """A TRS column of six reports, two per list page (three pages); title → detail path."""
    column = TrsColumn(
        prefix="",
        column_dir="zfxxgk/zfxxgknb",
        site_name="洪雅县人民政府",
        page_size=2,
        articles=[
            Article(
                f"{agency}2023年政府信息公开工作年度报告",
                date(2024, 1, 10 + i),
                report_body_html(derived_report(KEYS[i % len(KEYS)], agency=agency, year=2023)),
                publisher=agency,
            )
            for i, agency in enumerate(AGENCIES)
        ],
    )
    paths = {article.title: path for article, path in column.detail_url_paths()}
    return PortalServer(column.routes()).start(), column, paths


def _list_page_of(server: PortalServer, column: TrsColumn, path: str) -> int:
    """Which list page (0-based) links ``path``."""
    name = path.rsplit("/", 1)[1]
    return next(i for i in range(3) if name.encode() in server.routes[column.list_path(i)].body)


def _spec(server: PortalServer, column: TrsColumn) -> SiteSpec:
    return SiteSpec(id="hy", name="洪雅县人民政府", region="四川省/眉山市", start_urls=[server.base_url + column.index_path], cms="trs")


def _run(tmp_path, page: int) -> None:
    server, column, paths = _portal()
    try:
        target = next(p for p in paths.values() if _list_page_of(server, column, p) == page)
        kept = server.routes[target]
        server.routes[target] = UNAVAILABLE  # every attempt of the first crawl: 503
        config = write_settings(tmp_path, [_spec(server, column)])
        first = crawl(config)
        assert first["status"] == "finished", first["_log"][-3000:]
        sources = {u for (u,) in query(config, "SELECT source_url FROM reports")}
        assert len(sources) == 5 and server.base_url + target not in sources

        server.routes[target] = kept  # the server answers again
        server.clear_log()
        second = crawl(config)  # incremental, not a recrawl
        assert second["status"] == "finished", second["_log"][-3000:]
        asked = [r.path for r in server.requests()]
        assert target in asked
        assert second["new"] == 1
        assert server.base_url + target in {u for (u,) in query(config, "SELECT source_url FROM reports")}

        # Everything stored now: the third crawl is as cheap as ever (robots.txt and page one).
        server.clear_log()
        third = crawl(config)
        assert third["status"] == "finished" and third["new"] == 0
        assert sorted(r.path for r in server.requests()) == sorted(["/robots.txt", column.index_path])
    finally:
        server.stop()


def test_a_report_that_failed_on_the_second_list_page_is_stored_by_the_next_crawl(tmp_path) -> None:
    _run(tmp_path, page=1)


def test_a_report_that_failed_on_page_three_is_reached_by_the_next_crawl(tmp_path) -> None:
    _run(tmp_path, page=2)
