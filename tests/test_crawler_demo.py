"""The bundled demo portals crawl into exactly the reports the demo promises."""

from __future__ import annotations

from pathlib import Path

from nianbao.demo import DemoPortal, demo_sites, expected_demo_reports
from nianbao.demo.portal import ROBOTS_DISALLOWED
from tests.portal_sim.harness import crawl, query, stored_reports, write_settings


def test_demo_portals_crawl_into_the_expected_reports(tmp_path: Path) -> None:
    with DemoPortal(0) as portal:
        config = write_settings(tmp_path, demo_sites(portal.base_url))
        summary = crawl(config)
        requests = portal.server.requests()
        portal.server.clear_log()
        again = crawl(config)
        requests_again = portal.server.requests()
        portal.server.clear_log()
        revalidated = crawl(config, crawler={"revisit_days": 0})  # every known detail is due
        requests_revalidated = portal.server.requests()
    assert summary["status"] == "finished", summary["_log"][-3000:]
    assert stored_reports(config) == sorted(expected_demo_reports())
    assert not [r.path for r in requests if r.path.startswith(ROBOTS_DISALLOWED)]
    assert summary["blocked_sites"] == []
    published = dict(
        ((a, y), p)
        for a, y, p in query(config, "SELECT a.name, r.report_year, r.published_on FROM reports r JOIN agencies a ON a.id = r.agency_id")
    )
    assert published[("平罗县机关事务服务中心", 2021)] == "2022-03-15"  # the late one: due 2022-01-31
    assert ("平罗县审批服务管理局", 2023) not in published  # the missing year
    families = {site: v["family"] for site, v in summary["per_site"].items()}
    assert families == {"pengyang": "trs", "pingluo": "hanweb", "ziyang": "vsb", "xixia": "gkmlpt"}

    # Nothing changed, and every detail was fetched today: the second run reads first list pages only.
    assert (again["new"], again["changed"]) == (0, 0)
    assert again["not_due"] > 0
    assert stored_reports(config) == sorted(expected_demo_reports())
    assert not [r.path for r in requests_again if r.status == 304 or "download.jsp" in r.path], [r.path for r in requests_again]
    assert len(requests_again) < len(requests)

    # With revisit_days 0 every known detail is due: revalidated instead of downloaded, nothing stored.
    assert (revalidated["new"], revalidated["changed"]) == (0, 0)
    details = [r for r in requests_revalidated if r.status == 304]
    assert any("download.jsp" in r.path for r in details)  # the attachment of an unchanged page is revalidated too


def test_demo_sites_name_real_places() -> None:
    sites = {s.id: s for s in demo_sites("http://127.0.0.1:18731")}
    assert set(sites) == {"pengyang", "pingluo", "ziyang", "xixia"}
    assert sites["pengyang"].region == "宁夏回族自治区/固原市/彭阳县"
    assert all(u.startswith("http://127.0.0.1:18731/") for s in sites.values() for u in s.start_urls)
