"""`nianbao migrate-db`: a SQLite database moved to PostgreSQL reads the same, and goes on working."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Base, CrawlRun, Report
from tests.conftest import SEEDS, run_cli
from tests.monitor_factory import add_crawl, add_site, china


def _config(folder: Path, database: str) -> Path:
    folder.mkdir(exist_ok=True)
    cfg = folder / "settings.yaml"
    cfg.write_text(yaml.safe_dump({"database": database, "storage": str(folder / "raw"), "outbox": str(folder / "outbox"),
                                   "recipients": [{"email": "officer@example.org"}]}), encoding="utf-8")
    return cfg


def _ok(*args: str, config: Path) -> str:
    out = run_cli(*args, config=config)
    assert out.returncode in (0, 1), (args, out.stderr)  # 1: `findings` lists open findings
    return out.stdout


def _views(cfg: Path) -> tuple[str, str, str]:
    """What users read: every report with every cell, every finding, a site's crawl audit."""
    return (
        _ok("reports", "--format", "json", config=cfg),
        _ok("findings", "--format", "json", "--status", "all", config=cfg),
        _ok("audit", "xihu", "--format", "json", config=cfg),
    )


def test_a_sqlite_database_moved_to_postgresql_reads_the_same(tmp_path: Path, pg_url: str) -> None:
    lite = _config(tmp_path / "lite", f"sqlite:///{tmp_path / 'lite' / 'nianbao.db'}")
    # A filled database: imported reports (raw documents, reports, cells, facts), a crawl with its
    # list sightings, a check's findings with one acknowledged, and a digest in the outbox.
    _ok("import", str(SEEDS), config=lite)
    db = Database(f"sqlite:///{tmp_path / 'lite' / 'nianbao.db'}")
    add_site(db)
    add_crawl(db, "xihu", china(date(2025, 1, 12)), "https://xihu.gov.cn/col/nb/", ["https://xihu.gov.cn/art/x.html"])
    db.dispose()
    _ok("check", "--as-of", "2025-06-30", config=lite)
    finding_id = json.loads(_ok("findings", "--format", "json", config=lite))[0]["id"]
    _ok("findings", "ack", str(finding_id), "--reason", "已核实", config=lite)
    _ok("digest", "--as-of", "2025-06-30", config=lite)
    before = _views(lite)
    assert json.loads(before[0]) and json.loads(before[1])

    # Small batches: a table is copied in many (report_cells in some twenty).
    moved = run_cli("migrate-db", "--to", pg_url.replace("postgresql+psycopg://", "postgresql://"), "--batch", "50", config=lite)
    assert moved.returncode == 0, moved.stderr
    counted = {t: (int(a.replace(",", "")), int(b.replace(",", "")))
               for t, a, b in re.findall(r"^(\w+)\s+([\d,]+)\s+([\d,]+)$", moved.stdout, re.M)}
    assert set(counted) == {t.name for t in Base.metadata.sorted_tables}
    assert all(a == b for a, b in counted.values()) and "every table's row count matches" in moved.stdout
    filled = ("sites", "agencies", "raw_documents", "reports", "report_cells", "report_facts", "findings",
              "crawl_runs", "list_sightings", "digest_outbox")
    assert all(counted[t][1] > 0 for t in filled), counted

    pg = _config(tmp_path / "pg", pg_url)
    assert _views(pg) == before
    # A target that holds data is refused, in one line, and left as it was.
    refused = run_cli("migrate-db", "--to", pg_url, config=lite)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "already holds data" in refused.stderr, refused.stderr
    assert _views(pg) == before

    # It goes on working: new rows get new ids (the sequences moved past the copied ones), and a
    # check of the moved database finds nothing new.
    target = Database(pg_url, migrate=False)
    with target.session() as s:
        last_run = s.scalar(select(func.max(CrawlRun.id)))
        reports = s.scalar(select(func.count()).select_from(Report))
    assert add_crawl(target, "xihu", china(date(2025, 2, 1)), "https://xihu.gov.cn/col/nb/", ["https://xihu.gov.cn/art/x.html"]) == last_run + 1
    target.dispose()
    again = run_cli("check", "--as-of", "2025-06-30", config=pg)
    assert again.returncode == 0 and re.search(r"\b0 new\b", again.stdout), again.stdout
    assert reports == len(json.loads(before[0]))
