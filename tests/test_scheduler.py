"""`nianbao serve` runs jobs on schedule in a real process, keeps runs apart, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from nianbao.scheduler import INTERRUPTED
from storage.db import Database
from storage.models import JobLock, JobRun
from tests.conftest import ROOT, run_cli, wait_for


def _runs(db: Database, job_id: str) -> list[JobRun]:
    with db.session() as s:
        return list(s.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)))


def _serve(cfg: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nianbao.cli", "--config", str(cfg), "serve"],
        cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def _serve_logging_to(cfg: Path, log: Path) -> subprocess.Popen:
    """``nianbao serve`` with its stderr in ``log``, which a test can read while it runs."""
    with log.open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "--config", str(cfg), "serve"],
            cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )


def _wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    return wait_for(predicate, timeout)


@pytest.mark.cpu_contention
def test_serve_runs_check_on_interval_and_stops_cleanly(project, tmp_path: Path) -> None:
    cfg = project({"schedules": {"check": "every 1s", "digest": "0 8 * * 1"}})
    jobs = run_cli("jobs", config=cfg)
    assert jobs.returncode == 0 and "nianbao check" in jobs.stdout and "never" in jobs.stdout
    db = Database(f"sqlite:///{tmp_path / 'data' / 'nianbao.db'}")
    proc = _serve(cfg)
    try:
        # Generous: each run is a child process, which a loaded 2-core machine starts slowly.
        assert _wait_for(lambda: len([r for r in _runs(db, "check") if r.finished_at]) >= 2, timeout=120), proc.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "received SIGTERM" in err and "scheduler stopped" in err
    finished = [r for r in _runs(db, "check") if r.finished_at]
    # A run still going at SIGTERM is ended and said to be interrupted, never passed off as failed.
    completed = [r for r in finished if not r.detail.startswith(INTERRUPTED)]
    assert len(completed) >= 2 and all(r.exit_code == 0 for r in completed), [r.detail for r in finished]
    assert all(r.exit_code != 0 for r in finished if r not in completed)
    with db.session() as s:
        assert s.scalars(select(JobLock)).all() == []  # every lock released
    # Each scheduled check leaves the officers' site current (the `site` setting's folder).
    assert "政府信息公开工作年度报告监测" in (tmp_path / "data" / "site" / "index.html").read_text(encoding="utf-8")
    listed = run_cli("jobs", config=cfg)
    assert "never" not in listed.stdout.split("check", 1)[1].splitlines()[0]


@pytest.mark.cpu_contention
def test_a_run_going_at_sigterm_is_recorded_as_interrupted(project, tmp_path: Path, cpu_contention) -> None:
    # A crawl of a portal that never answers is still running when the scheduler is told to stop;
    # Scrapy would wait for its download timeout, so the grace period ends it. On a busy machine:
    # a CPU-bound process runs beside it.
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts connections, never replies
    listener.setblocking(False)
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    def crawl_waits_on_the_portal() -> bool:
        try:
            accepted.append(listener.accept()[0])  # kept open, never answered
        except BlockingIOError:
            pass
        return bool(accepted)

    try:
        cfg = project(
            {
                "schedules": {"check": "0 3 1 1 *", "digest": "0 8 * * 1", "crawl": {"default": "every 1s"}, "stop_grace_seconds": 5},
                "sites": [{"id": "mute", "name": "不应答的门户", "start_urls": [f"http://127.0.0.1:{port}/xxgk/ndbg/"]}],
            }
        )
        db = Database(f"sqlite:///{tmp_path / 'data' / 'nianbao.db'}")
        proc = _serve(cfg)
        try:
            assert _wait_for(lambda: len(_runs(db, "crawl:default")) >= 1, timeout=120), proc.stderr
            # The child is up and waiting on the mute portal: it has connected (the robots.txt request).
            assert _wait_for(crawl_waits_on_the_portal, timeout=120)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
    assert cpu_contention is not None and cpu_contention.busy()  # the machine was busy throughout
    assert proc.returncode == 0, err
    runs = _runs(db, "crawl:default")
    assert len(runs) == 1 and runs[0].finished_at is not None
    assert runs[0].detail.startswith(INTERRUPTED), runs[0].detail
    listed = run_cli("jobs", config=cfg)
    assert "crawl:default" in listed.stdout


def test_a_job_held_by_another_scheduler_is_skipped(project, tmp_path: Path) -> None:
    cfg = project({"schedules": {"check": "every 1s", "digest": "0 8 * * 1"}})
    db = Database(f"sqlite:///{tmp_path / 'data' / 'nianbao.db'}")
    with db.session() as s:
        s.add(JobLock(job_id="check", holder="other-host:1", expires_at=datetime.now(timezone.utc) + timedelta(hours=1)))
    log = tmp_path / "serve.log"
    proc = _serve_logging_to(cfg, log)
    try:
        assert _wait_for(lambda: "skipped: another run holds its lock" in log.read_text(encoding="utf-8", errors="replace"), timeout=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    err = log.read_text(encoding="utf-8", errors="replace")
    assert "skipped: another run holds its lock" in err
    assert _runs(db, "check") == []
