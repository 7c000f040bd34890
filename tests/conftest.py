"""Shared fixtures: a temporary project folder with its own settings file, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(__file__).with_name("data") / "seeds"


@pytest.fixture
def project(tmp_path: Path):
    """A folder with a settings.yaml whose data lives inside it; returns a writer for settings."""

    def write(extra: dict | None = None) -> Path:
        data = {"database": "sqlite:///data/nianbao.db", "storage": "data/raw", "outbox": "data/outbox"}
        data.update(extra or {})
        cfg = tmp_path / "settings.yaml"
        cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return cfg

    write()
    return write


def run_cli(*args: str, config: Path | None = None, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `nianbao …` in a fresh process, as a user would."""
    cmd = [sys.executable, "-m", "nianbao.cli"]
    if config is not None:
        cmd += ["--config", str(config)]
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("NIANBAO_CONFIG", None)
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, cwd=str(ROOT), env=full_env)


def break_parser_on(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Make the parser raise (a parser bug) on the document fetched from ``url`` only."""
    import storage.ingest

    real = storage.ingest.parse_document

    def parse(body: bytes, media_type: str, **kw):  # type: ignore[no-untyped-def]
        if kw.get("url") == url:
            raise ValueError("parser bug")
        return real(body, media_type, **kw)

    monkeypatch.setattr(storage.ingest, "parse_document", parse)
