"""Text crawled from portals cannot drive the terminal: `reports` and `findings` tables escape it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import SEEDS, run_cli

HOSTILE = "\x1b[2J\x1b[31m假局\u202eTXT.exe\u2066\x07"


def _with_hostile_agency(project, tmp_path: Path, name: str) -> Path:
    """A project holding one imported report whose agency is called ``name``, with a finding."""
    cfg = project({"monitor": {"first_year": 2024}})
    seed = next(SEEDS.glob("002_*.txt"))
    assert run_cli("import", str(seed), config=cfg).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "nianbao.db") as con:
        con.execute("UPDATE agencies SET name = ?", (name,))
        con.execute("UPDATE reports SET warnings = ?", (json.dumps([name]),))
        # A misread total: the check then has a finding to list for this agency.
        con.execute("UPDATE report_cells SET value = 9, raw = '9' WHERE section = 'requests' AND row_key = 'new' AND col_key = 'total'")
        con.execute("DELETE FROM report_facts")
    run_cli("check", "--as-of", "2025-06-30", config=cfg)
    return cfg


def test_control_and_bidi_characters_are_shown_escaped(project, tmp_path: Path) -> None:
    cfg = _with_hostile_agency(project, tmp_path, HOSTILE)
    for command in ("reports", "findings"):
        out = run_cli(command, config=cfg)
        assert out.stdout.strip(), out.stderr
        for ch in ("\x1b", "\u202e", "\u2066", "\x07"):
            assert ch not in out.stdout, (command, out.stdout)
        assert "\\x1b[31m假局\\u202eTXT.exe\\u2066\\x07" in out.stdout, (command, out.stdout)


def test_json_output_escapes_them_too_and_reads_back_the_same(project, tmp_path: Path) -> None:
    # json.dumps escapes ESC and BEL but would print U+202E, U+2066 and C1 characters raw.
    hostile = HOSTILE + "\x85\u200b"
    cfg = _with_hostile_agency(project, tmp_path, hostile)
    for command in ("reports", "findings"):
        out = run_cli(command, "--format", "json", config=cfg)
        assert out.stdout.strip(), out.stderr
        for ch in ("\x1b", "\u202e", "\u2066", "\x07", "\x85", "\u200b"):
            assert ch not in out.stdout, (command, ch)
        assert "\\u202eTXT.exe\\u2066" in out.stdout, command
        data = json.loads(out.stdout)
        assert {item["agency"] for item in data if item.get("agency")} == {hostile}, command  # the same text, escaped
