"""Two `nianbao check` started at once on one database: both succeed, each finding is stored once."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS, run_cli


def _check(cfg: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("NIANBAO_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "nianbao.cli", "--config", str(cfg), "check", "--as-of", "2025-06-30"],
        cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )


def test_two_checks_at_once_store_each_finding_once(project, tmp_path: Path) -> None:
    cfg = project({"monitor": {"first_year": 2024}})
    folder = tmp_path / "incoming"
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    assert run_cli("import", str(folder), config=cfg).returncode == 0
    db = tmp_path / "data" / "nianbao.db"
    for _ in range(5):
        with sqlite3.connect(db) as con:  # every finding is new again for both checks
            con.execute("DELETE FROM findings")
        procs = [_check(cfg), _check(cfg)]
        results = [p.communicate(timeout=300) for p in procs]
        for proc, (out, err) in zip(procs, results):
            assert proc.returncode == 0, err
            assert "Error" not in err, err
        with sqlite3.connect(db) as con:
            total = con.execute("SELECT count(*) FROM findings").fetchone()[0]
            twice = con.execute("SELECT fingerprint FROM findings GROUP BY fingerprint HAVING count(*) > 1").fetchall()
        assert total > 0 and twice == []


def test_two_checks_at_once_on_postgresql_store_each_finding_once(project, tmp_path: Path) -> None:
    from sqlalchemy import text

    from storage.db import Database
    from tests import pgserver

    if not pgserver.available():
        pytest.fail("PostgreSQL server binaries missing: run scripts/install-system-deps")
    with pgserver.postgres_server() as url:
        cfg = project({"monitor": {"first_year": 2024}, "database": url})
        seed = next(SEEDS.glob("002_*.txt"))
        assert run_cli("import", str(seed), config=cfg).returncode == 0
        db = Database(url, migrate=False)
        try:
            with db.session() as s:  # a misread total: the check has a finding to add
                s.execute(text("UPDATE report_cells SET value = 9, raw = '9' WHERE section = 'requests' AND row_key = 'new' AND col_key = 'total'"))
                s.execute(text("DELETE FROM report_facts"))
            for _ in range(5):
                with db.session() as s:
                    s.execute(text("DELETE FROM findings"))
                procs = [_check(cfg), _check(cfg)]
                for proc, (_, err) in zip(procs, [p.communicate(timeout=300) for p in procs]):
                    assert proc.returncode == 0 and "Error" not in err, err
                with db.session() as s:
                    total = s.scalar(text("SELECT count(*) FROM findings"))
                    twice = s.execute(text("SELECT fingerprint FROM findings GROUP BY fingerprint HAVING count(*) > 1")).all()
                assert total > 0 and twice == []
        finally:
            db.dispose()
