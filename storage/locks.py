"""Named locks in the database (``job_locks`` rows): one holder at a time, across processes and hosts.

Taking a lock inserts its row (the primary key makes that atomic on every database); releasing it
deletes the row. A lock lapses at its expiry, or at once when its holder (``host:pid``) was a
process of this host that is gone.

A holder on another machine cannot be asked whether it still runs, so a long job holds its lock
as a lease (``Lease``): a short expiry that a thread of the holder pushes forward while the job
runs. A holder whose machine died or lost the database stops renewing, and its lock lapses a
lease later, however long the job was meant to run; one that is alive keeps it for as long as it
runs. Expiries are written by the holders' clocks: the machines sharing a database keep their
clocks in step (NTP), and a lease is minutes long, far above any skew that leaves.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from storage.db import Database
from storage.liveness import holder_gone, this_host
from storage.models import JobLock

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a dead holder's lock lapses this long after its last renewal


def process_holder() -> str:
    """This process as a lock holder: ``host:pid``."""
    return f"{this_host()}:{os.getpid()}"


def take_lock(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Take the lock ``name`` for ``holder`` until ``ttl`` from now; False if another holds it."""
    now = datetime.now(UTC)
    with db.session() as s:  # a lapsed lock, or one of a holder that died, is removed first
        s.execute(delete(JobLock).where(JobLock.job_id == name, JobLock.expires_at < now))
        current = s.scalar(select(JobLock.holder).where(JobLock.job_id == name))
        if current is not None and current != holder and holder_gone(current):
            s.execute(delete(JobLock).where(JobLock.job_id == name, JobLock.holder == current))
    try:
        with db.session() as s:
            s.add(JobLock(job_id=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


def lock_holder(db: Database, name: str) -> str | None:
    """Who holds the lock ``name`` now (None: nobody)."""
    with db.session() as s:
        return s.scalar(select(JobLock.holder).where(JobLock.job_id == name))


def wait_for_lock(db: Database, name: str, holder: str, ttl: timedelta, timeout: float, poll: float = 0.5) -> bool:
    """Take the lock ``name``, waiting up to ``timeout`` seconds for its holder to release it."""
    deadline = time.monotonic() + timeout
    while not take_lock(db, name, holder, ttl):
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


def release_lock(db: Database, name: str, holder: str) -> None:
    """Release the lock ``name`` if ``holder`` holds it."""
    with db.session() as s:
        s.execute(delete(JobLock).where(JobLock.job_id == name, JobLock.holder == holder))


def renew_lock(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Push the expiry of ``holder``'s lock ``name`` to ``ttl`` from now; False if it holds it no
    longer (it lapsed and another took it)."""
    with db.session() as s:
        done = s.execute(
            update(JobLock)
            .where(JobLock.job_id == name, JobLock.holder == holder)
            .values(expires_at=datetime.now(UTC) + ttl)
            .execution_options(synchronize_session=False)
        )
        return bool(done.rowcount)


class Lease:
    """Keeps a lock taken with ``take_lock(db, name, holder, lease)`` alive: a daemon thread renews
    it every third of ``lease`` until ``end()``, which releases it."""

    def __init__(self, db: Database, name: str, holder: str, lease: timedelta = LEASE) -> None:
        self.db, self.name, self.holder, self.lease = db, name, holder, lease
        self.lost = threading.Event()  # set if another holder took the lock meanwhile
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease {name}", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                if not renew_lock(self.db, self.name, self.holder, self.lease):
                    log.error("lock %r lapsed and was taken by another holder while %s ran", self.name, self.holder)
                    self.lost.set()
                    return
            except SQLAlchemyError as exc:  # the database busy or out of reach: try again next time
                log.warning("lock %r: renewal failed (%s); the lease runs out in %s", self.name,
                            str(exc).splitlines()[0], self.lease)

    def end(self) -> None:
        """Stop renewing and release the lock."""
        self._stop.set()
        self._thread.join()
        release_lock(self.db, self.name, self.holder)
