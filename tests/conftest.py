"""Shared fixtures: a temporary project folder with its own settings file, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
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


# Databases: SQLite, and PostgreSQL on one throwaway server per test session -------------------
PG_TEMPLATE = "nianbao_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the session's throwaway PostgreSQL server (its ``postgres`` database), with a
    template database already brought to the newest schema."""
    from tests import pgserver

    if not pgserver.available():
        pytest.fail("PostgreSQL server binaries missing: run scripts/install-system-deps")
    with pgserver.postgres_server() as url:
        from storage.db import Database

        _admin(url, f"CREATE DATABASE {PG_TEMPLATE}")
        Database(_on(url, PG_TEMPLATE)).dispose()  # migrated once; each test's copy is instant
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database of this test alone (schema migrated, no rows), dropped after."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    _admin(pg_server, f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}")
    yield _on(pg_server, name)
    _admin(pg_server, f"DROP DATABASE {name} WITH (FORCE)")  # engines a test left open included


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test's database, once on SQLite (a file in ``tmp_path``) and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nianbao.db'}"
    return request.getfixturevalue("pg_url")


def _on(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + database


def _admin(url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")  # CREATE/DROP DATABASE: no transaction
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def run_cli(*args: str, config: Path | None = None, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `nianbao …` in a fresh process, as a user would."""
    cmd = [sys.executable, "-m", "nianbao.cli"]
    if config is not None:
        cmd += ["--config", str(config)]
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    full_env.pop("NIANBAO_CONFIG", None)
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, cwd=str(ROOT), env=full_env)


def wait_for(predicate, timeout: float = 30.0, poll: float = 0.3) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds have passed (False)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False


def break_parser_on(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Make the parser raise (a parser bug) on the document fetched from ``url`` only."""
    import storage.ingest

    real = storage.ingest.parse_document

    def parse(body: bytes, media_type: str, **kw):  # type: ignore[no-untyped-def]
        if kw.get("url") == url:
            raise ValueError("parser bug")
        return real(body, media_type, **kw)

    monkeypatch.setattr(storage.ingest, "parse_document", parse)


# A busy machine ---------------------------------------------------------------------------------
# Timing-sensitive tests (a scheduler's stop, an SMTP timeout, a crawl's liveness) marked
# ``cpu_contention`` run beside a CPU-bound process, as on a loaded machine: they must hold there
# too. ``--cpu-contention`` runs every test of the session beside one.
BURN = "while True: pass"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--cpu-contention", action="store_true", help="run every test beside a CPU-bound process")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cpu_contention: run the test beside a CPU-bound process (a busy machine)")
    # A run ended by SIGTERM (`timeout`, CI cancelling a job) tears its fixtures down like Ctrl-C does,
    # so the throwaway PostgreSQL and Redis servers are stopped instead of left running as orphans.
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class CpuBurner:
    """A process that spins on one CPU, in its own process group, ended with its group."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", BURN], start_new_session=True)

    def busy(self) -> bool:
        """The burner is running and has used CPU (user time in clock ticks > 0)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            return False
        return self.proc.poll() is None and int(fields[11]) > 0

    def stop(self) -> None:
        import signal

        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def _session_burner(request: pytest.FixtureRequest):
    burner = CpuBurner() if request.config.getoption("--cpu-contention") else None
    yield burner
    if burner is not None:
        burner.stop()


@pytest.fixture(autouse=True)
def cpu_contention(request: pytest.FixtureRequest, _session_burner: CpuBurner | None):
    """The CPU burner beside this test (None when it runs on a machine left as it is)."""
    if _session_burner is not None or request.node.get_closest_marker("cpu_contention") is None:
        yield _session_burner
        return
    burner = CpuBurner()
    try:
        yield burner
    finally:
        burner.stop()


# Processes the tests leave running ---------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time in clock ticks) of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[1]), fields[0].decode(), int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def leftover_processes() -> list[tuple[int, str]]:
    """Running processes this test session started and did not end: descendants of pytest, and
    processes of this checkout's .venv started after pytest."""
    me = os.getpid()
    mine = _proc_stat(me)
    if mine is None:
        return []
    venv = str(ROOT / ".venv")
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me:
            st = _proc_stat(int(entry))
            if st is not None and st[1] != "Z":
                stats[int(entry)] = st

    def descends(pid: int) -> bool:
        seen = set()
        while pid in stats and pid not in seen:
            seen.add(pid)
            pid = stats[pid][0]
            if pid == me:
                return True
        return False

    return [
        (pid, _cmdline(pid))
        for pid, (parent, _, started) in sorted(stats.items())
        if (descends(pid) or (started >= mine[2] and _cmdline(pid).startswith(venv)))
        # multiprocessing's resource tracker of pytest itself: it ends when pytest does
        and not (parent == me and "multiprocessing.resource_tracker" in _cmdline(pid))
    ]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a process a test started is still running at the end (after a short
    grace for those ending now), naming each; then end them, so that none outlives the run."""
    if not Path("/proc/self/stat").exists():
        return
    import signal
    import time

    deadline = time.monotonic() + 5
    left = leftover_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = leftover_processes()
    if not left:
        return
    lines = "\n".join(f"  pid {pid}: {cmd[:200]}" for pid, cmd in left)
    sys.stderr.write(f"\nprocesses started by the tests still running at the end:\n{lines}\n")
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
