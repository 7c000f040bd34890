"""Nothing fails silently in a crawl (issue 13, item 6), on real crawls of loopback portals:
redirect loops and over-long redirect chains, and pages answered 200 that say 页面不存在 (soft
404s), become crawl errors with their reason, in the audit and the summary; a real report that
mentions "404" stays a report; a site that cannot be reached at all is named in the summary and
the command exits 3; the summary's request counts are those of the server's log."""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from core.settings import SiteSpec
from crawler.soft404 import soft_404
from nianbao.cli import EXIT_UNREACHABLE, main
from nianbao.demo.documents import derived_report, report_body_html
from nianbao.demo.server import Page, PortalServer
from tests.conftest import run_cli
from tests.portal_sim.harness import crawl, query, stored_reports, write_settings
from tests.portal_sim.quirks import redirect

REAL = Path(__file__).with_name("real")
HOST = "127.0.0.51"
# A real report (正蓝旗 2021, prose only, ~700 characters) whose text says "工作动态404条": short,
# and with 404 in it, it must stay a report.
ZHENGLANQI = REAL / "neimenggu-zhenglanqi-2021" / "document.txt"


@dataclass(frozen=True)
class Entry:
    title: str
    path: str
    fault: str  # report | loop | chain | soft404 | alert | real


def _title(agency: str, year: int = 2023) -> str:
    return f"{agency}{year}年政府信息公开工作年度报告"


ENTRIES = [
    Entry(_title("正镶白旗财政局"), "/nb/2024/0110/t20240110_1.html", "report"),
    Entry(_title("正蓝旗", 2021), "/nb/2022/0120/t20220120_2.html", "real"),
    Entry(_title("正镶白旗审计局"), "/nb/2024/0111/t20240111_3.html", "loop"),
    Entry(_title("正镶白旗民政局"), "/nb/2024/0112/t20240112_4.html", "chain"),
    Entry(_title("正镶白旗教育局"), "/nb/2024/0113/t20240113_5.html", "soft404"),
    Entry(_title("正镶白旗林草局"), "/nb/2024/0114/t20240114_6.html", "alert"),
]
OLD_COLUMN = "/oldnb/index.html"  # a column that is gone, answered 200 with the portal's error page
CHAIN = 8  # hops of the endless chain (more than REDIRECT_MAX_TIMES, 5)

# The error page a TRS portal serves with 200: its header and footer around the message.
ERROR_PAGE = (
    '<html><head><meta charset="utf-8"><title>提示信息-正镶白旗人民政府</title></head><body>'
    '<div class="header"><a href="/index.html">首页</a> <a href="/zwgk/">政务公开</a> <a href="/hdjl/">互动交流</a></div>'
    '<div class="error"><h2>对不起，您访问的页面不存在！</h2><p>可能原因：网址有误或该信息已删除。</p>'
    '<p><a href="/index.html">返回首页</a></p></div>'
    '<div class="footer">主办：正镶白旗人民政府办公室 地址：正镶白旗明安图镇 电话：0479-0000000 蒙ICP备00000000号</div>'
    "</body></html>"
)
ALERT_PAGE = "<html><head><meta charset='utf-8'></head><body><script>alert('该信息已删除！');window.history.back();</script></body></html>"


def _page(html: str, status: int = 200) -> Page:
    return Page(html.encode("utf-8"), status=status)


def _list_page(entries: list[Entry]) -> Page:
    rows = "".join(f'<li><a href="{e.path}">{e.title}</a><span>2024-01-{10 + i:02d}</span></li>' for i, e in enumerate(entries))
    return _page(f'<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body><a href="/index.html">首页</a><ul>{rows}</ul></body></html>')


def _real_report_page(title: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in ZHENGLANQI.read_text(encoding="utf-8").splitlines() if line.strip())
    return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1><div class="content">{paragraphs}</div></body></html>'


def portal_routes() -> dict[str, Any]:
    routes: dict[str, Any] = {
        "/robots.txt": Page(b"User-agent: *\nDisallow:\n", content_type="text/plain"),
        "/nb/index.html": _list_page(ENTRIES),
        OLD_COLUMN: _page(ERROR_PAGE),
    }
    for e in ENTRIES:
        if e.fault == "report":
            html = report_body_html(derived_report("pingluo_affairs_2021", agency=e.title[:7], year=2023))
            routes[e.path] = _page(f'<html><head><meta charset="utf-8"><title>{e.title}</title></head><body>{html}</body></html>')
        elif e.fault == "real":
            routes[e.path] = _page(_real_report_page(e.title))
        elif e.fault == "loop":  # A → B → A
            routes[e.path] = redirect("/loop/b.html", 302)
            routes["/loop/b.html"] = redirect(e.path, 302)
        elif e.fault == "chain":  # A → /chain/1 → /chain/2 → … (a session id appended for ever)
            routes[e.path] = redirect("/chain/1.html", 302)
            for n in range(1, CHAIN + 1):
                routes[f"/chain/{n}.html"] = redirect(f"/chain/{n + 1}.html", 302)
        elif e.fault == "soft404":
            routes[e.path] = _page(ERROR_PAGE)
        elif e.fault == "alert":
            routes[e.path] = _page(ALERT_PAGE)
    return routes


class Crawled(NamedTuple):
    """The portal, the settings of its crawl, and the crawl's summary."""

    server: PortalServer
    config: Path
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory):
    server = PortalServer(portal_routes(), host=HOST).start()
    try:
        spec = SiteSpec(id="xbq", name="正镶白旗人民政府", region="内蒙古/锡林郭勒盟", start_urls=[server.base_url + p for p in ("/nb/index.html", OLD_COLUMN)])
        config = write_settings(tmp_path_factory.mktemp("silent"), [spec])
        yield Crawled(server, config, crawl(config))
    finally:
        server.stop()


def _errors(c: Crawled) -> dict[str, tuple[str, str]]:
    rows = query(c.config, "SELECT url, kind, detail FROM crawl_errors")
    return {url.removeprefix(c.server.base_url): (kind, detail) for url, kind, detail in rows}


def _entry(fault: str) -> Entry:
    return next(e for e in ENTRIES if e.fault == fault)


def test_redirect_loops_chains_and_soft_404s_become_crawl_errors_with_their_reason(crawled: Crawled) -> None:
    errors = _errors(crawled)
    assert set(errors) == {_entry("loop").path, _entry("chain").path, _entry("soft404").path, _entry("alert").path, OLD_COLUMN}, errors
    kind, detail = errors[_entry("loop").path]
    assert kind == "redirect" and detail.startswith("redirect loop: ") and detail.endswith(_entry("loop").path), detail
    kind, detail = errors[_entry("chain").path]
    assert kind == "redirect" and detail.startswith("more than 5 redirects, no page reached"), detail
    assert errors[_entry("soft404").path] == ("gone", "HTTP 200 page that says '您访问的页面不存在' (heading): page not found")
    assert errors[_entry("alert").path] == ("gone", "HTTP 200 page that says '该信息已删除' (alert): page not found")
    assert errors[OLD_COLUMN][0] == "gone"
    # Nothing of them was stored as a document; the real reports were.
    stored = {u.removeprefix(crawled.server.base_url) for (u,) in query(crawled.config, "SELECT url FROM raw_documents")}
    assert stored == {_entry("report").path, _entry("real").path}


def test_a_real_report_mentioning_404_stays_a_report(crawled: Crawled) -> None:
    assert "404" in ZHENGLANQI.read_text(encoding="utf-8")
    assert ("正蓝旗", 2021) in stored_reports(crawled.config), crawled.summary["_log"][-3000:]
    assert soft_404(_real_report_page(_entry("real").title)) is None


def test_the_summary_counts_what_the_server_logged(crawled: Crawled) -> None:
    s = crawled.summary
    logged = crawled.server.requests()
    assert s["status"] == "finished" and s["unreachable_sites"] == []
    assert s["requests"] == s["responses"] == len(logged)  # every request answered (redirects included)
    assert s["failed_downloads"] == 0
    assert sum(s["responses_by_status"].values()) == len(logged)
    assert s["responses_by_status"].get("302", s["responses_by_status"].get(302)) == sum(1 for r in logged if r.path.startswith(("/loop", "/chain")) or r.path in (_entry("loop").path, _entry("chain").path))
    assert s["errors_by_site"] == {"xbq": {"gone": 3, "redirect": 2}}
    assert sum(n for kinds in s["errors_by_site"].values() for n in kinds.values()) == query(crawled.config, "SELECT count(*) FROM crawl_errors")[0][0]
    hops = [r.path for r in logged if r.path.startswith("/chain/")]
    assert len(hops) == 5  # Scrapy's limit: the chain is given up, not followed for ever


def test_the_audit_shows_each_failure_and_its_reason(crawled: Crawled, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(crawled.config), "audit", "xbq", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    pages = {p["url"].removeprefix(crawled.server.base_url): p for p in data["pages"]}
    assert pages[OLD_COLUMN]["status"] == "gone" and "页面不存在" in pages[OLD_COLUMN]["detail"]
    assert pages["/nb/index.html"]["outcomes"] == {"report": 2, "fetch_error": 4}
    for fault in ("loop", "chain", "soft404", "alert"):
        url = crawled.server.base_url + _entry(fault).path
        assert main(["--config", str(crawled.config), "audit", "xbq", "--url", url, "--format", "json"]) == 0
        story = json.loads(capsys.readouterr().out)
        assert [e["kind"] for e in story["errors"]] == ["gone" if fault in ("soft404", "alert") else "redirect"], story
        assert story["listed"][0]["outcome"] == "fetch_error" and story["fetched"] == []


# A site that cannot be reached at all ----------------------------------------------------------
def _closed_port(host: str) -> int:
    """A port on ``host`` where nothing listens (bound, then closed)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def test_a_site_that_cannot_be_reached_is_named_and_the_recrawl_exits_3(tmp_path: Path) -> None:
    host = "127.0.0.52"
    data = {
        "database": "sqlite:///data/nianbao.db",
        "storage": "data/raw",
        "sites": [{"id": "gone", "name": "测试县人民政府", "region": "测试省/测试县", "start_urls": [f"http://{host}:{_closed_port(host)}/nb/index.html"]}],
        "crawler": {"download_delay": 0, "randomize_delay": False, "autothrottle": False, "retries": 0},
    }
    config = tmp_path / "settings.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    proc = run_cli("recrawl", "--site", "gone", config=config, timeout=120)
    assert proc.returncode == EXIT_UNREACHABLE == 3, proc.stdout + proc.stderr[-3000:]
    assert "unreachable: gone" in proc.stdout
    m = re.search(r"requests (\d+) \(answered (\d+), failed downloads (\d+)\)", proc.stdout)
    assert m, proc.stdout
    requests, answered, failed = map(int, m.groups())
    # What the log says: a line for each failed request: "Gave up retrying" (retries: 0), or the
    # switch to the other scheme (http refused: https is tried once).
    logged = len(re.findall(r"Gave up retrying <GET ", proc.stderr)) + len(re.findall(r" failed \(\w+\): trying https?://", proc.stderr))
    assert requests == failed == logged > 0 and answered == 0, (proc.stdout, proc.stderr[-3000:])
    assert "errors on gone: network" in proc.stdout
    kinds = query(config, "SELECT kind FROM crawl_errors")
    assert kinds and {k for (k,) in kinds} == {"network"}


def test_a_site_that_answers_errors_is_reachable_and_the_crawl_exits_0(tmp_path: Path) -> None:
    # Every page answers 500: the server is there; its errors are crawl errors, not "unreachable".
    with PortalServer({"/robots.txt": Page(b"User-agent: *\n", content_type="text/plain"), "/nb/index.html": _page("<h1>500</h1>", status=500)}, host="127.0.0.53") as server:
        config = write_settings(tmp_path, [SiteSpec(id="busy", name="测试县人民政府", region="测试省/测试县", start_urls=[server.base_url + "/nb/index.html"])], crawler={"retries": 0})
        proc = run_cli("crawl", config=config, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "unreachable" not in proc.stdout and "errors on busy: http 1" in proc.stdout


def test_no_real_document_reads_as_a_soft_404() -> None:
    # Every real document of the corpus (tests/real) and the seeds, served as a page titled by its
    # first line, as a portal would: none is taken for an error page (recall first).
    documents = [*REAL.glob("*/document.*"), *Path(__file__).with_name("data").joinpath("seeds").glob("*.txt")]
    assert len(documents) > 100
    for path in documents:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        title = lines[0][:80]
        body = "".join(f"<p>{line}</p>" for line in lines)
        page = f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>'
        assert soft_404(page) is None, path


def test_a_short_page_that_only_mentions_the_phrase_is_no_soft_404() -> None:
    note = "<html><head><title>正蓝旗2021年报</title></head><body><p>附件：正蓝旗2021年报.pdf（如页面不存在请联系办公室0479-1234567）</p></body></html>"
    assert soft_404(note) is None  # a note on a page, not the page's message
    assert soft_404("<html><head><title>提示</title></head><body><p>对不起，您访问的页面不存在！</p></body></html>") is not None
