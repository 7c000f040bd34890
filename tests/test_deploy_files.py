"""The shipped deployment files (deploy/, docs/scaling.md §3): every systemd unit is one systemd
accepts (`systemd-analyze verify`, where the command exists) and runs a nianbao command with
options the CLI accepts; the Redis settings give a redis-server the persistence the docs promise."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import redis

from nianbao.cli import build_parser
from nianbao.commands import HANDLERS
from tests import redisserver
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/nianbao"  # where the units expect nianbao (docs/scaling.md §3)


def exec_starts(unit: Path) -> list[list[str]]:
    return [shlex.split(line.split("=", 1)[1]) for line in unit.read_text(encoding="utf-8").splitlines() if line.startswith("ExecStart=")]


def test_every_service_runs_a_nianbao_command_the_cli_accepts() -> None:
    services = sorted(UNITS.glob("*.service"))
    assert {u.name for u in services} >= {"nianbao-serve.service", "nianbao-ingest.service", "nianbao-worker@.service"}
    for unit in services:
        [command] = exec_starts(unit)
        assert command[0] == f"{INSTALLED}/.venv/bin/nianbao", unit.name
        args = [a.replace("%i", "1") for a in command[1:]]
        try:
            parsed = build_parser().parse_args(args)  # an unknown command or option: SystemExit(2)
        except SystemExit as exc:
            raise AssertionError(f"{unit.name}: `nianbao {' '.join(args)}` is refused by the CLI") from exc
        assert parsed.command in HANDLERS, unit.name


def test_every_timer_starts_a_shipped_service() -> None:
    timers = sorted(UNITS.glob("*.timer"))
    assert timers
    for timer in timers:
        named = [line.split("=", 1)[1] for line in timer.read_text(encoding="utf-8").splitlines() if line.startswith("Unit=")]
        assert (UNITS / (named[0] if named else timer.with_suffix(".service").name)).exists(), timer.name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    # The units as installed, but with nianbao where it is here (verify checks that ExecStart is executable).
    nianbao = Path(sys.executable).parent / "nianbao"
    assert nianbao.exists()
    copies = []
    for unit in sorted(UNITS.iterdir()):
        text = unit.read_text(encoding="utf-8").replace(f"{INSTALLED}/.venv/bin/nianbao", str(nianbao)).replace(INSTALLED, str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
        copies.append(str(tmp_path / unit.name))
    out = subprocess.run(["systemd-analyze", "verify", *copies], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr  # warnings (unknown keys …) fail too


@pytest.mark.skipif(not redisserver.available(), reason="redis-server is not installed (scripts/install-system-deps)")
def test_the_redis_settings_turn_on_the_append_only_file() -> None:
    folder = tempfile.mkdtemp(prefix="nianbao-redis-")
    port = free_port()
    conf = ROOT / "deploy" / "redis" / "nianbao.conf"
    proc = subprocess.Popen(
        ["redis-server", str(conf), "--port", str(port), "--bind", "127.0.0.1", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port, retry_on_error=[redis.ConnectionError], socket_connect_timeout=5)
        from tests.test_distributed_crawl import wait_for

        wait_for(lambda: proc.poll() is not None or _pings(client), 30, "redis-server to start")
        assert proc.poll() is None, "redis-server refused deploy/redis/nianbao.conf"
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        client.close()
    finally:
        redisserver.end_process_group(proc)
        shutil.rmtree(folder, ignore_errors=True)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
