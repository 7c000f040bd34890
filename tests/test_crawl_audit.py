"""The crawl audit, on real crawls of a loopback portal: what each list page showed, what was
followed or skipped and why, what it became; `nianbao audit`; and the column findings after a
second crawl of a portal whose column shrank or whose list page fails."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
import sqlalchemy as sa

from core.settings import SiteSpec, load_settings
from nianbao.cli import main
from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.server import Page, PortalServer
from storage.db import Database
from tests import pgserver
from tests.portal_sim.harness import crawl, query, write_settings
from tests.portal_sim.quirks import ruishu_challenge

ROOT = Path(__file__).resolve().parents[1]
OFFSITE = "http://127.0.0.99:9/nb/2024/0113/t20240113_4.html"


@dataclass(frozen=True)
class Entry:
    """One link of the portal's 年报 column and what a correct crawl does with it."""

    title: str
    path: str  # or an absolute URL (off-site)
    expect: str  # report | excluded_title | robots | offsite | gone | duplicate | not_report
    agency: str = ""
    year: int = 0


def _title(agency: str, year: int) -> str:
    return f"{agency}{year}年政府信息公开工作年度报告"


REPORT_A = Entry(_title("洪雅县教育局", 2023), "/nb/2024/0110/t20240110_1.html", "report", "洪雅县教育局", 2023)
PAGE_ONE = [
    REPORT_A,
    Entry(f"《{_title('洪雅县教育局', 2023)}》解读", "/nb/2024/0111/t20240111_2.html", "excluded_title"),
    Entry(_title("洪雅县审计局", 2023), "/internal/2024/0112/t20240112_3.html", "robots"),
    Entry(_title("洪雅县林业局", 2023), OFFSITE, "offsite"),
    Entry(_title("洪雅县财政局", 2023), "/nb/2024/0114/t20240114_5.html", "report", "洪雅县财政局", 2023),
    Entry(_title("洪雅县水务局", 2023), "/nb/2024/0115/t20240115_6.html", "gone"),
]
PAGE_TWO = [
    Entry(REPORT_A.title, REPORT_A.path, "duplicate"),
    Entry(_title("洪雅县教育局", 2022), "/nb/2023/0116/t20230116_7.html", "report", "洪雅县教育局", 2022),
]
# A one-page column of notices (read to its end on every crawl) and a column that will fail.
# Pages of the column that are not reports and whose titles say nothing either way (a title ending
# in 通知 is clear negative evidence and is not fetched): followed, and the parser decides.
NOTICES = [Entry(f"洪雅县第{n}批政务公开事项清单", f"/tz/2024/01{n:02d}/t202401{n:02d}_{n}.html", "not_report") for n in range(1, 7)]
FLAKY = [Entry(_title("洪雅县民政局", 2023), "/mz/2024/0120/t20240120_9.html", "report", "洪雅县民政局", 2023)]


def _list_page(title: str, entries: list[Entry], next_path: str | None = None) -> Page:
    rows = "".join(f'<li><a href="{e.path}">{e.title}</a><span>2024-01-{10 + i:02d}</span></li>' for i, e in enumerate(entries))
    nav = f'<a href="{next_path}">下一页</a>' if next_path else ""
    body = f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><a href="/index.html">首页</a><ul>{rows}</ul>{nav}</body></html>'
    return Page(body.encode("utf-8"))


def _detail(entry: Entry) -> Page:
    if entry.expect in ("report", "duplicate"):
        html = report_body_html(derived_report("pingluo_affairs_2021", agency=entry.agency, year=entry.year))
    else:
        html = f"<p>{entry.title}</p>"
    return Page(f'<html><head><meta charset="utf-8"><title>{entry.title}</title></head><body>{html}</body></html>'.encode("utf-8"))


def portal_routes(notices: list[Entry]) -> dict[str, Any]:
    routes: dict[str, Any] = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /internal/\n", content_type="text/plain"),
        "/nb/index.html": _list_page("政府信息公开年报", PAGE_ONE, "/nb/index_1.html"),
        "/nb/index_1.html": _list_page("政府信息公开年报", PAGE_TWO),
        "/tz/index.html": _list_page("年报相关通知", notices),
        "/mz/index.html": _list_page("民政局年报", FLAKY),
    }
    for e in [*PAGE_ONE, *PAGE_TWO, *NOTICES, *FLAKY]:
        if e.expect not in ("gone", "offsite", "duplicate"):
            routes[e.path] = _detail(e)
    return routes


@dataclass
class Crawled:
    server: PortalServer
    config: Path
    first: dict[str, Any]
    second: dict[str, Any]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    server = PortalServer(portal_routes(NOTICES)).start()
    try:
        spec = SiteSpec(
            id="hongya",
            name="洪雅县人民政府",
            region="测试省/测试市",
            start_urls=[server.base_url + p for p in ("/nb/index.html", "/tz/index.html", "/mz/index.html")],
        )
        config = write_settings(tmp_path_factory.mktemp("audit"), [spec])
        first = crawl(config)
        # The second crawl: half the notices withdrawn, one column's page failing.
        server.routes["/tz/index.html"] = _list_page("年报相关通知", NOTICES[: len(NOTICES) // 2])
        server.routes["/mz/index.html"] = Page(b"<html><body>error</body></html>", status=500)
        second = crawl(config, overrides={"RETRY_TIMES": 0})
        yield Crawled(server, config, first, second)
    finally:
        server.stop()


def _cli(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = main(["--config", str(config), *args])
    return code, capsys.readouterr().out


def _audit(capsys: pytest.CaptureFixture[str], config: Path, run: int) -> dict[str, Any]:
    code, out = _cli(capsys, config, "audit", "hongya", "--run", str(run), "--format", "json")
    assert code == 0
    return json.loads(out)


def _url(base: str, e: Entry) -> str:
    return e.path if e.path.startswith("http") else base + e.path


def test_first_crawl_audit_counts_what_the_portal_holds(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    data = _audit(capsys, crawled.config, crawled.first["run_id"])
    pages = {p["url"].removeprefix(crawled.server.base_url): p for p in data["pages"]}
    assert set(pages) == {"/nb/index.html", "/nb/index_1.html", "/tz/index.html", "/mz/index.html"}
    for path, entries in (("/nb/index.html", PAGE_ONE), ("/nb/index_1.html", PAGE_TWO), ("/tz/index.html", NOTICES)):
        page = pages[path]
        expected = Counter(e.expect for e in entries)
        skipped = {k: v for k, v in expected.items() if k in ("excluded_title", "robots", "offsite", "duplicate")}
        assert page["seen"] == len(entries), path
        assert page["skipped"] == skipped, path
        assert page["followed"] == len(entries) - sum(skipped.values()), path
        became = {"report": expected["report"], "fetch_error": expected["gone"], "not_report": expected["not_report"]}
        assert page["outcomes"] == {k: v for k, v in became.items() if v}, path
        assert page["status"] == "read"
    assert pages["/nb/index.html"]["pagination"] == "followed" and pages["/nb/index_1.html"]["pagination"] == "end"
    assert pages["/nb/index.html"]["dropped"].get("navigation", 0) >= 2  # 首页, 下一页: site chrome, not entries
    reports = sum(1 for e in [*PAGE_ONE, *PAGE_TWO, *FLAKY] if e.expect == "report")
    assert data["totals"]["outcomes"]["report"] == reports
    stored = query(crawled.config, "SELECT count(*) FROM reports")[0][0]
    assert stored == reports  # the audit's "report" is what was filed


def test_cli_table_for_a_site(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(capsys, crawled.config, "audit", "hongya", "--run", str(crawled.first["run_id"]))
    assert code == 0
    assert f"run {crawled.first['run_id']} (crawl, finished" in out
    row = next(line for line in out.splitlines() if line.startswith(crawled.server.base_url + "/nb/index.html"))
    for word in ("excluded_title 1", "robots 1", "offsite 1", "report 2", "fetch_error 1"):
        assert word in row, row
    assert "total: 4 list pages" in out


def test_cli_story_of_one_link(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    base = crawled.server.base_url
    code, out = _cli(capsys, crawled.config, "audit", "hongya", "--run", str(crawled.first["run_id"]), "--url", base + REPORT_A.path)
    assert code == 0
    assert f"listed on {base}/nb/index.html" in out and f"listed on {base}/nb/index_1.html" in out
    assert "followed (fetch) -> report" in out and "skipped (duplicate)" in out
    assert f"report 1: {REPORT_A.agency} {REPORT_A.year}" in out or f": {REPORT_A.agency} {REPORT_A.year} (" in out
    assert "说明：新链接，已抓取；已作为年报入库" in out
    robots = next(e for e in PAGE_ONE if e.expect == "robots")
    code, out = _cli(capsys, crawled.config, "audit", "hongya", "--url", base + robots.path, "--format", "json")
    story = json.loads(out)
    assert [(e["decision"], e["reason"]) for e in story["listed"]] == [("skipped", "robots")] * 2  # both runs
    assert "robots.txt" in story["listed"][0]["explanation"] and story["reports"] == [] and story["fetched"] == []


def test_unknown_site_and_foreign_run_are_usage_errors(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(crawled.config), "audit", "nosuchsite"]) == 2
    assert main(["--config", str(crawled.config), "audit", "hongya", "--run", "999"]) == 2


def test_second_crawl_audit_shows_known_entries_not_due_and_the_failed_page(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    data = _audit(capsys, crawled.config, crawled.second["run_id"])
    pages = {p["url"].removeprefix(crawled.server.base_url): p for p in data["pages"]}
    first = pages["/nb/index.html"]
    assert first["pagination"] == "stopped_known"  # only known entries: page two is not read again
    fetched_before = sum(1 for e in PAGE_ONE if e.expect in ("report",))
    assert first["skipped"].get("not_due") == fetched_before
    assert pages["/mz/index.html"]["status"] == "failed" and pages["/mz/index.html"]["detail"] == "HTTP 500"
    assert pages["/tz/index.html"]["seen"] == len(NOTICES) // 2


def test_findings_for_the_shrunk_column_and_the_failing_list(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(crawled.config), "check", "--as-of", "2025-06-30"]) == 0
    capsys.readouterr()
    code, out = _cli(capsys, crawled.config, "findings", "--format", "json", "--kind", "column_shrunk", "--kind", "column_unreachable")
    findings = json.loads(out)
    by_kind = {f["kind"]: f for f in findings}
    assert set(by_kind) == {"column_shrunk", "column_unreachable"}, findings
    shrunk = by_kind["column_shrunk"]
    assert shrunk["evidence"]["column_url"].endswith("/tz/index.html")
    assert (shrunk["evidence"]["before"], shrunk["evidence"]["now"]) == (len(NOTICES), len(NOTICES) // 2)
    assert "年报栏目" in shrunk["detail"] and f"少了 {len(NOTICES) - len(NOTICES) // 2} 条" in shrunk["detail"]
    assert by_kind["column_unreachable"]["evidence"]["column_url"].endswith("/mz/index.html")
    # The paginated column read only up to its first known page is not taken for a shrunk one.
    assert not any(f["evidence"]["column_url"].endswith("/nb/index.html") for f in findings)


def test_page_limit_and_waf_challenge_are_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = PortalServer(portal_routes(NOTICES)).start()
    walled = PortalServer({"/robots.txt": Page(b"User-agent: *\n", content_type="text/plain"), "/nb/index.html": ruishu_challenge}).start()
    try:
        sites = [
            SiteSpec(id="hongya", name="洪雅县人民政府", region="测试省/测试市", start_urls=[server.base_url + "/nb/index.html"]),
            SiteSpec(id="walled", name="某县人民政府", region="测试省/测试市", start_urls=[walled.base_url + "/nb/index.html"]),
        ]
        config = write_settings(tmp_path, sites, crawler={"max_pages_per_site": 1})
        summary = crawl(config)
    finally:
        server.stop()
        walled.stop()
    assert summary["blocked_sites"] == ["walled"]
    code, out = _cli(capsys, config, "audit", "hongya", "--format", "json")
    pages = json.loads(out)["pages"]
    assert [(p["url"].removeprefix(server.base_url), p["pagination"], p["seen"]) for p in pages] == [("/nb/index.html", "max_pages", len(PAGE_ONE))]
    code, out = _cli(capsys, config, "audit", "walled", "--format", "json")
    assert [(p["status"], p["seen"]) for p in json.loads(out)["pages"]] == [("blocked", 0)]


# The migration, on both databases ---------------------------------------------------------------
def _upgrade_from_0007(url: str) -> None:
    """A database at 0007 with a sighting upgrades (the old row keeps no decision), downgrades
    back to 0007, and upgrades again."""
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "storage" / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
        conn.execute(sa.text("INSERT INTO sites (id, name, region, level, cms) VALUES ('s', '某县人民政府', '', 'county', 'auto')"))
        conn.execute(sa.text(
            "INSERT INTO list_sightings (site_id, list_url, url, title, seen_at) VALUES ('s', 'http://x/list', 'http://x/1', 't', '2025-01-01')"
        ))  # fmt: skip
    engine.dispose()
    db = Database(url)  # upgrades to the newest revision
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT url, decision, reason FROM list_sightings")).all() == [("http://x/1", None, None)]
        assert conn.execute(sa.text("SELECT count(*) FROM list_page_visits")).scalar() == 0
    db.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        assert "list_page_visits" not in sa.inspect(conn).get_table_names()
        assert "decision" not in {c["name"] for c in sa.inspect(conn).get_columns("list_sightings")}
        command.upgrade(cfg, "head")
        assert {"decision", "reason"} <= {c["name"] for c in sa.inspect(conn).get_columns("list_sightings")}
    engine.dispose()


def test_migration_0008_sqlite(tmp_path: Path) -> None:
    _upgrade_from_0007(f"sqlite:///{tmp_path / 'db.sqlite'}")


@pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries missing: run scripts/install-system-deps")
def test_migration_0008_postgresql() -> None:
    with pgserver.postgres_server() as url:
        _upgrade_from_0007(url)


def test_settings_run_the_column_check_by_default() -> None:
    assert "monitor.rules.crawl_columns.ColumnChangeCheck" in load_settings(None).monitor.check_paths
