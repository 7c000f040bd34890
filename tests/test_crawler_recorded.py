"""Recorded real portals (tests/recorded/): a real crawl (a subprocess running the Scrapy spider) of
their list pages, replayed by a loopback proxy under their original addresses, must follow exactly
the links a person finds on them (listed by hand in each family's SOURCES.md): every report and
every other article (recall first), none of the entries whose title is clear negative evidence,
and the list's next page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.portal_sim.harness import crawl, query, write_settings
from tests.portal_sim.recorded import Recording, ReplayProxy, list_pages, load_recordings, site_specs

RECORDINGS = load_recordings()
LISTS = list_pages(RECORDINGS)
DETAILS = [r for r in RECORDINGS if r.served_at and r.links.get("attachment")]
COLUMN_LINKS = [r for r in RECORDINGS if r.served_at and r.links.get("column")]


@dataclass
class Crawled:
    proxy: ReplayProxy
    config: Path
    summary: dict[str, Any]
    asked: set[str]  # every URL the crawl asked the proxy for


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    proxy = ReplayProxy(RECORDINGS).start()
    try:
        config = write_settings(tmp_path_factory.mktemp("recorded"), site_specs(LISTS))
        summary = crawl(config, timeout=180, env=proxy.env())
        asked = {r.path for r in proxy.requests()}
        yield Crawled(proxy, config, summary, asked)
    finally:
        proxy.stop()


def test_every_family_with_a_recorded_list_is_crawled() -> None:
    assert {r.family for r in LISTS.values()} >= {"trs", "generic"}  # README: what is recorded, and what is not


def test_requests_go_through_the_replay_proxy_under_the_original_addresses(crawled: Crawled) -> None:
    assert crawled.summary["status"] == "finished", crawled.summary["_log"][-4000:]
    hosts = {urlsplit(u).hostname for u in crawled.asked}
    assert hosts == {urlsplit(str(r.served_at)).hostname for r in LISTS.values()}, crawled.asked


@pytest.mark.parametrize("site_id", sorted(LISTS))
def test_the_crawl_follows_exactly_the_links_a_person_finds(crawled: Crawled, site_id: str) -> None:
    rec = LISTS[site_id]
    asked = crawled.asked
    reports, others, excluded = rec.urls("report"), rec.urls("other"), rec.urls("excluded")
    assert reports | others, "a recorded list page lists entries (a 年报 column its reports, a news column its articles)"
    assert reports - asked == set(), "every report link is followed (recall 100 %)"
    assert others - asked == set(), "every other article is fetched for the parser to decide (recall first)"
    assert excluded & asked == set(), "entries whose title is clear negative evidence are not fetched"
    assert rec.urls("next") - asked == set(), "the list's next page is asked for"
    # Nothing else: every other request is robots.txt, a list page the crawl audit records, or the
    # page's link to the site's 年报 column, which a title naming a report makes a candidate (recall
    # first: one request more, the parser decides), though finding it is portal discovery's job.
    list_pages = {u for (u,) in query(crawled.config, "SELECT url FROM list_page_visits WHERE site_id = ?", site_id)}
    robots = urljoin(str(rec.served_at), "/robots.txt")
    own = {u for u in asked if urlsplit(u).hostname == urlsplit(str(rec.served_at)).hostname}
    assert own - reports - others - list_pages - rec.urls("column") - {robots} == set()


@pytest.mark.parametrize("site_id", sorted(LISTS))
def test_the_audit_says_why_each_excluded_entry_was_left(crawled: Crawled, site_id: str) -> None:
    rec = LISTS[site_id]
    rows = query(crawled.config, "SELECT url, decision, reason FROM list_sightings WHERE site_id = ? AND list_url = ?", site_id, rec.served_at)
    decided = {url: (decision, reason) for url, decision, reason in rows}
    assert {u: decided.get(u) for u in rec.urls("excluded")} == {u: ("skipped", "excluded_title") for u in rec.urls("excluded")}
    assert {decided.get(u, ("?", None))[0] for u in rec.urls("report", "other")} == {"followed"}


def test_only_what_was_not_recorded_fails(crawled: Crawled) -> None:
    """The replay answers 404 for what nobody recorded (detail pages, page 2): those are the crawl's
    only errors; no recorded page failed to be read."""
    recorded = {str(r.served_at) for r in RECORDINGS if r.served_at}
    errors = query(crawled.config, "SELECT url, kind, detail FROM crawl_errors")
    assert errors and all(kind == "http" and "404" in detail and url not in recorded for url, kind, detail in errors), errors


# Without a crawl: detail pages ------------------------------------------------------------------
@pytest.mark.parametrize("rec", DETAILS, ids=lambda r: r.path.stem)
def test_a_recorded_detail_page_gives_the_files_a_person_finds(rec: Recording) -> None:
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.adapters import adapter_for, detect_family

    url = str(rec.served_at)
    response = HtmlResponse(url=url, body=rec.body, request=Request(url))
    assert detect_family(response) == rec.family
    found = adapter_for(rec.family).attachments(response)
    assert {link.url for link in found} == rec.urls("attachment")


# Without a crawl: the 年报 column a page links ----------------------------------------------------
@pytest.mark.parametrize("rec", COLUMN_LINKS, ids=lambda r: r.path.stem)
def test_portal_discovery_takes_the_link_to_the_年报_column_a_person_finds(rec: Recording) -> None:
    """A news column's menu or sidebar that links the site's 年报 column: portal discovery (the
    ``discover`` spider's link scoring) takes exactly that link for a column candidate, and none of
    the page's other links."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.portal_links import COLUMN_MIN, page_links

    url = str(rec.served_at)
    response = HtmlResponse(url=url, body=rec.body, request=Request(url))
    links = page_links(response.selector, url)
    assert {link.url for link in links if link.score.column >= COLUMN_MIN} == rec.urls("column")
