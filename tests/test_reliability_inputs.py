"""Every bad input ends `nianbao` with one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli


def _one_line_exit_2(out: subprocess.CompletedProcess, *words: str) -> None:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize(
    "text, words",
    [
        ("base_dir: /tmp\n", ["base_dir", "unknown key"]),
        ("1: x\n", ["1", "unknown key"]),
        ("schedules:\n  timezone: Mars/Olympus\n", ["Mars/Olympus", "time zone"]),
        ("schedules:\n  check: '99 99 * * *'\n", ["schedules", "99", "minute"]),
        ("database: 'nosuchdriver://x/y'\n", ["database"]),
        ("database: 'garbage'\n", ["database"]),
        ("database: 'postgresql://nobody@127.0.0.1:1/none'\n", ["database", "cannot open"]),
    ],
)
def test_a_bad_settings_file_is_one_line(tmp_path: Path, text: str, words: list[str]) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(text, encoding="utf-8")
    _one_line_exit_2(run_cli("jobs", config=cfg), *words)


def test_a_gbk_settings_file_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_bytes("recipients:\n  - email: a@example.org\n    name: 王科长\n".encode("gbk"))
    _one_line_exit_2(run_cli("jobs", config=cfg), "UTF-8")


def test_a_date_past_the_calendar_is_one_line(project) -> None:
    _one_line_exit_2(run_cli("check", "--as-of", "9999-12-31", config=project()), "9999-12-31")


def test_output_cut_short_by_its_reader_ends_quietly(project) -> None:
    cfg = project()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("NIANBAO_CONFIG", None)
    assert run_cli("check", "--as-of", "2025-06-30", config=cfg).returncode == 0
    pipe = subprocess.run(
        f"{sys.executable} -m nianbao.cli --config {cfg} findings --format json | head -c 1 >/dev/null; "
        f"{sys.executable} -m nianbao.cli --config {cfg} jobs | head -c 1 >/dev/null",
        shell=True, cwd=str(ROOT), capture_output=True, text=True, env=env, timeout=120,
    )
    assert "Traceback" not in pipe.stderr and "BrokenPipe" not in pipe.stderr, pipe.stderr


def test_a_read_only_data_folder_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    data = tmp_path / "ro"
    data.mkdir()
    data.chmod(0o555)
    try:
        cfg = tmp_path / "settings.yaml"
        cfg.write_text("database: sqlite:///ro/nianbao.db\n", encoding="utf-8")
        _one_line_exit_2(run_cli("jobs", config=cfg), "database", "cannot open")
    finally:
        data.chmod(0o755)


def test_a_database_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("database: sqlite:///dta/nianbao.db\n", encoding="utf-8")  # a typo for data/
    _one_line_exit_2(run_cli("reports", config=cfg), "does not exist")
    assert not (tmp_path / "dta").exists()


def test_a_broken_template_override_is_one_line(project, tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "digest.txt.j2").write_text("{% if %}broken\n", encoding="utf-8")
    cfg = project({"monitor": {"digest_templates": "tpl"},
                   "recipients": [{"email": "officer@example.org", "name": "王科长"}]})
    _one_line_exit_2(run_cli("digest", "--dry-run", "--as-of", "2025-06-30", config=cfg), "digest template", "digest.txt.j2")
