"""The same commands give the same results on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests import pgserver
from tests.conftest import SEEDS, run_cli

pytestmark = pytest.mark.skipif(
    not pgserver.available(), reason="PostgreSQL server binaries missing: run scripts/install-system-deps"
)


def _config(tmp_path: Path, name: str, database: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    cfg = folder / "settings.yaml"
    cfg.write_text(yaml.safe_dump({"database": database, "storage": "raw", "outbox": "outbox"}), encoding="utf-8")
    return cfg


def _results(cfg: Path) -> tuple[list[dict], list[tuple]]:
    imported = run_cli("import", str(SEEDS), config=cfg)
    assert imported.returncode == 0, imported.stderr
    checked = run_cli("check", "--as-of", "2025-06-30", config=cfg)
    assert checked.returncode == 0, checked.stderr
    reports = json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)
    for r in reports:
        r.pop("id"), r.pop("first_seen"), r.pop("source_url")
    findings = json.loads(run_cli("findings", "--format", "json", "--status", "all", config=cfg).stdout)
    keys = sorted((f["kind"], f["rule"] or "", f["agency"] or "", f["report_year"] or 0, f["detail"]) for f in findings)
    return sorted(reports, key=lambda r: (r["agency"], r["report_year"])), keys


def test_sqlite_and_postgresql_agree(tmp_path: Path, pg_url: str) -> None:
    sqlite_cfg = _config(tmp_path, "lite", "sqlite:///nianbao.db")
    pg_cfg = _config(tmp_path, "pg", pg_url)
    pg_reports, pg_findings = _results(pg_cfg)
    again = run_cli("import", str(SEEDS), config=pg_cfg)
    assert "unchanged 5" in again.stdout  # idempotent on PostgreSQL too
    lite_reports, lite_findings = _results(sqlite_cfg)
    assert len(pg_reports) == 5
    assert pg_reports == lite_reports
    assert pg_findings == lite_findings and pg_findings
