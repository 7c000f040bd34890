"""Named locks in the database (``job_locks`` rows): one holder at a time, across processes and hosts.

Taking a lock inserts its row (the primary key makes that atomic on every database); releasing it
deletes the row. A lock lapses at its expiry, or at once when its holder (``host:pid``) was a
process of this host that is gone.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.liveness import holder_gone, this_host
from storage.models import JobLock


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
