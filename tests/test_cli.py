"""The command line as users and outside scripts rely on it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from nianbao.cli import build_parser
from nianbao.clidoc import render_reference, subcommands
from tests.conftest import ROOT, SEEDS, run_cli

CONTRACT = ["demo", "crawl", "recrawl", "discover", "import", "ingest", "reparse", "rawstore", "check", "findings", "assign-agency", "reports", "audit", "export", "digest", "site", "migrate-db", "worker", "serve", "jobs"]


def test_every_contract_command_exists_with_help() -> None:
    subs = subcommands(build_parser())
    assert list(subs) == CONTRACT
    for name, sub in subs.items():
        assert sub.description or any(a.help for a in sub._actions), name


def test_docs_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run `python -m nianbao.clidoc > docs/cli.md`"
    )


def test_readme_names_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in CONTRACT:
        assert f"nianbao [--config PATH] {name}" in readme, name


def test_usage_errors_exit_2_with_one_line(project) -> None:
    cfg = project()
    for args in (["frobnicate"], ["check", "--as-of", "2025-13-01"], ["recrawl"], ["reports", "--year", "nineteen"]):
        out = run_cli(*args, config=cfg)
        assert out.returncode == 2, args
        assert len(out.stderr.strip().splitlines()) >= 1 and "error" in out.stderr
    out = run_cli("crawl", "--site", "nowhere", config=cfg)
    assert out.returncode == 2 and out.stderr.strip() == "nianbao: sites: no site with id 'nowhere' (known: none configured)"
    out = run_cli("import", "/does/not/exist", config=cfg)
    assert out.returncode == 2 and "no such file or folder" in out.stderr


def test_import_twice_stores_once_and_reports_json_contract(project, tmp_path: Path) -> None:
    cfg = project()
    folder = tmp_path / "incoming"
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    first = run_cli("import", str(folder), config=cfg)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "new 5" in first.stdout
    second = run_cli("import", str(folder), config=cfg)
    assert second.returncode == 0 and "unchanged 5" in second.stdout
    out = run_cli("reports", "--format", "json", config=cfg)
    reports = json.loads(out.stdout)
    assert len(reports) == 5
    raw_files = [p for p in (tmp_path / "data" / "raw").rglob("*") if p.is_file()]
    assert len(raw_files) == 5
    by_agency = {r["agency"]: r for r in reports}
    r = by_agency["平罗县审批服务管理局"]
    assert r["report_year"] == 2024 and r["format"] == "2021-30" and r["level"] == "department"
    assert r["cells"]["active"]["licensing"]["decisions"] == 6616
    assert r["cells"]["active"]["fees"]["amount_10k_yuan"] == 28.488564
    assert r["cells"]["requests"]["new"]["natural_person"] == 1 and r["cells"]["requests"]["new"]["total"] == 1
    assert r["cells"]["appeals"]["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}
    assert any("16 values for 15 columns" in w for w in r["warnings"])
    assert r["source_url"].startswith("file://") and r["first_seen"].endswith("+08:00")
    blank = by_agency["平罗县机关事务服务中心"]["cells"]
    assert blank["requests"]["new"]["natural_person"] is None and blank["requests"]["new"]["total"] == 0
    ziyang = by_agency["紫阳县行政审批服务局"]
    assert ziyang["format"] == "2019-60" and ziyang["cells"]["active"]["licensing"] == {"previous_items": 108, "change": 72, "decisions": 7131}


def test_import_options_override_the_document(project, tmp_path: Path) -> None:
    cfg = project()
    seed = next(SEEDS.glob("000_*.txt"))
    out = run_cli(
        "import", str(seed), "--agency", "彭阳县测试局", "--year", "2021", "--published", "2022-02-15",
        "--url", "http://www.pengyang.gov.cn/xxgk/zfxxgknb/202202/t20220215_1.html", config=cfg,
    )
    assert out.returncode == 0, out.stderr
    [r] = json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)
    assert r["agency"] == "彭阳县测试局" and r["published_on"] == "2022-02-15" and r["published_source"] == "given"
    assert r["source_url"] == "http://www.pengyang.gov.cn/xxgk/zfxxgknb/202202/t20220215_1.html"
    bad = run_cli("import", str(SEEDS), "--url", "http://x/", config=cfg)
    assert bad.returncode == 2 and "--url" in bad.stderr


def test_docs_report_keys_is_current() -> None:
    from nianbao.keysdoc import render_keys

    assert (ROOT / "docs" / "report-keys.md").read_text(encoding="utf-8") == render_keys(), (
        "docs/report-keys.md is stale: run `python -m nianbao.keysdoc > docs/report-keys.md`"
    )


def test_reparse_reports_changed_cells_and_resolved_findings(project, tmp_path: Path) -> None:
    """After a parser change, reparse restores every cell from the raw copy and says what moved."""
    cfg = project({"monitor": {"first_year": 2024}})
    seed = next(SEEDS.glob("002_*.txt"))  # 平罗县审批服务管理局 2024
    assert run_cli("import", str(seed), config=cfg).returncode == 0
    db = tmp_path / "data" / "nianbao.db"
    # What an older parser might have stored: a misread total and a lost cell.
    with sqlite3.connect(db) as con:
        con.execute(
            "UPDATE report_cells SET value = 9, raw = '9' "
            "WHERE section = 'requests' AND row_key = 'new' AND col_key = 'total'"
        )
        con.execute(
            "DELETE FROM report_cells WHERE section = 'active' AND row_key = 'licensing' AND col_key = 'decisions'"
        )
        # ... and, being older, no report_facts rows: the check derives them from those cells.
        con.execute("DELETE FROM report_facts")
    run_cli("check", "--as-of", "2025-06-30", config=cfg)
    before = json.loads(run_cli("findings", "--format", "json", config=cfg).stdout)
    assert any(f["kind"] == "balance" for f in before)

    out = run_cli("reparse", "--as-of", "2025-06-30", config=cfg)
    assert out.returncode == 0, out.stderr
    assert "1 cell(s) added, 1 changed, 0 removed" in out.stdout
    assert "requests/new/total: '9' -> '1'" in out.stdout
    assert "resolved" in out.stdout and " 0 resolved" not in out.stdout
    [r] = json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)
    assert r["cells"]["requests"]["new"]["total"] == 1 and r["cells"]["active"]["licensing"]["decisions"] == 6616
    after = json.loads(run_cli("findings", "--format", "json", "--status", "open", config=cfg).stdout)
    assert not [f for f in after if f["kind"] == "balance"]


def test_assign_agency_refiles_an_unnamed_report_under_its_body(project, tmp_path: Path) -> None:
    """A report that names no agency, imported on a site of two bodies, waits under 未写明发布机构;
    `assign-agency` files it under the body the officer names, and the next check clears that
    body's 缺报 of the year."""
    cfg = project({
        "monitor": {"first_year": 2022},
        "sites": [{
            "id": "mtg", "name": "门头沟区人民政府", "region": "北京市/门头沟区",
            "start_urls": ["http://127.0.0.1:9/"],
            "agencies": [{"name": "北京市门头沟区科学技术和信息化局"}, {"name": "北京市门头沟区教育委员会"}],
        }],
    })
    doc = ROOT / "tests" / "real" / "beijing-mentougou-kxj-2022" / "document.txt"
    out = run_cli("import", str(doc), "--site", "mtg", "--url", "https://example.gov.cn/jw/2022.html", config=cfg)
    assert out.returncode == 0, out.stdout + out.stderr
    [report] = json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)
    assert report["agency"] == "未写明发布机构"
    assert run_cli("check", "--as-of", "2023-06-30", config=cfg).returncode == 0

    def findings(kind: str) -> list[dict]:
        out = run_cli("findings", "--format", "json", "--status", "all", "--kind", kind, config=cfg)
        return json.loads(out.stdout)

    assert {(f["agency"], f["status"]) for f in findings("missing_year")} == {
        ("北京市门头沟区科学技术和信息化局", "new"), ("北京市门头沟区教育委员会", "new")}
    for args, message in (
        (["--report", "999", "--agency", "北京市门头沟区教育委员会"], "no report with id 999"),
    ):
        bad = run_cli("assign-agency", *args, config=cfg)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and message in bad.stderr
    out = run_cli("assign-agency", "--report", str(report["id"]), "--agency", "门头沟区教育委员会",
                  "--reason", "栏目属教委", config=cfg)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "北京市门头沟区教育委员会" in out.stdout
    again = run_cli("assign-agency", "--report", str(report["id"]), "--agency", "北京市门头沟区教育委员会", config=cfg)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "is not filed under 未写明发布机构" in again.stderr
    assert run_cli("check", "--as-of", "2023-06-30", config=cfg).returncode == 0
    [report] = json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)
    assert report["agency"] == "北京市门头沟区教育委员会"
    assert {(f["agency"], f["status"]) for f in findings("missing_year")} == {
        ("北京市门头沟区科学技术和信息化局", "open"), ("北京市门头沟区教育委员会", "resolved")}
    [unnamed] = findings("unnamed_agency")
    assert (unnamed["status"], unnamed["ack_reason"]) == ("resolved", "栏目属教委")
