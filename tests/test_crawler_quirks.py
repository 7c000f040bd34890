"""Portal quirks beyond the main simulator: shifted TRS numbering, broken TLS, redirects off the
column (docs/portals.md §2.1, §4), each checked by a real crawl against loopback servers."""

from __future__ import annotations

from pathlib import Path

from tests.portal_sim.harness import crawl, query, stored_reports, write_settings
from tests.portal_sim.moved import MOVED_COLUMN, MOVING_AGENCIES, redirecting_portal, shifted_trs_portal, tls_broken_portal


def _paths(portal) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.path for r in portal.server.requests()]


def test_shifted_trs_numbering_is_read_from_the_create_page_call(tmp_path: Path) -> None:
    portal = shifted_trs_portal("127.0.0.12", call_says_offset=True)
    with portal.server:
        config = write_settings(tmp_path, [portal.spec()])
        summary = crawl(config)
        paths = _paths(portal)
    assert stored_reports(config) == sorted(portal.expected), summary["_log"][-3000:]
    assert {"/nb/index_2.html", "/nb/index_3.html"} <= set(paths)
    assert "/nb/index_1.html" not in paths  # no guess needed: the call said where page 2 is
    assert "/nb/index_4.html" not in paths  # and where the column ends


def test_shifted_trs_numbering_is_found_by_one_404(tmp_path: Path) -> None:
    portal = shifted_trs_portal("127.0.0.13", call_says_offset=False)
    with portal.server:
        config = write_settings(tmp_path, [portal.spec()])
        summary = crawl(config)
        paths = _paths(portal)
    assert stored_reports(config) == sorted(portal.expected), summary["_log"][-3000:]
    assert paths.count("/nb/index_1.html") == 1  # the usual numbering, tried once
    assert {"/nb/index_2.html", "/nb/index_3.html"} <= set(paths)
    assert query(config, "SELECT count(*) FROM crawl_errors") == [(0,)]  # the probe is no error


def test_tls_failure_falls_back_to_http_once(tmp_path: Path) -> None:
    portal = tls_broken_portal("127.0.0.14")
    with portal.server:
        spec = portal.spec()
        https = spec.model_copy(update={"start_urls": [u.replace("http://", "https://") for u in spec.start_urls]})
        config = write_settings(tmp_path, [https])
        summary = crawl(config)
    assert summary["status"] == "finished"
    assert stored_reports(config) == [("朝阳区民政局", 2023)], summary["_log"][-3000:]
    assert query(config, "SELECT count(*) FROM crawl_errors") == [(0,)]


def test_redirects_to_the_homepage_another_host_or_the_folder_are_recorded_not_followed(tmp_path: Path) -> None:
    portal = redirecting_portal("127.0.0.15", "http://127.0.0.99:9")
    with portal.server:
        config = write_settings(tmp_path, [portal.spec()])
        summary = crawl(config)
        paths = _paths(portal)
    assert stored_reports(config) == [(MOVING_AGENCIES[0], 2023)], summary["_log"][-3000:]
    assert "/" not in paths and "/index.html" not in paths and "/nb/" not in paths  # landing pages not fetched
    errors = query(config, "SELECT kind, url, detail FROM crawl_errors ORDER BY id")
    kinds = sorted((k, u.split("/", 3)[3], d.split(":")[0]) for k, u, d in errors)
    assert kinds == sorted(
        [
            ("moved", MOVED_COLUMN.lstrip("/"), "redirected to the homepage"),
            ("moved", next(u for k, u, _ in kinds if k == "moved" and u != MOVED_COLUMN.lstrip("/")), "redirected to another host"),
            ("gone", next(u for k, u, _ in kinds if k == "gone"), "redirected to a folder or list page (deleted document?)"),
        ]
    ), errors


def test_interrupted_crawl_resumes_from_its_job_directory_without_refetching(tmp_path: Path) -> None:
    portal = shifted_trs_portal("127.0.0.16", call_says_offset=True)
    with portal.server:
        config = write_settings(tmp_path, [portal.spec()], crawler={"jobdir": "jobs"})
        first = crawl(config, overrides={"CLOSESPIDER_PAGECOUNT": 3})
        before = _paths(portal)
        portal.server.clear_log()
        resumed = crawl(config)
        after = _paths(portal)
    assert first["status"] == "failed" and first["jobdir"], first["_log"][-3000:]
    assert resumed["status"] == "finished", resumed["_log"][-3000:]
    assert stored_reports(config) == sorted(portal.expected)
    fetched_twice = (set(before) & set(after)) - {"/robots.txt"}
    assert fetched_twice == set(), fetched_twice
    assert resumed["jobdir"] is None and not any((tmp_path / "jobs").iterdir())
