"""``recrawl``: a fresh fetch of one site (no conditional requests, no early stop), optionally one
report year or one URL; resumable job directories; a changed page is picked up by a crawl."""

from __future__ import annotations

import sqlite3

import pytest

from nianbao.demo.server import Page
from tests.portal_sim import Simulator
from tests.portal_sim.harness import crawl, query, stored_reports, write_settings


@pytest.fixture(scope="module")
def trs_site(tmp_path_factory: pytest.TempPathFactory):
    sim = Simulator().start()
    try:
        folder = tmp_path_factory.mktemp("recrawl")
        config = write_settings(folder, [sim.portal("trs").spec(), sim.portal("generic").spec()], crawler={"jobdir": "jobs"})
        first = crawl(config)
        assert first["status"] == "finished" and first["new"] == 7, first["_log"][-3000:]
        yield sim, config
    finally:
        sim.stop()


def test_finished_crawl_leaves_no_job_directory_to_resume(trs_site) -> None:
    sim, config = trs_site
    jobs = config.parent / "jobs"
    assert not jobs.exists() or not any(jobs.iterdir())


def test_recrawl_of_one_year_fetches_afresh_and_reads_every_list_page(trs_site) -> None:
    sim, config = trs_site
    sim.clear_logs()
    summary = crawl(config, sites=["trs"], mode="recrawl", year=2022)
    assert summary["status"] == "finished", summary["_log"][-3000:]
    requests = sim.requests("trs")
    details = [r for r in requests if "/t20" in r.path]
    assert details and all("/n2022n/" in r.path for r in details)  # only 2022 reports (the 2022 sub-column)
    assert all("if-none-match" not in r.headers and "if-modified-since" not in r.headers for r in details)
    paths = {r.path for r in requests}
    assert {"/zfxxgk/zfxxgknb/n2023n/index_1.html", "/zfxxgk/zfxxgknb/n2023n/index_2.html"} <= paths  # no early stop
    assert (summary["new"], summary["changed"], summary["unchanged"]) == (0, 0, 1)
    assert sim.requests("generic") == []  # restricted to the named site


def test_recrawl_of_one_url_fetches_only_that_url(trs_site) -> None:
    sim, config = trs_site
    sim.clear_logs()
    url = next(u for (u,) in query(config, "SELECT source_url FROM reports WHERE source_url LIKE '%t20230116_%'"))
    summary = crawl(config, sites=["trs"], mode="recrawl", url=url)
    assert summary["status"] == "finished"
    paths = [r.path for r in sim.requests("trs")]
    assert paths == ["/robots.txt", url.split(str(sim.portal("trs").server.port), 1)[1]]
    assert summary["unchanged"] == 1


def test_sightings_of_an_interrupted_run_do_not_stop_pagination(trs_site) -> None:
    sim, config = trs_site
    with sqlite3.connect(config.parent / "data" / "nianbao.db") as con:
        con.execute("UPDATE crawl_runs SET status = 'failed'")  # as if every earlier run had been killed
    sim.clear_logs()
    summary = crawl(config, sites=["trs"])
    assert summary["status"] == "finished"
    paths = {r.path for r in sim.requests("trs")}
    assert "/zfxxgk/zfxxgknb/n2023n/index_2.html" in paths  # read to the end again
    assert summary["new"] == 0


def _changed_generic_report(sim: Simulator) -> tuple[str, Page, Page]:
    """(path, old page, changed page) of one report of the generic portal (no validators: hash only)."""
    server = sim.portal("generic").server
    target = next(p for p in server.routes if p.startswith("/xxgk/ndbg/2024/0122/"))
    old = server.routes[target]
    assert isinstance(old, Page)
    new = Page(old.body.replace("本年度".encode("gbk"), "本年".encode("gbk")), old.content_type, last_modified=old.last_modified)
    return target, old, new


def test_a_changed_report_is_left_alone_until_it_is_due(trs_site) -> None:
    sim, config = trs_site
    server = sim.portal("generic").server
    target, old, new = _changed_generic_report(sim)
    server.routes[target] = new
    sim.clear_logs()
    try:
        summary = crawl(config, sites=["generic"])  # revisit_days: 30 (default); fetched minutes ago
    finally:
        server.routes[target] = old
    assert summary["status"] == "finished" and summary["changed"] == 0
    assert target not in [r.path for r in sim.requests("generic")]


def test_a_changed_report_is_picked_up_once_due(trs_site) -> None:
    sim, config = trs_site
    server = sim.portal("generic").server
    target, old, new = _changed_generic_report(sim)
    before = stored_reports(config)
    server.routes[target] = new
    try:
        summary = crawl(config, sites=["generic"], crawler={"revisit_days": 0})
    finally:
        server.routes[target] = old
    assert summary["changed"] == 1 and summary["new"] == 0, summary["_log"][-3000:]
    assert stored_reports(config) == before  # the same report, updated in place
    # Revalidated documents are not due again for revisit_days: the next run asks for none of them.
    sim.clear_logs()
    again = crawl(config, sites=["generic"])
    assert again["changed"] == 0 and target not in [r.path for r in sim.requests("generic")]
