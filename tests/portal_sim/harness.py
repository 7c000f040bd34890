"""Run a real crawl in a subprocess against simulated portals, and read back what it stored."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from core.settings import SiteSpec

ROOT = Path(__file__).resolve().parents[2]

# Loopback needs no politeness delays; backoff stays short so retried failures cost little.
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.05,
    "RETRY_BACKOFF_MAX": 0.2,
    "DOWNLOAD_TIMEOUT": 10,
    "NIANBAO_PROGRESS_INTERVAL": 0,
}


def write_settings(folder: Path, sites: list[SiteSpec], crawler: dict[str, Any] | None = None) -> Path:
    """A settings.yaml in ``folder`` with its own SQLite database and raw store."""
    data = {
        "database": "sqlite:///data/nianbao.db",
        "storage": "data/raw",
        "sites": [s.model_dump(exclude_defaults=True, mode="json") for s in sites],
        "crawler": {"download_delay": 0, "randomize_delay": False, "autothrottle": False, **(crawler or {})},
    }
    cfg = folder / "settings.yaml"
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return cfg


def crawl(
    config: Path,
    *,
    sites: list[str] | None = None,
    mode: str = "crawl",
    year: int | None = None,
    url: str | None = None,
    overrides: dict[str, Any] | None = None,
    crawler: dict[str, Any] | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``python -m crawler.run`` in a fresh process; returns its summary (raises with the log on failure).

    ``crawler``: settings.yaml ``crawler:`` values for this run only (same database and store).
    ``env``: environment variables for the crawl process (``http_proxy`` of a replay proxy).
    """
    if crawler:
        config = with_crawler_settings(config, crawler)
    cmd = [sys.executable, "-m", "crawler.run", "--config", str(config), "--mode", mode, "--json", "--log-level", "INFO"]
    for s in sites or []:
        cmd += ["--site", s]
    if year is not None:
        cmd += ["--year", str(year)]
    if url is not None:
        cmd += ["--url", url]
    for name, value in {**FAST, **(overrides or {})}.items():
        cmd += ["--set", f"{name}={json.dumps(value)}"]
    proc_env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    for name in ("NIANBAO_CONFIG", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        proc_env.pop(name, None)
    proc_env.update(env or {})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(config.parent), env=proc_env)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise AssertionError(f"crawl produced no summary (exit {proc.returncode}):\n{proc.stderr[-6000:]}")
    summary = json.loads(lines[-1])
    summary["_log"] = proc.stderr
    return summary


def with_crawler_settings(config: Path, values: dict[str, Any]) -> Path:
    """A copy of ``config`` beside it (relative paths keep their meaning) with ``crawler:`` values changed."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["crawler"] = {**data.get("crawler", {}), **values}
    copy = config.with_name(f"{config.stem}.run.yaml")
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


def db_path(config: Path) -> Path:
    return config.parent / "data" / "nianbao.db"


def query(config: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path(config)) as con:
        return con.execute(sql, params).fetchall()


def stored_reports(config: Path) -> list[tuple[str, int]]:
    """(agency, report year) of every stored report, one entry per report row."""
    rows = query(config, "SELECT a.name, r.report_year FROM reports r JOIN agencies a ON a.id = r.agency_id ORDER BY 1, 2")
    return [(a, int(y)) for a, y in rows]
