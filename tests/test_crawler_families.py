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
        "mixed", "gkml-frag", "gkml-tree", "gkml-api", "hanweb-big", "vsb-long", "vsb-numbers",
        "dede-static", "dede-php", "dede-static-nonext", "dede-php-nonext", "trs-countpage",
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
