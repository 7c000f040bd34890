"""Two `nianbao check` started at once on one database: both succeed, each finding is stored once."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

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
