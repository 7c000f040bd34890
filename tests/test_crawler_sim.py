"""Real crawls (subprocesses) of the simulated portals, checked the way a user would: what is in
the database, what the servers were asked, and what a second crawl of unchanged sites costs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.portal_sim import GENERIC_MOVED, ROBOTS_FORBIDDEN_STARTS, TRS_DELETED, Simulator, max_concurrency
from tests.portal_sim.harness import crawl, query, stored_reports, write_settings

LIVE_SITES = ("trs", "hanweb", "vsb", "gkmlpt", "generic", "robots")


@dataclass
class Crawled:
    sim: Simulator
    config: Path
    first: dict[str, Any]
    second: dict[str, Any]
    first_requests: dict[str, list]
    second_requests: dict[str, list]
    reports_after_first: list[tuple[str, int]]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    sim = Simulator().start()
    try:
        config = write_settings(tmp_path_factory.mktemp("sim"), sim.sites())
        first = crawl(config)
        first_requests = {p.site_id: sim.requests(p.site_id) for p in sim.portals}
        reports_after_first = stored_reports(config)
        sim.clear_logs()
        second = crawl(config)
        second_requests = {p.site_id: sim.requests(p.site_id) for p in sim.portals}
        yield Crawled(sim, config, first, second, first_requests, second_requests, reports_after_first)
    finally:
        sim.stop()


def test_every_expected_report_is_stored_exactly_once(crawled: Crawled) -> None:
    expected = sorted(crawled.sim.expected_reports())
    assert crawled.reports_after_first == expected, crawled.first["_log"][-3000:]
    assert crawled.first["new"] == len(expected)
    assert crawled.first["status"] == "finished"


def test_families_are_detected_from_the_first_page(crawled: Crawled) -> None:
    families = {site: v["family"] for site, v in crawled.first["per_site"].items()}
    assert families["hanweb"] == "hanweb"
    assert families["vsb"] == "vsb"
    assert families["gkmlpt"] == "gkmlpt"


def test_list_entries_are_recorded_as_sightings_with_title_and_date(crawled: Crawled) -> None:
    rows = query(crawled.config, "SELECT site_id, title, list_date, list_url FROM list_sightings WHERE crawl_run_id = ?", crawled.first["run_id"])
    titles = {(site, title) for site, title, _, _ in rows}
    # GBK bytes under a utf-8 header: the titles must still read as Chinese.
    assert ("generic", "北京市朝阳区民政局2023年政府信息公开工作年度报告") in titles
    assert ("generic", "图解：北京市朝阳区民政局2023年政府信息公开工作年度报告") in titles
    # Non-report entries are seen (evidence) even though they are not fetched.
    assert ("hanweb", "永嘉县关于做好政府信息公开工作年度报告编制工作的通知") in titles
    dated = [d for site, _, d, _ in rows if site == "trs"]
    assert dated and all(d and len(d) == 10 for d in dated)
    assert {site for site, *_ in rows} >= set(LIVE_SITES)


def test_reports_keep_list_hints_and_publication_dates(crawled: Crawled) -> None:
    rows = query(
        crawled.config,
        "SELECT a.name, r.report_year, r.published_on, r.source_url FROM reports r JOIN agencies a ON a.id = r.agency_id",
    )
    by_key = {(a, y): (p, u) for a, y, p, u in rows}
    published, url = by_key[("张家川县财政局", 2023)]
    assert "download.jsp" in url  # the report that exists only as an attachment
    assert published == "2024-01-23"  # the list date of the article that carries it
    assert by_key[("北京市朝阳区民政局", 2022)][1].endswith(GENERIC_MOVED)  # reached through a meta refresh


def test_robots_forbidden_paths_are_never_requested(crawled: Crawled) -> None:
    for requests in (crawled.first_requests, crawled.second_requests):
        for portal in crawled.sim.portals:
            for prefix in portal.forbidden_prefixes:
                fetched = [r.path for r in requests[portal.site_id] if r.path.startswith(prefix)]
                assert fetched == [], f"{portal.site_id}: robots.txt forbids {fetched}"
    kinds = query(crawled.config, "SELECT site_id, kind, url FROM crawl_errors WHERE crawl_run_id = ?", crawled.first["run_id"])
    blocked_starts = sorted(u.split(":", 2)[2].split("/", 1)[1] for s, k, u in kinds if s == "robots" and k == "blocked")
    assert blocked_starts == sorted(p.lstrip("/") for p in ROBOTS_FORBIDDEN_STARTS)  # a forbidden seed is reported, not skipped
    assert any(s == "trs" and k == "robots" for s, k, _ in kinds)


def test_waf_site_is_recorded_blocked_and_not_hammered(crawled: Crawled) -> None:
    for summary, requests in ((crawled.first, crawled.first_requests), (crawled.second, crawled.second_requests)):
        assert summary["blocked_sites"] == ["waf"]
        assert "412" in summary["blocked_reasons"]["waf"]
        assert len(requests["waf"]) <= 2  # robots.txt and the start page, no retries
    rows = query(crawled.config, "SELECT kind FROM crawl_errors WHERE site_id = 'waf' AND crawl_run_id = ?", crawled.first["run_id"])
    assert rows == [("blocked",)]
    assert query(crawled.config, "SELECT count(*) FROM raw_documents WHERE site_id = 'waf'") == [(0,)]  # never parsed


def test_dead_site_is_an_error_while_the_others_crawl(crawled: Crawled) -> None:
    rows = query(crawled.config, "SELECT kind, detail FROM crawl_errors WHERE site_id = 'dead' AND crawl_run_id = ?", crawled.first["run_id"])
    assert [k for k, _ in rows] == ["network"]
    assert "refused" in rows[0][1].lower()
    per_site = crawled.first["per_site"]
    assert all(per_site[s]["new"] > 0 for s in LIVE_SITES)


def test_a_listed_page_that_is_gone_is_an_http_error(crawled: Crawled) -> None:
    rows = query(crawled.config, "SELECT kind, detail, url FROM crawl_errors WHERE site_id = 'trs' AND crawl_run_id = ?", crawled.first["run_id"])
    assert ("http", "HTTP 404") in [(k, d) for k, d, u in rows if u.endswith(TRS_DELETED)]


def test_no_host_ever_serves_two_of_our_requests_at_once(crawled: Crawled) -> None:
    for requests in (crawled.first_requests, crawled.second_requests):
        for site_id, logged in requests.items():
            assert max_concurrency(logged) <= 1, f"{site_id}: per-domain concurrency exceeded"


def test_portal_quirks_are_survived(crawled: Crawled) -> None:
    trs = [r for r in crawled.first_requests["trs"] if "/t20240119_" in r.path]
    assert [r.status for r in trs] == [500, 200]  # retried once, after a backoff
    vsb_downloads = [r for r in crawled.first_requests["vsb"] if "download.jsp" in r.path]
    assert vsb_downloads and all(r.headers.get("referer", "").endswith(".htm") and "/info/" in r.headers["referer"] for r in vsb_downloads)
    posts = [r for r in crawled.first_requests["hanweb"] if r.method == "POST"]
    assert len(posts) == 2 and all(r.headers.get("x-requested-with") == "XMLHttpRequest" for r in posts)
    generic = [r.path for r in crawled.first_requests["generic"]]
    assert "/old/ndbg/" in generic and "/xxgk/ndbg/list_1.html" in generic and "/xxgk/ndbg/list_2.html" in generic


def test_second_crawl_of_unchanged_portals_reads_only_robots_and_first_list_pages(crawled: Crawled) -> None:
    second = crawled.second
    assert (second["new"], second["changed"], second["unchanged"]) == (0, 0, 0)
    assert second["not_due"] >= 6  # known details fetched today: not requested (revisit_days)
    assert stored_reports(crawled.config) == crawled.reports_after_first
    first_total = sum(len(v) for v in crawled.first_requests.values())
    second_total = sum(len(v) for v in crawled.second_requests.values())
    assert second_total <= 0.4 * first_total, (first_total, second_total)
    first_pages = {
        "trs": {"/zfxxgk/zfxxgknb/index.html", "/zfxxgk/zfxxgknb/n2022n/index.html", "/zfxxgk/zfxxgknb/n2023n/index.html"},
        "hanweb": {"/col/col1229779591/index.html"},
        "vsb": {"/zfxxgk/zfxxgknb.htm"},
        "gkmlpt": {"/gkmlpt/index", "/gkmlpt/api/all/4521?page=1&sid=200165"},
        "generic": {"/old/ndbg/", "/xxgk/ndbg/list_1.html"},
        "robots": {"/nb/index.html"},
    }
    for site_id in LIVE_SITES:
        kinds: Counter[str] = Counter()
        for r in crawled.second_requests[site_id]:
            if r.path == "/robots.txt":
                kinds["robots"] += 1
            elif r.path in first_pages[site_id]:
                kinds["first page"] += 1
            elif r.path == TRS_DELETED and r.status == 404:
                kinds["still gone"] += 1  # never stored: asked again, so the latest run still shows the error
            else:
                pytest.fail(f"{site_id}: unexpected request in an unchanged re-crawl: {r.method} {r.path} -> {r.status}")
        assert kinds["robots"] == 1 and kinds["first page"] == len(first_pages[site_id]), (site_id, kinds)
