"""Job locks across machines: a holder keeps its lock for as long as it runs, however long, and
the lock passes to a waiting process on another machine a lease after the holder's machine died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.locks import lock_holder, take_lock
from storage.models import JobLock
from tests.conftest import ROOT, wait_for

LEASE_SECONDS = 2.0
# Holders named after other machines: liveness cannot be checked from here, only the lease counts.
HOLD = """
import sys, time
from datetime import timedelta
from storage.db import Database
from storage.locks import Lease, take_lock
db = Database(sys.argv[1], migrate=False)
lease = timedelta(seconds=float(sys.argv[2]))
assert take_lock(db, "crawl:default", "machine-a:4242", lease)
Lease(db, "crawl:default", "machine-a:4242", lease)
print("taken", flush=True)
while True:  # the job runs until this machine dies
    time.sleep(3600)
"""
WAIT = """
import sys
from datetime import timedelta
from storage.db import Database
from storage.locks import wait_for_lock
db = Database(sys.argv[1], migrate=False)
ok = wait_for_lock(db, "crawl:default", "machine-b:4242", timedelta(minutes=5), timeout=120, poll=0.2)
print("taken" if ok else "gave up", flush=True)
"""


def _start(code: str, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, url, str(LEASE_SECONDS)], cwd=str(ROOT), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for(predicate) -> bool:  # type: ignore[no-untyped-def]
    return wait_for(predicate, timeout=60.0, poll=0.1)


def _expiry(db: Database):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(JobLock.expires_at).where(JobLock.job_id == "crawl:default"))


def test_a_lock_is_kept_while_its_holder_runs_and_passes_on_a_lease_after_it_died(database_url: str) -> None:
    db = Database(database_url)
    holder = _start(HOLD, database_url)
    waiter = None
    try:
        assert _wait_for(lambda: lock_holder(db, "crawl:default") == "machine-a:4242"), holder.stderr
        first_expiry = _expiry(db)
        waiter = _start(WAIT, database_url)
        # Held past its first expiry: the holder renewed its lease, and nobody could take the lock.
        assert _wait_for(lambda: _expiry(db) > first_expiry + timedelta(seconds=LEASE_SECONDS))
        assert not take_lock(db, "crawl:default", "machine-c:1", timedelta(minutes=1))
        assert waiter.poll() is None and lock_holder(db, "crawl:default") == "machine-a:4242"

        os.killpg(holder.pid, signal.SIGKILL)  # the holder's machine dies: no release, no renewal
        holder.wait(timeout=30)
        killed = time.monotonic()
        assert _wait_for(lambda: lock_holder(db, "crawl:default") == "machine-b:4242")
        took = time.monotonic() - killed
        out, err = waiter.communicate(timeout=30)
        assert waiter.returncode == 0 and out.strip() == "taken", err
        # Not before the lease ran out (the last renewal was at most a third of a lease before the
        # kill), and not much after it.
        assert LEASE_SECONDS / 3 < took < LEASE_SECONDS + 10, took
    finally:
        for proc in (holder, waiter):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate(timeout=30)
        db.dispose()
