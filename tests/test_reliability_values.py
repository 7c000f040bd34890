"""Values SQLite and PostgreSQL store alike (issue 13, item 7): a cell beyond what ``Numeric(20, 6)``
holds, a name longer than its column, a URL longer than its column, NUL characters in the text —
PostgreSQL refused all of them (a traceback), SQLite stored them. Now both store the same thing
and the report says what was cut or left without a value (storage/fit.py)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from storage.fit import NUMERIC_LIMIT, fit_cell_value, fit_str
from tests import pgserver
from tests.conftest import SEEDS, run_cli

pytestmark = pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries missing: run scripts/install-system-deps")

SEED = SEEDS / "000_a4584f6e36514f0f.txt"  # 彭阳县审批服务管理局 2021: 行政许可 2648
HUGE = "99999999999999999999"  # 10^20 - 1: over Numeric(20, 6)'s 14 integer digits
LONG_AGENCY = "彭阳县" + "审批服务管理局" * 43  # 304 characters (agencies.name is String(200))
LONG_URL = "http://127.0.0.1:9/nb/" + "a" * 2100 + ".html"  # raw_documents.url is String(2000)


def _hostile_copy(folder: Path) -> Path:
    text = SEED.read_text(encoding="utf-8")
    assert "行政许可\t2648" in text and "彭阳县审批服务管理局\n" in text
    text = text.replace("行政许可\t2648", f"行政许可\t{HUGE}", 1)
    text = text.replace("彭阳县审批服务管理局\n", "彭阳县审批服务\x00管理局\n", 1)  # a NUL in the agency's name
    text = text.replace("2021年我局通过", "2021年我\x00局通过", 1)  # and in the prose
    path = folder / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _stored(folder: Path, database: str, hostile: Path) -> tuple[list[dict], list[str]]:
    folder.mkdir()
    cfg = folder / "settings.yaml"
    cfg.write_text(yaml.safe_dump({"database": database, "storage": "raw", "outbox": "outbox"}), encoding="utf-8")
    errors = []
    for args in ([str(hostile)], [str(SEEDS / "001_206c76bb26f4c9e2.txt"), "--agency", LONG_AGENCY, "--url", LONG_URL]):
        done = run_cli("import", *args, config=cfg)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
        errors.append(done.stderr)
    listed = run_cli("reports", "--format", "json", config=cfg)
    assert listed.returncode == 0, listed.stderr[-3000:]
    reports = json.loads(listed.stdout)
    for r in reports:
        r.pop("id"), r.pop("first_seen")
    return sorted(reports, key=lambda r: r["agency"]), errors


def test_values_postgresql_refused_are_stored_alike_on_both_databases(tmp_path: Path) -> None:
    hostile = _hostile_copy(tmp_path)
    with pgserver.postgres_server() as url:
        on_pg, pg_log = _stored(tmp_path / "pg", url, hostile)
    on_lite, lite_log = _stored(tmp_path / "lite", "sqlite:///nianbao.db", hostile)
    assert on_pg == on_lite and len(on_pg) == 2
    by_agency = {r["agency"]: r for r in on_pg}
    # The NUL is gone from the name (and the prose); the report is filed under the body's name.
    pengyang = by_agency["彭阳县审批服务管理局"]
    assert "\x00" not in json.dumps(pengyang, ensure_ascii=False).replace("\\u0000", "\x00")
    # The cell beyond the range keeps its text, has no value, and the report says so.
    assert pengyang["cells"]["active"]["licensing"]["decisions"] is None
    assert any(HUGE in w and "beyond the storable range" in w and "active/licensing/decisions" in w for w in pengyang["warnings"])
    with sqlite3.connect(tmp_path / "lite" / "nianbao.db") as con:
        assert con.execute("SELECT value FROM report_cells WHERE raw = ?", (HUGE,)).fetchall() == [(None,)]
    # The over-long agency name and URL are cut to their columns, the same way on both.
    long = next(r for r in on_pg if r["agency"] != "彭阳县审批服务管理局")
    assert long["agency"] == LONG_AGENCY[:200]
    assert long["source_url"] == LONG_URL[:2000]
    assert any("agency name of 304 characters: stored cut to 200" in w for w in long["warnings"])
    assert "URL of 2127 characters kept cut to 2000" in pg_log[1] and "URL of 2127 characters kept cut to 2000" in lite_log[1]


def test_cell_values_are_checked_against_the_value_columns() -> None:
    assert fit_cell_value(NUMERIC_LIMIT - 1) == (NUMERIC_LIMIT - 1, None)
    assert fit_cell_value(-(NUMERIC_LIMIT - 1)) == (-(NUMERIC_LIMIT - 1), None)
    for too_big in (NUMERIC_LIMIT, -NUMERIC_LIMIT, int(HUGE)):
        value, why = fit_cell_value(too_big)
        assert value is None and why and "beyond the storable range" in why
    assert fit_cell_value(Decimal("1.23456789")) == (Decimal("1.234568"), None)  # PostgreSQL's rounding, on SQLite too
    assert fit_cell_value(Decimal("0.0000005")) == (Decimal("0.000001"), None)  # half away from zero, as numeric(20,6)
    assert fit_cell_value(7) == (Decimal(7), None) and fit_cell_value(None) == (None, None)
    assert fit_str("a\x00b" * 3, 4) == "abab"
