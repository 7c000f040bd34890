"""The officers' static site, opened in a real browser (Debian's headless Chromium via Selenium).

The demo is run as a user runs it; one of its reports then gets a misread total (as an older
parser might have stored it) and the demo runs again, so that the site has a table that does not
balance. Every page is then opened from file:// and checked as an officer would see it.
"""

from __future__ import annotations

import base64
import json
import re
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli, wait_for
from tests.ports import free_port

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
# Screenshots are kept here (build/ is ignored by git), not in pytest's rotating temporary folders.
ARTEFACTS = Path(os.environ.get("NIANBAO_TEST_ARTEFACTS") or ROOT / "build" / "test-artefacts") / "site"
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="chromium and chromium-driver (scripts/install-system-deps)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The demo's database with one unbalanced table, and the site written from it."""
    root = tmp_path_factory.mktemp("site")
    cfg = root / "settings.yaml"
    cfg.write_text("database: sqlite:///data/nianbao.db\nstorage: data/raw\noutbox: data/outbox\n", encoding="utf-8")
    port = str(free_port())  # one free port for both runs, so the portal URLs stay the same
    first = run_cli("demo", "--port", port, config=cfg)
    assert first.returncode == 0, first.stderr[-3000:]
    assert str(root / "data" / "site" / "index.html") in first.stdout  # the demo writes the site and says where
    with sqlite3.connect(root / "data" / "nianbao.db") as con:
        con.execute(
            "UPDATE report_cells SET value = 9, raw = '9' WHERE section = 'requests' AND row_key = 'new' AND col_key = 'total' "
            "AND report_id = (SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id "
            "WHERE a.name = '平罗县审批服务管理局' AND r.report_year = 2024 AND NOT r.superseded)"
        )
        con.execute("DELETE FROM report_facts")
    again = run_cli("demo", "--port", port, config=cfg)
    assert again.returncode == 0, again.stderr[-3000:]
    out = root / "site"
    made = run_cli("site", "--out", str(out), "--as-of", "2025-06-30", config=cfg)
    assert made.returncode == 0, made.stderr[-3000:]
    findings = json.loads(run_cli("findings", "--format", "json", "--status", "all", config=cfg).stdout)
    reports = json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)
    return {"root": root, "cfg": cfg, "out": out, "findings": findings, "reports": reports, "stdout": made.stdout}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Chromium driven by chromedriver in a process group of its own, ended with it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(str(CHROMEDRIVER), popen_kw={"start_new_session": True})
    driver = webdriver.Chrome(service=service, options=opts)
    pgid = service.process.pid
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            try:
                os.killpg(pgid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _group_alive(pgid):
                time.sleep(0.05)
            if _group_alive(pgid):
                os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Zombies of the group (already ended, not yet reaped by us) count as ended.
    out = subprocess.run(["ps", "-o", "stat=", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
    return any(not s.startswith("Z") for s in out)


def _screenshot(driver, name: str) -> Path:
    """Save what the browser shows as ARTEFACTS/``name`` and say where."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / name
    assert driver.save_screenshot(str(shot)), shot
    print(f"screenshot: {shot}")
    return shot


def _open(driver, path: Path) -> tuple[list[dict], list[str]]:
    """Load ``path``; return its console messages at error level and every URL it requested."""
    driver.get_log("browser"), driver.get_log("performance")  # drain earlier pages' entries
    driver.get(path.as_uri())
    deadline = time.monotonic() + 10
    while driver.execute_script("return document.readyState") != "complete":
        assert time.monotonic() < deadline, f"{path} did not finish loading"
        time.sleep(0.05)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return errors, urls


def test_every_page_loads_from_file_without_errors_or_remote_requests(built, browser) -> None:
    pages = sorted(built["out"].rglob("*.html"))
    pages = [p for p in pages if "raw" not in p.relative_to(built["out"]).parts]  # stored copies are the portals' pages
    kinds = {p.relative_to(built["out"]).parts[0] for p in pages}
    assert {"index.html", "reports", "findings", "compare", "regions"} <= kinds
    for page in pages:
        errors, urls = _open(browser, page)
        assert not errors, (page, errors)
        # chrome:// requests are the browser's own start page, never the network.
        leaving = [u for u in urls if not u.startswith(("file://", "data:", "chrome://", "about:"))]
        assert not leaving, (page, leaving)
        assert browser.find_element("css selector", "meta[http-equiv='Content-Security-Policy']")
        # The site's own stylesheet (static/site.css, allowed by the policy) applies from file://.
        bar = browser.execute_script("return getComputedStyle(document.querySelector('header.top')).backgroundColor")
        assert bar == "rgb(139, 26, 26)", (page, bar)
        # Every link stays in the site or is an http(s) source link.
        for href in browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)"):
            assert href.startswith(("file://", "http://", "https://")), (page, href)
            if href.startswith("file://"):
                target = Path(href.split("#")[0].removeprefix("file://"))
                assert target.exists(), (page, href)


def _board(driver) -> dict[tuple[str, int], tuple[str, str]]:
    cells = driver.execute_script(
        "return [...document.querySelectorAll('table.board td[data-status]')].map(td => "
        "[td.closest('tr').dataset.agency, +td.dataset.year, td.dataset.status, td.querySelector('a, span + *') ? "
        "td.innerText : td.innerText])"
    )
    return {(a, y): (s, text) for a, y, s, text in cells}


def test_board_shows_the_statuses_of_the_findings(built, browser) -> None:
    _open(browser, built["out"] / "index.html")
    board = _board(browser)
    open_ = [f for f in built["findings"] if f["status"] in ("new", "open", "reopened") and not f["acknowledged"]]
    missing = {(f["agency"], f["report_year"]) for f in open_ if f["kind"] == "missing_year"}
    late = {(f["agency"], f["report_year"]): f["evidence"]["days_late"] for f in open_ if f["kind"] == "late"}
    unbalanced = {(f["agency"], f["report_year"]) for f in open_ if f["kind"] in ("balance", "carryover")}
    assert missing and late and unbalanced
    for key in missing:
        assert board[key][0] == "missing" and "缺报" in board[key][1], key
    for key, days in late.items():
        if key not in missing | unbalanced:
            assert board[key][0] == "late" and f"逾期 {days} 天" in board[key][1], key
    for key in unbalanced - missing:
        assert board[key][0] == "unbalanced" and "表格不平衡" in board[key][1], key
    flagged = missing | set(late) | unbalanced
    for r in built["reports"]:
        key = (r["agency"], r["report_year"])
        if r["current"] and key not in flagged:
            assert board[key][0] == "on_time" and "按时" in board[key][1], key
    # The filters work over the same data: only the missing reports' rows stay visible.
    browser.execute_script(
        "const s = document.querySelector('select[data-filter=status]'); s.value = 'missing';"
        "s.dispatchEvent(new Event('change'));"
    )
    visible = browser.execute_script(
        "return [...document.querySelectorAll('table.board tbody tr')].filter(r => r.offsetParent).map(r => r.dataset.agency)"
    )
    assert set(visible) == {a for a, _ in missing}


def test_failing_cell_is_highlighted_with_its_equation(built, browser) -> None:
    named = [
        f for f in built["findings"]
        if f["agency"] == "平罗县审批服务管理局" and f["report_year"] == 2024 and f["status"] != "resolved"
        and any(c["section"] == "requests" and c["row"] == "new" and c["column"] == "total" for c in f["cells"])
    ]
    balance = [f for f in named if f["kind"] == "balance"]
    assert balance, "the misread total breaks a balance rule"
    bad = balance[0]
    _open(browser, built["out"] / "reports" / f"{bad['report_id']}.html")
    cell = browser.find_element("id", "c-requests-new-total")
    assert "fail" in cell.get_attribute("class") and cell.text == "9"
    assert set(cell.get_attribute("data-findings").split()) == {str(f["id"]) for f in named}
    # A cell no finding names is not highlighted.
    assert "fail" not in browser.find_element("id", "c-requests-disclosed-natural_person").get_attribute("class")
    body = browser.find_element("tag name", "body").text
    for f in balance:
        assert f["evidence"]["equation"] in body
        if "left" in f["evidence"]:  # both sides of the equation
            assert f"左边 {f['evidence']['left']} ≠ 右边 {f['evidence']['right']}" in body
    assert "三、收到和处理政府信息公开申请情况" in body and "（七）总计" in body
    _screenshot(browser, "report.png")


def _column(driver, col: int) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#region-table tbody tr')].map(r => r.children[arguments[0]].dataset.v)", col
    )


def test_region_comparison_lists_every_agency_of_the_region(built, browser) -> None:
    current = [r for r in built["reports"] if r["current"]]
    _open(browser, built["out"] / "index.html")
    # The index links each region to its year pairs (Y−1, Y); take the pair with the most agencies.
    links = browser.execute_script(
        "return [...document.querySelectorAll('section.region p.yoy a')].map(a => [a.closest('section.region').dataset.region,"
        " a.textContent, a.href, [...a.closest('section.region').querySelectorAll('article.site')].map(s => s.id.slice(5))])"
    )
    assert links, "the index links to the regions' comparisons"

    def agencies(sites: list[str], year: int) -> set[str]:
        return {r["agency"] for r in current if r["site"] in sites and r["report_year"] in (year - 1, year)}

    region, label, href, sites = max(links, key=lambda l: len(agencies(l[3], int(l[1][5:9]))))
    year = int(label[5:9])
    assert label == f"{year - 1}—{year}年度", label
    errors, urls = _open(browser, Path(href.removeprefix("file://")))
    assert not errors and all(u.startswith(("file://", "data:")) for u in urls), (errors, urls)
    assert f"{region}：各机关{year - 1}年度与{year}年度主要数据对比" in browser.find_element("tag name", "h1").text
    # Every agency of the region with a report in either year is a row, with its numbers.
    expected = agencies(sites, year)
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#region-table tbody tr')].map(r => [r.dataset.agency,"
        " [...r.querySelectorAll('td')].map(td => td.dataset.v)])"
    )
    assert len(expected) >= 2 and {a for a, _ in rows} == expected, (rows, links)
    by_agency = {a: v for a, v in rows}
    for r in current:
        if r["site"] in sites and r["report_year"] in (year - 1, year):
            got = by_agency[r["agency"]][0 if r["report_year"] == year - 1 else 1]  # 本年新收申请
            want = r["cells"].get("requests", {}).get("new", {}).get("total")
            assert got == ("" if want is None else str(want)), (r["agency"], r["report_year"], got, want)
    # It prints on A4 landscape pages (the table is wide): the PDF's pages are 297 × 210 mm.
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    boxes = {tuple(round(float(x)) for x in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    assert boxes == {(842, 595)}, boxes
    # Each agency's own comparison page links back to this page.
    compare = next(iter(built["out"].glob("compare/*.html")))
    _open(browser, compare)
    hrefs = browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert any("/regions/" in h for h in hrefs)


def test_region_comparison_sorts_in_the_browser_without_a_server(tmp_path: Path, browser) -> None:
    """Four agencies of one region, two years, received requests that differ (one blank, one
    agency without the later year): the sort buttons order the rows as an officer expects."""
    from core import keys
    from monitor.site.build import build_site
    from tests.monitor_factory import add_agency, add_report, add_site, balanced_cells, make_db, make_settings

    db, settings = make_db(tmp_path), make_settings(tmp_path)
    site = add_site(db)
    new = (keys.REQUESTS, "new", "total")
    given = {"财政局": (5, 9), "教育局": (12, 4), "民政局": (7, None), "卫健委": (3, "absent")}
    for name, (before, after) in given.items():
        aid = add_agency(db, site, f"西湖区{name}")
        add_report(db, aid, 2023, cells={**balanced_cells(), new: before})
        if after != "absent":
            add_report(db, aid, 2024, cells={**balanced_cells(), new: after})
    out = tmp_path / "site"
    with db.session() as s:
        build_site(s, settings, out, as_of=date(2025, 6, 30))
    _open(browser, out / "index.html")
    href = browser.find_element("xpath", "//p[@class='yoy']/a[text()='2023—2024年度']").get_attribute("href")
    errors, _ = _open(browser, Path(href.removeprefix("file://")))
    assert not errors, errors
    agencies = lambda: browser.execute_script(  # noqa: E731
        "return [...document.querySelectorAll('#region-table tbody tr')].map(r => r.dataset.agency.slice(3))"
    )
    assert sorted(agencies()) == sorted(given)
    # 2024 本年新收申请: largest first, the blank and the missing year last; again: smallest first.
    browser.find_element("css selector", "button[data-col='2']").click()
    assert agencies()[:2] == ["财政局", "教育局"] and set(agencies()[2:]) == {"民政局", "卫健委"}
    assert _column(browser, 2) == ["9", "4", "", ""]
    browser.find_element("css selector", "button[data-col='2']").click()
    assert agencies()[:2] == ["教育局", "财政局"]
    # The change column: +4 (财政局) before −8 (教育局); no change computable for the others.
    browser.find_element("css selector", "button[data-col='3']").click()
    assert _column(browser, 3) == ["4", "-8", "", ""]
    texts = browser.execute_script(
        "return [...document.querySelectorAll('#region-table tbody tr')].map(r => r.children[3].textContent)"
    )
    assert texts == ["+4", "-8", "—", "—"]
    cells = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#region-table tbody tr')].map(r =>"
        " [r.dataset.agency.slice(3), r.children[2].textContent]))"
    )
    assert cells["民政局"] == "空白" and cells["卫健委"] == "无报告"  # a blank cell is not a missing report
    # The total adds the agencies with both years: 5 + 12 → 9 + 4, a change of −4.
    total = browser.execute_script("return [...document.querySelectorAll('#region-table tfoot td')].slice(0, 3).map(td => td.textContent)")
    assert total == ["17", "13", "-4"]
    # The 2023 column: 12, 7, 5, 3; the names in pinyin order (cai, jiao, min, wei).
    browser.find_element("css selector", "button[data-col='1']").click()
    assert agencies() == ["教育局", "民政局", "财政局", "卫健委"]
    browser.find_element("css selector", "button[data-col='0']").click()
    assert agencies() == ["财政局", "教育局", "民政局", "卫健委"]
    _screenshot(browser, "region.png")


def test_index_fits_a_phone_screen(built, browser) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )
    try:
        _open(browser, built["out"] / "index.html")
        width = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1] == 390, width
        _screenshot(browser, "index-390.png")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    _open(browser, built["out"] / "index.html")
    _screenshot(browser, "index.png")


def test_regeneration_rewrites_nothing_when_nothing_changed(built) -> None:
    again = run_cli("site", "--out", str(built["out"]), "--as-of", "2025-06-30", config=built["cfg"])
    assert again.returncode == 0
    assert "written 0," in again.stdout and "removed 0" in again.stdout, again.stdout


def test_regeneration_renders_only_the_pages_whose_report_changed(tmp_path: Path) -> None:
    """After a report is parsed again, the next build renders its page and its comparisons; the
    other report pages are kept by their fingerprint, unread; a page deleted by hand comes back."""
    from datetime import datetime, timezone

    from sqlalchemy import update

    from core import keys
    from monitor.site.build import build_site
    from storage.models import Report, ReportCell
    from tests.monitor_factory import add_agency, add_report, add_site, balanced_cells, make_db, make_settings

    db, settings = make_db(tmp_path), make_settings(tmp_path)
    site = add_site(db)
    ids = {}
    for name in ("财政局", "教育局"):
        aid = add_agency(db, site, f"西湖区{name}")
        for year in (2022, 2023, 2024):
            ids[(name, year)] = add_report(db, aid, year, cells=balanced_cells())
    out = tmp_path / "site"

    def build():
        with db.session() as s:
            return build_site(s, settings, out, as_of=date(2025, 6, 30))

    first = build()
    assert first.pages["report"] == 6 and first.pages["compare"] == 4 and first.reused == 0
    again = build()
    assert again.written == 0 and again.reused == 10  # 6 report pages, 4 comparisons: not rendered
    # 教育局 2023 is parsed again with another 本年新收 total.
    rid = ids[("教育局", 2023)]
    with db.session() as s:
        s.execute(update(ReportCell).where(ReportCell.report_id == rid, ReportCell.section == keys.REQUESTS,
                                           ReportCell.row_key == "new", ReportCell.col_key == "total").values(value=99, raw="99"))
        s.execute(update(Report).where(Report.id == rid).values(parsed_at=datetime.now(timezone.utc)))
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.html")}
    # A reader of the served folder that opened the page before keeps reading the whole old page:
    # a regeneration writes beside and renames over (only a first generation writes in place).
    reader = (out / "reports" / f"{rid}.html").open("rb")
    after = build()
    with reader:
        assert reader.read() == before[f"reports/{rid}.html"]
    # Its page, its comparison with 2022 and 2024's comparison with it are rendered; the others
    # kept. Written: those three and the two region pages that show its figure.
    assert after.reused == 10 - 3 and after.written == 3 + 2, after
    changed = {k for k, v in before.items() if (out / k).read_bytes() != v}
    assert changed == {
        f"reports/{rid}.html", f"compare/{rid}.html", f"compare/{ids[('教育局', 2024)]}.html",
        *(k for k in before if k.startswith("regions/") and k.endswith(("-2023.html", "-2024.html"))),
    }, changed
    assert '<td id="c-requests-new-total" class="num">99</td>' in (out / "reports" / f"{rid}.html").read_text(encoding="utf-8")
    # A page removed by hand is written again, though its fingerprint did not change.
    (out / "reports" / f"{ids[('财政局', 2022)]}.html").unlink()
    last = build()
    assert last.written == 1 and (out / "reports" / f"{ids[('财政局', 2022)]}.html").exists()


def test_pages_escape_text_and_link_only_http(tmp_path: Path) -> None:
    from monitor.site.build import environment, safe_url

    assert safe_url("javascript:alert(1)") is None and safe_url("file:///etc/passwd") is None
    assert safe_url("https://www.example.gov.cn/a.html") == "https://www.example.gov.cn/a.html"
    html = environment().from_string("{{ x }}").render(x="<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_digest_links_to_the_site_when_site_url_is_set(built) -> None:
    cfg = built["root"] / "published.yaml"
    cfg.write_text(
        "database: sqlite:///data/nianbao.db\nstorage: data/raw\noutbox: data/outbox-published\n"
        "site_url: https://intranet.example/nianbao\n"
        "recipients:\n  - email: officer@example.org\n    name: 政务公开办\n",
        encoding="utf-8",
    )
    out = run_cli("digest", "--dry-run", "--as-of", "2025-06-30", config=cfg)
    assert out.returncode == 0, out.stderr[-2000:]
    linked = {int(n) for n in re.findall(r"https://intranet\.example/nianbao/findings/(\d+)\.html", out.stdout)}
    assert linked, out.stdout[-2000:]
    for n in linked:  # each link names a page the site has
        assert (built["out"] / "findings" / f"{n}.html").exists()


def test_region_pages_leave_out_the_stand_in_and_are_never_empty(tmp_path: Path) -> None:
    """A region whose only reports are filed under the stand-in 未写明发布机构 gets no year-on-year
    page (and its index section no link to one); in a region with a real body, a year pair only
    the stand-in has a report in is no page either; the stand-in's reports of two years are not
    compared with each other (they may be two bodies')."""
    from core import keys
    from core.agencies import UNNAMED_AGENCY
    from monitor.site.build import build_site
    from monitor.site.region import region_page
    from tests.monitor_factory import add_agency, add_report, add_site, balanced_cells, make_db, make_settings

    db, settings = make_db(tmp_path), make_settings(tmp_path)
    only_unnamed = add_site(db, "shangcheng", "上城区人民政府", "浙江省杭州市上城区")
    standin_a = add_agency(db, only_unnamed, UNNAMED_AGENCY, expected=False)
    unnamed_reports = [add_report(db, standin_a, y, cells=balanced_cells()) for y in (2023, 2024)]
    mixed = add_site(db)  # 浙江省杭州市西湖区
    add_report(db, add_agency(db, mixed, UNNAMED_AGENCY, expected=False), 2021, cells=balanced_cells())
    body = add_agency(db, mixed, "西湖区财政局")
    for year, new in ((2023, 5), (2024, 9)):
        add_report(db, body, year, cells={**balanced_cells(), (keys.REQUESTS, "new", "total"): new})
    out = tmp_path / "site"
    with db.session() as s:
        build_site(s, settings, out, as_of=date(2025, 6, 30))

    pages = sorted(p.relative_to(out).as_posix() for p in (out / "regions").glob("*.html"))
    assert pages == sorted(region_page("浙江省杭州市西湖区", y) for y in (2023, 2024)), pages
    for page in pages:
        html = (out / page).read_text(encoding="utf-8")
        assert html.count('<tr data-agency="') == 1 and 'data-agency="西湖区财政局"' in html, page
        assert UNNAMED_AGENCY not in html.split("<tbody>")[1]
    index = (out / "index.html").read_text(encoding="utf-8")
    sections = {
        region: body for region, body in re.findall(r'<section class="region" data-region="([^"]+)"(.*?)</section>', index, re.S)
    }
    assert set(sections) == {"浙江省杭州市上城区", "浙江省杭州市西湖区"}
    assert 'class="yoy"' not in sections["浙江省杭州市上城区"]
    linked = re.findall(r'<a href="(regions/[^"]+)"', sections["浙江省杭州市西湖区"])
    assert sorted(linked) == pages
    assert not (out / "compare" / f"{unnamed_reports[1]}.html").exists()
    assert 'href="../compare/' not in (out / "reports" / f"{unnamed_reports[1]}.html").read_text(encoding="utf-8")


def _visible_rows(driver) -> list[list[str]]:
    return driver.execute_script(
        "return [...document.querySelectorAll('table.board tbody tr')].filter(r => r.offsetParent)"
        ".map(r => [r.closest('section.region').dataset.region, r.dataset.level, r.dataset.agency])"
    )


def _choose(driver, name: str, value: str) -> None:
    driver.execute_script(
        "const s = document.querySelector(`select[data-filter=${arguments[0]}]`); s.value = arguments[1];"
        "s.dispatchEvent(new Event('change'));", name, value,
    )


def test_index_filters_by_region_level_and_year_without_a_server(tmp_path: Path, browser) -> None:
    """Two regions, bodies of three levels, reports of two years: each filter shows exactly the
    rows (or year columns) it names, from file:// with no server."""
    from monitor.site.build import build_site
    from tests.monitor_factory import add_agency, add_report, add_site, balanced_cells, make_db, make_settings

    db, settings = make_db(tmp_path), make_settings(tmp_path)
    for site, name, region in (("xihu", "西湖区人民政府", "浙江省杭州市西湖区"), ("gongshu", "拱墅区人民政府", "浙江省杭州市拱墅区")):
        add_site(db, site, name, region)
        for agency, level in ((name, "government"), (f"{name[:3]}财政局", "department"), (f"{name[:3]}某街道办事处", "township")):
            aid = add_agency(db, site, agency, level)
            for year in (2023, 2024):
                add_report(db, aid, year, cells=balanced_cells())
    out = tmp_path / "site"
    with db.session() as s:
        build_site(s, settings, out, as_of=date(2025, 6, 30))
    _open(browser, out / "index.html")
    every = _visible_rows(browser)
    regions, levels = {r for r, _, _ in every}, {lv for _, lv, _ in every}
    assert len(every) == 6 and len(regions) == 2 and levels == {"government", "department", "township"}, every
    for level in levels:  # each level: exactly the rows of that level, in every region
        _choose(browser, "level", level)
        assert sorted(_visible_rows(browser)) == sorted(r for r in every if r[1] == level), level
        assert browser.find_element("id", "shown").text == f"显示 {sum(r[1] == level for r in every)} 个机关"
    _choose(browser, "level", "")
    region = sorted(regions)[0]
    _choose(browser, "region", region)
    assert sorted(_visible_rows(browser)) == sorted(r for r in every if r[0] == region)
    _choose(browser, "region", "")
    years = browser.execute_script("return [...document.querySelectorAll('select[data-filter=year] option')].map(o => o.value).filter(Boolean)")
    year = years[-1]
    _choose(browser, "year", year)
    shown_years = browser.execute_script(
        "return [...new Set([...document.querySelectorAll('table.board [data-year]')].filter(c => c.offsetParent).map(c => c.dataset.year))]"
    )
    assert shown_years == [year] and sorted(_visible_rows(browser)) == sorted(every)
    _choose(browser, "year", "")
    assert sorted(_visible_rows(browser)) == sorted(every)


def test_the_site_works_published_under_a_url_prefix(built, browser) -> None:
    """The folder copied as it is under /intranet/nianbao/ of a web server: every page of each
    kind loads without error, asks that server only for files under the prefix, and every link
    into the site answers 200."""
    import threading
    import urllib.request
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    prefix = "/intranet/nianbao/"
    asked: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            asked.append(path)
            if not path.startswith(prefix):
                return str(built["out"] / "no-such-file")
            return super().translate_path("/" + path[len(prefix):])

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(built["out"])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    try:
        compared = sorted(built["out"].glob("compare/*.html"))[0].name  # a report with a year before
        pages = ["index.html", f"reports/{compared}", f"compare/{compared}"] + [
            sorted(built["out"].glob(f"{kind}/*.html"))[0].relative_to(built["out"]).as_posix() for kind in ("findings", "regions")
        ]
        checked: set[str] = set()
        for page in pages:
            browser.get_log("browser"), browser.get_log("performance")
            browser.get(base + page)
            assert wait_for(lambda: browser.execute_script("return document.readyState") == "complete", 10)
            assert not [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")], page
            requested = [
                m["params"]["request"]["url"]
                for m in (json.loads(e["message"])["message"] for e in browser.get_log("performance"))
                if m["method"] == "Network.requestWillBeSent"
            ]
            # chrome:// and about: are the browser's own pages, never the network.
            assert all(u.startswith((base, "data:", "chrome://", "about:")) for u in requested), (page, requested)
            # The stylesheet and script are the site's own files, under the prefix.
            assert {base + "static/site.css", base + "static/site.js"} <= set(requested), (page, requested)
            bar = browser.execute_script("return getComputedStyle(document.querySelector('header.top')).backgroundColor")
            assert bar == "rgb(139, 26, 26)", (page, bar)
            for href in browser.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)"):
                target = href.split("#")[0]
                if target.startswith(base) and target not in checked:
                    checked.add(target)
                    with urllib.request.urlopen(target, timeout=10) as answer:
                        assert answer.status == 200, href
        assert any("/raw/" in u for u in checked) and any("/compare/" in u for u in checked), checked
        assert asked and all(p.startswith(prefix) for p in asked), [p for p in asked if not p.startswith(prefix)]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _pdf_pages(driver) -> set[tuple[int, int]]:
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    return {tuple(round(float(x)) for x in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}


def test_report_and_comparison_print_on_a4_portrait_within_the_page(built, browser) -> None:
    """A report page and an agency's comparison print on A4 portrait (595 × 842 pt), and in print
    media at the A4 text width (210 mm less 2 × 12 mm margins) nothing sticks out to the right;
    the failing cell keeps its mark in print, the site's header and footer are not printed."""
    [bad] = {f["report_id"] for f in built["findings"] if f["kind"] == "balance" and f["agency"] == "平罗县审批服务管理局"
             and f["report_year"] == 2024 and f["status"] != "resolved"}
    compare = sorted(built["out"].glob("compare/*.html"))[0]
    width = round(186 / 25.4 * 96)  # CSS px of the A4 text width
    for page in (built["out"] / "reports" / f"{bad}.html", compare):
        _open(browser, page)
        assert _pdf_pages(browser) == {(595, 842)}, page
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": 1123, "deviceScaleFactor": 1, "mobile": False})
        try:
            sizes = browser.execute_script(
                "const d = document.documentElement; return [d.scrollWidth, d.clientWidth, window.innerWidth,"
                " getComputedStyle(document.querySelector('header.top')).display, getComputedStyle(document.querySelector('footer')).display]"
            )
            assert sizes[0] <= sizes[1] and sizes[2] == width and sizes[3:] == ["none", "none"], (page, sizes)
            if page.parent.name == "reports":
                style = browser.execute_script(
                    "const s = getComputedStyle(document.getElementById('c-requests-new-total')); return [s.outlineStyle, s.outlineWidth]"
                )
                assert style[0] == "solid" and float(style[1].removesuffix("px")) >= 1.5, style
            _screenshot(browser, f"print-{page.parent.name}.png")
        finally:
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_findings_page_tells_its_history(tmp_path: Path) -> None:
    """An unbalanced table is found, acknowledged with a reason, corrected (resolved), then
    published unbalanced again (reopened): the finding's page says each of these as it stands."""
    from datetime import datetime, timezone

    from core import keys
    from monitor.check import run_check
    from monitor.lifecycle import acknowledge
    from sqlalchemy import select

    from core.china_time import local_time
    from monitor.site.build import build_site
    from storage.models import CheckRun, Finding
    from tests.monitor_factory import add_agency, add_report, add_site, make_db, make_settings

    db, settings = make_db(tmp_path), make_settings(tmp_path)
    aid = add_agency(db, add_site(db), "西湖区教育局")
    unbalanced = {(keys.REQUESTS, "results_total", "total"): 13}
    add_report(db, aid, 2024, cells=unbalanced)
    out, as_of = tmp_path / "site", date(2025, 6, 30)

    def page_after_check() -> tuple[dict, str]:
        run_check(db, settings, as_of)
        with db.session() as s:
            [f] = s.scalars(select(Finding).where(Finding.kind == "balance", Finding.rule == "R1")).all()
            row = {"id": f.id, "status": f.status, "resolved_at": f.resolved_at}
            build_site(s, settings, out, as_of=as_of)
        return row, (out / "findings" / f"{row['id']}.html").read_text(encoding="utf-8")

    first, html = page_after_check()
    assert first["status"] == "new" and "首次发现" in html and "仅出现于首次核查" in html and "已解决" not in html
    acknowledge(db, first["id"], "报表口径另有说明")
    add_report(db, aid, 2024, first_seen=datetime(2025, 3, 1, tzinfo=timezone.utc))  # corrected: balanced
    row, html = page_after_check()
    assert row["status"] == "resolved" and row["resolved_at"] is not None
    assert "<b>已解决</b>" in html and "已确认</b>，理由：报表口径另有说明" in html and "<dd>已解决（已确认）</dd>" in html
    add_report(db, aid, 2024, cells=unbalanced, first_seen=datetime(2025, 4, 1, tzinfo=timezone.utc))
    row, html = page_after_check()
    assert (row["id"], row["status"]) == (first["id"], "reopened")
    assert "<b>再次出现</b>" in html and "已确认</b>，理由：报表口径另有说明" in html
    row, html = page_after_check()  # seen again
    assert row["status"] == "open"
    # Every change, in order, and every check that saw it: the 1st, 3rd and 4th, not the 2nd
    # (which resolved it).
    events = re.findall(r"<li><b>([^<]+)</b> ([\d-]+ [\d:]+)(?:，([^<]*))?</li>", html.split("变化记录")[1].split("</ol>")[0])
    assert [(label, detail) for label, _, detail in events] == [
        ("首次发现", ""), ("已确认", "理由：报表口径另有说明"), ("已解决（核查中不再出现）", ""), ("再次出现", "")]
    with db.session() as s:
        runs = [local_time(at)[:16].replace("T", " ") for at in s.scalars(select(CheckRun.at).order_by(CheckRun.id))]
    assert len(runs) == 4 and "出现于以下核查（共 3 次）" in html
    listed = re.findall(r"<li>([\d-]+ [\d:]+)（核查日期 2025-06-30）</li>", html)
    assert listed == [runs[0], runs[2], runs[3]], (listed, runs)


def test_agency_comparison_and_on_time_charts(tmp_path: Path) -> None:
    """An agency's Y−1 against Y: every cell with its change, largest first; the carry-over check
    column by column; the clauses of 一 removed and added. The index's chart of the region: the
    on-time rate per year (2024: two of four bodies on time, one late, one missing)."""
    from core import keys
    from monitor.check import run_check
    from monitor.site.build import build_site
    from tests.monitor_factory import add_agency, add_report, add_site, balanced_cells, make_db, make_settings

    db, settings = make_db(tmp_path), make_settings(tmp_path)
    site = add_site(db)
    cells = balanced_cells()
    R, P = keys.REQUESTS, keys.APPEALS
    changed = {
        (R, "new", "natural_person"): cells[(R, "new", "natural_person")] + 10,
        (R, "new", "total"): cells[(R, "new", "total")] + 10,
        (R, "carried_in", "natural_person"): cells[(R, "carried_in", "natural_person")] + 4,
        (P, "review", "total"): cells[(P, "review", "total")] + 3,
    }
    agencies = {name: add_agency(db, site, f"西湖区{name}") for name in ("财政局", "教育局", "民政局", "司法局")}
    for name, aid in agencies.items():
        add_report(db, aid, 2023, cells=cells, sections_text={"一": "全年主动公开信息。依申请公开办理及时。", "五": "", "六": "无。"})
    fin = add_report(db, agencies["财政局"], 2024, cells=changed,
                     sections_text={"一": "全年主动公开信息。新设公开专栏。", "五": "", "六": "无。"})
    add_report(db, agencies["教育局"], 2024, cells=cells)
    add_report(db, agencies["民政局"], 2024, cells=cells, published_on=date(2025, 6, 1))  # late
    as_of = date(2025, 6, 30)
    run_check(db, settings, as_of)
    out = tmp_path / "site"
    with db.session() as s:
        build_site(s, settings, out, as_of=as_of)

    html = (out / "compare" / f"{fin}.html").read_text(encoding="utf-8")
    body = html.split('<table class="form changes">')[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]*)</td><td class="num">([^<]*)</td><td class="[^"]*">([^<]*)</td></tr>', body)
    assert len(rows) == len(keys.expected_cells(keys.FORMAT_2021)), len(rows)  # every cell of the form
    shown = [r[3] for r in rows]
    assert shown[:4] == ["+10", "+10", "+4", "+3"] and set(shown[4:]) == {"0"}, shown[:6]
    assert {r[0] for r in rows[:2]} == {"一、本年新收·总计", "一、本年新收·自然人"}, rows[:2]
    by_label = {r[0]: r[1:] for r in rows}
    assert by_label["一、本年新收·总计"] == (str(cells[(R, "new", "total")]), str(changed[(R, "new", "total")]), "+10")
    carry = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]*)</td><td class="num">([^<]*)</td>\s*<td class="[^"]*">([^<]*)</td></tr>',
                       html.split("上下年结转核对")[1].split("</table>")[0])
    verdicts = {label: (before, after, verdict) for label, before, after, verdict in carry}
    assert len(verdicts) == len(keys.REQUEST_COLUMNS) and verdicts["自然人"] == ("1", "5", "不一致"), carry
    assert {v[2] for label, v in verdicts.items() if label != "自然人"} == {"一致"}, carry
    diff = html.split("一、总体情况")[1].split("<h3>")[0]
    assert "<p class=\"same\">全年主动公开信息。</p>" in diff
    assert "<del>依申请公开办理及时。</del>" in diff and "<ins>新设公开专栏。</ins>" in diff

    index = (out / "index.html").read_text(encoding="utf-8")
    chart = re.search(r'<figure class="chart" data-region="浙江省杭州市西湖区">(.*?)</figure>', index, re.S).group(1)
    assert "<svg" in chart and "2023年度：4/4（100%）" in chart and "2024年度：2/4（50%）" in chart, chart
