"""A year sub-column of a 年报 tree that the portal stops linking is a shrunk column (issue 10's
audit): real crawls of a loopback portal before and after, then `nianbao check` and the findings
a compliance officer reads. A sub-column moved to a new address with its entries is no loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import SiteSpec
from nianbao.cli import main
from nianbao.demo.server import Page, PortalServer
from tests.portal_sim.harness import crawl, write_settings


def _page(title: str, links: list[tuple[str, str]]) -> Page:
    rows = "".join(f'<li><a href="{href}">{text}</a><span>2024-01-1{i}</span></li>' for i, (text, href) in enumerate(links))
    return Page(f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><ul>{rows}</ul></body></html>'.encode())


def _year(year: int, folder: str) -> tuple[Page, dict[str, Page]]:
    """A year's sub-column listing three reports, and their pages."""
    entries = [(f"洪雅县第{n}局{year}年政府信息公开工作年度报告", f"/nb/{year}/t{year + 1}01{n:02d}_{n}.html") for n in range(1, 4)]
    details = {path: _page(title, []) for title, path in entries}
    return _page(f"{year}年", entries), details


def test_a_year_sub_column_no_longer_linked_is_a_shrunk_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    routes: dict = {"/robots.txt": Page(b"User-agent: *\n", content_type="text/plain")}
    for year in (2021, 2022, 2023):
        column, details = _year(year, f"/nb/{year}/")
        routes[f"/nb/{year}/index.html"] = column
        routes.update(details)
    years = [("2023年", "/nb/2023/index.html"), ("2022年", "/nb/2022/index.html"), ("2021年", "/nb/2021/index.html")]
    routes["/nb/index.html"] = _page("政府信息公开年报", years)
    server = PortalServer(routes).start()
    try:
        spec = SiteSpec(id="hongya", name="洪雅县人民政府", region="测试省/测试市", start_urls=[server.base_url + "/nb/index.html"])
        config = write_settings(tmp_path, [spec])
        crawl(config)
        # The second crawl: 2022 is no longer linked; 2021 moved to a new address with its entries.
        server.routes["/nb/n2021/index.html"] = server.routes["/nb/2021/index.html"]
        server.routes["/nb/index.html"] = _page("政府信息公开年报", [years[0], ("2021年", "/nb/n2021/index.html")])
        crawl(config)
    finally:
        server.stop()
    assert main(["--config", str(config), "check", "--as-of", "2025-06-30"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "findings", "--format", "json", "--kind", "column_shrunk", "--kind", "column_unreachable"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert [f["evidence"]["column_url"] for f in findings] == [server.base_url + "/nb/2022/index.html"], findings
    shrunk = findings[0]
    assert shrunk["kind"] == "column_shrunk" and shrunk["evidence"]["no_longer_linked"] is True
    assert (shrunk["evidence"]["before"], shrunk["evidence"]["now"]) == (3, 0)
    assert len(shrunk["evidence"]["no_longer_listed"]) == 3 and "少了 3 条" in shrunk["detail"]
