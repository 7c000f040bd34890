"""A test run ended by SIGTERM (`timeout`, a cancelled CI job) stops the servers it started.

Without this, a run killed by `timeout` left its throwaway PostgreSQL running as an orphan
(seen on the shared machine: three servers outlived interrupted runs by more than an hour)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import pgserver
from tests.redisserver import end_process_group

ROOT = Path(__file__).resolve().parent.parent

INNER = '''
import time
from pathlib import Path

def test_waits_with_postgres(pg_server, tmp_path_factory):
    Path(%(out)r).write_text(pg_server)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not Path(%(out)r + ".never").exists():
        time.sleep(0.1)
'''


def _postmasters() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "bin/postgres -D"], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


@pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries are not installed")
def test_sigterm_to_a_test_run_stops_its_postgres_server(tmp_path: Path) -> None:
    out = tmp_path / "url"
    test = tmp_path / "test_inner.py"
    test.write_text(INNER % {"out": str(out)})
    before = _postmasters()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest", str(test)],
        cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not out.exists():
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the inner run never started its PostgreSQL server"
            time.sleep(0.1)
        started = _postmasters() - before
        assert started, "the inner run's PostgreSQL server is running"
        os.kill(proc.pid, signal.SIGTERM)  # pytest alone, as `timeout` does
        proc.wait(timeout=120)
        deadline = time.monotonic() + 60
        while started & _postmasters() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not started & _postmasters(), "the PostgreSQL server outlived the run that started it"
    finally:
        end_process_group(proc)
