"""docs/extending.md works as written: its example adapter, saved as a module beside the
settings file and named in ``crawler.adapters``, crawls a loopback portal of that family."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from core.registry import ComponentError
from core.settings import SettingsError, SiteSpec, settings_from_dict
from nianbao.demo.server import Page, PortalServer, SimRequest
from tests.portal_sim.families import reports
from tests.portal_sim.harness import ROOT, crawl, query, write_settings

DOC = ROOT / "docs" / "extending.md"


def section() -> str:
    """The page's `## CMS adapters` section (the rest is about readers and rules)."""
    return DOC.read_text(encoding="utf-8").split("\n## CMS adapters\n", 1)[1]
PAGE_SIZE = 3


def example_module() -> str:
    """The adapter module of the worked example (the first Python block of the page)."""
    blocks = re.findall(r"```python\n(.*?)```", section(), re.S)
    assert blocks, "docs/extending.md has no Python example"
    return blocks[0]


def example_adapters_setting() -> dict[str, str]:
    """``crawler.adapters`` as the example's settings.yaml block names it."""
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", section(), re.S) if "sites:" in b)
    return dict(re.findall(r"^\s+(\w+):\s+\"([\w.:]+)\"\s*$", block, re.M))


def json_list_portal() -> tuple[PortalServer, list[tuple[str, int]]]:
    """A column page naming its JSON endpoint, 8 reports and a 解读 over three JSON pages."""
    articles = reports("示例县", 2023, 8)
    articles.insert(2, articles[0].__class__(f"《{articles[0].title}》解读", date(2024, 1, 20), "<p>解读</p>"))
    paths = {i: f"/art/2024/1/{10 + i}/{9000 + i}.html" for i in range(len(articles))}

    def api(request: SimRequest) -> Page:
        if request.query.get("col") != "118":
            return Page(b"{}", status=400, content_type="application/json")
        page = int(request.query.get("page", "1"))
        chunk = list(enumerate(articles))[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        data = {"pages": -(-len(articles) // PAGE_SIZE), "data": [{"title": a.title, "link": paths[i], "date": f"{a.published:%Y-%m-%d}"} for i, a in chunk]}
        return Page(json.dumps(data, ensure_ascii=False).encode(), content_type="application/json")

    column = '<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><div id="list" data-list-api="/api/list?col=118"></div></body></html>'
    routes = {"/robots.txt": Page(b"User-agent: *\nDisallow:\n", content_type="text/plain"), "/col/118/index.html": Page(column.encode()), "/api/list": api}
    for i, a in enumerate(articles):
        routes[paths[i]] = Page(f"<html><head><meta charset='utf-8'><title>{a.title}</title></head><body><h1>{a.title}</h1>{a.body_html}</body></html>".encode())
    expected = sorted((a.publisher, 2023) for a in articles if a.publisher)
    return PortalServer(routes, host="127.0.0.29"), expected


@pytest.mark.parametrize("cms", ["jsonlist", "auto"])
def test_the_documented_adapter_crawls_its_family(tmp_path: Path, cms: str) -> None:
    (tmp_path / "mycms_adapter.py").write_text(example_module(), encoding="utf-8")  # beside settings.yaml, as the page says
    adapters = example_adapters_setting()
    assert adapters == {"jsonlist": "mycms_adapter.JsonListAdapter"}
    server, expected = json_list_portal()
    server.start()
    try:
        site = SiteSpec(id="example", name="示例县人民政府", start_urls=[server.base_url + "/col/118/index.html"], cms=cms)
        config = write_settings(tmp_path, [site], crawler={"adapters": adapters})
        summary = crawl(config)
        asked = [r.path for r in server.requests()]
    finally:
        server.stop()
    rows = query(config, "SELECT a.name, r.report_year FROM reports r JOIN agencies a ON a.id = r.agency_id ORDER BY 1, 2")
    assert [(a, int(y)) for a, y in rows] == expected, summary["_log"][-3000:]
    assert {"/api/list?col=118&page=1", "/api/list?col=118&page=2", "/api/list?col=118&page=3"} <= set(asked)
    assert summary["per_site"]["example"]["family"] == "jsonlist"


def test_a_misspelt_adapter_class_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    from crawler.adapters import AdapterRegistry

    (tmp_path / "mycms_adapter.py").write_text(example_module(), encoding="utf-8")
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ComponentError) as err:
            AdapterRegistry.from_paths({"jsonlist": "mycms_adapter.JsonListAdaptr"})
    finally:
        sys.path.remove(str(tmp_path))
    message = str(err.value)
    assert "\n" not in message and "crawler.adapters.jsonlist" in message and "JsonListAdaptr" in message


def test_a_site_naming_an_unregistered_family_is_rejected() -> None:
    site = {"id": "a", "name": "x", "start_urls": ["http://a/"], "cms": "jsonlist"}
    with pytest.raises(SettingsError) as err:
        settings_from_dict({"sites": [site]}, source="settings.yaml")
    assert "sites.0.cms: 'jsonlist' is not a CMS adapter" in str(err.value)
    ok = settings_from_dict({"sites": [site], "crawler": {"adapters": {"jsonlist": "mycms_adapter.JsonListAdapter"}}})
    assert list(ok.crawler.adapter_paths)[-1] == "jsonlist"  # after the built-ins in detection order


@pytest.mark.parametrize(
    ("adapters", "message"),
    [
        ({"My CMS": "x.Y"}, "crawler.adapters: 'My CMS' is not an adapter name"),
        ({"auto": "x.Y"}, "crawler.adapters: 'auto' is not an adapter name"),
        ({"mycms": "not a path"}, "crawler.adapters: mycms: 'not a path' is not a dotted path"),
    ],
)
def test_bad_adapter_settings_are_rejected_with_key_and_reason(adapters: dict, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        settings_from_dict({"crawler": {"adapters": adapters}}, source="settings.yaml")
    assert message in str(err.value)


def test_a_built_in_family_can_be_dropped() -> None:
    s = settings_from_dict({"crawler": {"adapters": {"dede": None}}})
    assert "dede" not in s.crawler.adapter_paths and list(s.crawler.adapter_paths)[0] == "gkmlpt"
    with pytest.raises(SettingsError, match="sites.0.cms: 'dede' is not a CMS adapter"):
        settings_from_dict({"crawler": {"adapters": {"dede": None}}, "sites": [{"id": "a", "name": "x", "start_urls": ["http://a/"], "cms": "dede"}]})
