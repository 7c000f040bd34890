"""What a service stop or a killed process leaves behind: never a hang, never a stuck claim or run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, update

from nianbao import scheduler
from storage.db import Database
from storage.ingest import Ingestor
from storage.ingest_queue import IngestQueue, pending_count
from storage.liveness import pid_alive, this_host
from storage.models import CrawlRun, JobRun, RawDocument
from storage.rawstore import RawStore
from tests.conftest import ROOT
from tests.test_ingest_queue import SEED_SUBJECTS, _docs


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _dead_pid() -> int:
    """The pid of a real process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.cpu_contention
def test_a_job_whose_grandchild_keeps_its_output_open_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A "nianbao" that leaves a grandchild holding its stdout (as a crawl's ingest worker did) and exits.
    pidfile = tmp_path / "grandchild.pid"
    fake = tmp_path / "fake-python"
    fake.write_text(f"#!/bin/sh\necho child ran\nsleep 600 &\necho $! > {pidfile}\nexit 0\n")
    fake.chmod(0o755)
    url = f"sqlite:///{tmp_path / 'nb.db'}"
    db = Database(url)
    monkeypatch.setattr(scheduler.sys, "executable", str(fake))
    t0 = time.monotonic()
    code = scheduler.run_nianbao_job("check", url, None, ["check"])
    assert code == 0 and time.monotonic() - t0 < 15
    grandchild = int(pidfile.read_text())
    assert _wait_for(lambda: not pid_alive(grandchild), 10), "the grandchild outlived its job"
    with db.session() as s:
        run = s.scalars(select(JobRun)).one()
    assert run.exit_code == 0 and "child ran" in run.detail
    db.dispose()


WORKER_PARENT = textwrap.dedent(
    """
    import sys, time
    from storage.db import Database
    from storage.ingest_queue import IngestWorker
    Database(sys.argv[1]).dispose()
    worker = IngestWorker(sys.argv[1], sys.argv[2])
    worker.start()
    print(worker._process.pid, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.cpu_contention
def test_an_ingest_worker_ends_when_the_crawl_that_started_it_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", WORKER_PARENT, f"sqlite:///{tmp_path / 'nb.db'}", str(tmp_path / "raw")],
        cwd=str(ROOT), stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        worker = int(parent.stdout.readline())
        assert pid_alive(worker)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_for(lambda: not pid_alive(worker), 20), "the ingest worker outlived its crawl"
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        parent.stdout.close()


def test_a_claim_of_a_consumer_gone_from_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    store = RawStore(tmp_path / "raw")
    Ingestor(db, store).ingest_many(_docs(defer=True))
    IngestQueue(db, store, batch=100).claim()
    with db.session() as s:  # the claim of a consumer that was killed a moment ago
        s.execute(update(RawDocument).values(ingest_claim=f"{this_host()}:{_dead_pid()}:0123456789ab"))
    taker = IngestQueue(db, store)  # the default ten minutes for claims of unknown consumers
    assert taker.drain() == Counter({"new": len(SEED_SUBJECTS)})
    assert pending_count(db) == 0


def test_a_claim_of_a_live_consumer_elsewhere_waits(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    store = RawStore(tmp_path / "raw")
    Ingestor(db, store).ingest_many(_docs(defer=True))
    IngestQueue(db, store, batch=100).claim()
    with db.session() as s:  # another host's pid cannot be checked here: its claim lapses by time only
        s.execute(update(RawDocument).values(ingest_claim=f"other-host:{_dead_pid()}:0123456789ab"))
    assert IngestQueue(db, store).drain() == Counter()
    assert pending_count(db) == len(SEED_SUBJECTS)


def test_a_crawl_run_whose_process_died_is_marked_died_by_the_next_crawl(tmp_path: Path) -> None:
    from crawler.run_record import RunRecord
    from datetime import UTC, datetime

    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    with db.session() as s:
        s.add(CrawlRun(kind="crawl", started_at=datetime.now(UTC), sites=[], status="running",
                       stats={"holder": f"{this_host()}:{_dead_pid()}"}))
        s.add(CrawlRun(kind="crawl", started_at=datetime.now(UTC), sites=[], status="running",
                       stats={"holder": f"{this_host()}:{os.getpid()}"}))

    class Plan:
        mode = "crawl"
        site_ids: list[str] = []

    new_id = RunRecord(db, Plan()).start()  # type: ignore[arg-type]
    with db.session() as s:
        status = {r.id: r.status for r in s.scalars(select(CrawlRun))}
    assert status == {1: "died", 2: "running", new_id: "running"}
