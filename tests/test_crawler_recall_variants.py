"""Recall first inside a configured 年报 column (issue 10's audit), on a real crawl of a loopback
portal shaped as hand-made county sites are: a column page showing the top of each block with a
更多 link to the block's full list, entries on plain URLs (``/nb/5.html``) without a date, titles
in traditional characters and capital numerals, a body whose name holds 会议, and a 解读 that
must not be fetched. What a user checks: the reports stored, and the pages the portal was asked for."""

from __future__ import annotations

from pathlib import Path

from core.agencies import agency_key
from core.settings import SiteSpec
from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.server import Page, PortalServer
from tests.portal_sim.harness import crawl, stored_reports, write_settings


def _report(agency: str, year: int, title: str) -> Page:
    body = report_body_html(derived_report("pingluo_affairs_2021", agency=agency, year=year))
    return Page(f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'.encode())


def _list(title: str, body: str) -> Page:
    return Page(f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'.encode())


def test_blocks_with_more_links_plain_urls_and_title_variants_are_all_followed(tmp_path: Path) -> None:
    reports = {  # path: (agency, year, the title the list shows)
        "/zfxxgk/nb/1.html": ("洪雅县人民政府办公室", 2023, "洪雅县人民政府办公室政府信息公开工作年度报告"),  # no year, no date
        "/zfxxgk/nb/bmnb/2.html": ("洪雅县财政局", 2023, "洪雅縣財政局貳零貳叁年政府資訊公開工作年度報告"),
        "/zfxxgk/nb/bmnb/3.html": ("洪雅县会议中心", 2023, "洪雅县会议中心2023年政府信息公开工作年度报告"),
        "/zfxxgk/nb/bmnb/4.html": ("洪雅县民政局", 2022, "洪雅县民政局(2022)政府信息公开工作年度报告"),
    }
    interpretation = "/zfxxgk/nb/bmnb/5.html"
    routes: dict = {"/robots.txt": Page(b"User-agent: *\n", content_type="text/plain")}
    routes.update({path: _report(agency, year, title) for path, (agency, year, title) in reports.items()})
    routes[interpretation] = _list("解读", "<p>图解</p>")
    rows = lambda paths: "".join(f'<li><a href="{p}">{reports[p][2]}</a></li>' for p in paths)  # noqa: E731
    # The column page: the government's block in full, the departments' block showing one entry and 更多.
    routes["/zfxxgk/nb/index.html"] = _list(
        "政府信息公开年报",
        '<div class="top"><a href="/index.html">首页</a> <a href="/xwzx/index.html">更多</a></div>'
        f'<div class="box"><h3>政府年报</h3><ul>{rows(["/zfxxgk/nb/1.html"])}</ul></div>'
        f'<div class="box"><h3>部门年报</h3><a href="bmnb/index.html">更多&gt;&gt;</a><ul>{rows(["/zfxxgk/nb/bmnb/2.html"])}</ul></div>',
    )
    routes["/zfxxgk/nb/bmnb/index.html"] = _list(
        "部门年报",
        f'<ul>{rows(["/zfxxgk/nb/bmnb/2.html", "/zfxxgk/nb/bmnb/3.html", "/zfxxgk/nb/bmnb/4.html"])}'
        f'<li><a href="{interpretation}">《洪雅县财政局2023年政府信息公开工作年度报告》解读</a></li></ul>',
    )
    routes["/xwzx/index.html"] = _list("新闻中心", "<ul><li><a href='/xwzx/1.html'>县领导调研春耕</a></li></ul>")
    server = PortalServer(routes).start()
    try:
        spec = SiteSpec(id="hongya", name="洪雅县人民政府", region="测试省/测试市/洪雅县", start_urls=[server.base_url + "/zfxxgk/nb/index.html"])
        config = write_settings(tmp_path, [spec])
        summary = crawl(config)
        asked = {r.path for r in server.requests()}
    finally:
        server.stop()
    # Agencies compared by key: the traditional page files its report under 洪雅縣財政局 as printed.
    stored = sorted((agency_key(a, spec.region), y) for a, y in stored_reports(config))
    assert stored == sorted((agency_key(a, spec.region), y) for a, y, _ in reports.values()), summary["_log"][-3000:]
    assert interpretation not in asked  # clear negative evidence in the title: not fetched
    assert "/xwzx/index.html" not in asked  # the portal's own 更多 (news) is site chrome
