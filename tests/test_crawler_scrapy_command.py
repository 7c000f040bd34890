"""`scrapy crawl annual_reports` in a project folder is the same crawl as `nianbao crawl`.

A real ``scrapy crawl`` subprocess (a project folder with ``scrapy.cfg`` and ``settings.yaml``)
and ``python -m crawler.run`` (what ``nianbao crawl`` calls) crawl the same simulated portals into
two databases: the same reports and documents end up stored, ``settings.yaml``'s User-Agent is
what the portals see, and the run record shows the ingest workers filed the documents. The Scrapy
settings both paths give a crawler are compared key by key.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from scrapy.crawler import Crawler
from scrapy.settings import Settings as ScrapySettings
from scrapy.utils.project import get_project_settings

from core.settings import SiteSpec, load_settings
from crawler.run import process_settings
from crawler.spiders.annual_reports import AnnualReportsSpider
from tests.portal_sim import Simulator
from tests.portal_sim.harness import FAST, ROOT, crawl, query, stored_reports, write_settings

USER_AGENT = "nianbao-test/1 (one crawl, two commands)"


def _project(folder: Path, sites: list[SiteSpec]) -> Path:
    """A project folder: ``scrapy.cfg`` naming ``crawler.settings`` and a ``settings.yaml`` with a
    User-Agent of its own and one site with its own download slot."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scrapy.cfg").write_text("[settings]\ndefault = crawler.settings\n", encoding="utf-8")
    config = write_settings(folder, sites, {"user_agent": USER_AGENT})
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["sites"][0]["concurrency"] = 1
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return config


def _scrapy_crawl(folder: Path, *options: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl annual_reports`` run in ``folder`` (its own process group, ended in any case)."""
    cmd = [str(Path(sys.executable).with_name("scrapy")), "crawl", "annual_reports", *options]
    for name, value in FAST.items():
        cmd += ["-s", f"{name}={value}"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    for name in ("NIANBAO_CONFIG", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "http_proxy", "https_proxy"):
        env.pop(name, None)
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _documents(config: Path) -> list[tuple[str | None, str, str]]:
    return sorted(query(config, "SELECT site_id, url, sha256 FROM raw_documents"))


def _report_sources(config: Path) -> list[tuple[str, int, str]]:
    rows = query(config, "SELECT a.name, r.report_year, r.source_url FROM reports r JOIN agencies a ON a.id = r.agency_id")
    return sorted((a, int(y), u) for a, y, u in rows)


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory):
    sim = Simulator().start()
    try:
        base = tmp_path_factory.mktemp("onecrawl")
        by_nianbao = _project(base / "nianbao", sim.sites())
        summary = crawl(by_nianbao)
        nianbao_requests = sim.requests()
        sim.clear_logs()
        by_scrapy = _project(base / "scrapy", sim.sites())
        result = _scrapy_crawl(by_scrapy.parent)
        yield sim, by_nianbao, summary, nianbao_requests, by_scrapy, result, sim.requests()
    finally:
        sim.stop()


def test_scrapy_crawl_stores_the_same_reports_and_documents_as_nianbao_crawl(both) -> None:  # type: ignore[no-untyped-def]
    sim, by_nianbao, summary, _, by_scrapy, result, _ = both
    assert result.returncode == 0, result.stderr[-4000:]
    assert summary["status"] == "finished"
    assert stored_reports(by_scrapy) == sorted(sim.expected_reports()), result.stderr[-4000:]
    assert _report_sources(by_scrapy) == _report_sources(by_nianbao)
    assert _documents(by_scrapy) == _documents(by_nianbao)
    assert _documents(by_scrapy)


def test_scrapy_crawl_identifies_itself_with_the_user_agent_of_settings_yaml(both) -> None:  # type: ignore[no-untyped-def]
    *_, nianbao_requests, _, _, scrapy_requests = both
    assert scrapy_requests and nianbao_requests
    assert {r.headers.get("user-agent") for r in scrapy_requests} == {USER_AGENT}
    assert {r.headers.get("user-agent") for r in nianbao_requests} == {USER_AGENT}


def test_scrapy_crawl_records_the_run_and_files_through_ingest_workers(both) -> None:  # type: ignore[no-untyped-def]
    *_, by_scrapy, result, _ = both
    runs = query(by_scrapy, "SELECT kind, status, stats FROM crawl_runs")
    assert len(runs) == 1
    kind, status, stats = runs[0]
    stats = json.loads(stats)
    assert (kind, status) == ("crawl", "finished")
    assert "ingest_wait_seconds" in stats  # written after the ingest workers filed what the crawl kept
    assert stats["pending"] == 0
    assert query(by_scrapy, "SELECT COUNT(*) FROM raw_documents WHERE ingest_pending")[0][0] == 0
    assert "crawl run summary:" in result.stderr  # the summary at the end of the log


def test_scrapy_crawl_rejects_an_unknown_site_in_one_line(tmp_path: Path) -> None:
    _project(tmp_path, [SiteSpec(id="only", name="某县人民政府", start_urls=["http://127.0.0.1:9/"])])
    result = _scrapy_crawl(tmp_path, "-s", "NIANBAO_SITES=nowhere", timeout=60)
    assert result.returncode == 2
    assert "nowhere" in result.stderr
    assert "Traceback" not in result.stderr


# The Scrapy settings both paths give a crawler -------------------------------------------------
def _crawler_settings(base: ScrapySettings) -> dict[str, Any]:
    """The settings a crawler started with ``base`` runs with (add-ons applied, as Scrapy does)."""
    crawler = Crawler(AnnualReportsSpider, base)
    crawler.addons.load_settings(crawler.settings)
    values = crawler.settings.copy_to_dict()
    if values.get("NIANBAO_SETTINGS") is not None:  # compared by value, not identity
        values["NIANBAO_SETTINGS"] = values["NIANBAO_SETTINGS"].model_dump(mode="json")
    return values


def test_both_paths_give_the_crawler_the_same_scrapy_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sites = [
        SiteSpec(id="a", name="甲县人民政府", start_urls=["http://a.example.gov.cn/nb/"], download_delay=7.5, encoding="gbk"),
        SiteSpec(id="b", name="乙县人民政府", start_urls=["http://b.example.gov.cn/nb/"]),
    ]
    config = _project(tmp_path, sites)
    by_nianbao = _crawler_settings(process_settings(load_settings(config)))
    monkeypatch.chdir(tmp_path)
    for name in ("NIANBAO_CONFIG", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")  # what scrapy.cfg says; restored after
    by_scrapy = _crawler_settings(get_project_settings())

    assert by_scrapy["USER_AGENT"] == USER_AGENT
    assert by_scrapy["DOWNLOAD_SLOTS"] == {"a.example.gov.cn": {"delay": 7.5, "concurrency": 1}}
    assert by_scrapy["NIANBAO_SITE_ENCODINGS"] == {"a": "gbk"}
    assert by_scrapy["NIANBAO_SITES"] == ["a", "b"]
    for key in (
        "USER_AGENT", "DOWNLOAD_SLOTS", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER",
        "AUTOTHROTTLE_ENABLED", "CONCURRENT_REQUESTS_PER_DOMAIN", "TWISTED_REACTOR",
        "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS", "NIANBAO_SITE_ENCODINGS", "NIANBAO_SETTINGS",
    ):  # fmt: skip
        assert by_scrapy[key] == by_nianbao[key], key
    # Every other setting too, but the one nianbao's CLI needs for its own logging and the name
    # under which Scrapy's project loader records the module scrapy.cfg named.
    differing = {k for k in by_scrapy.keys() | by_nianbao.keys() if by_scrapy.get(k) != by_nianbao.get(k)}
    assert differing == {"LOG_INSTALL_ROOT_HANDLER", "SETTINGS_MODULE"}
    assert by_scrapy["SETTINGS_MODULE"] == "crawler.settings"


def test_a_command_line_setting_wins_over_settings_yaml(tmp_path: Path) -> None:
    config = _project(tmp_path, [SiteSpec(id="a", name="甲县人民政府", start_urls=["http://a.example.gov.cn/nb/"])])
    assert _crawler_settings(process_settings(load_settings(config)))["USER_AGENT"] == USER_AGENT
    settings = process_settings(load_settings(config), overrides={"USER_AGENT": "from -s"})
    assert _crawler_settings(settings)["USER_AGENT"] == "from -s"
