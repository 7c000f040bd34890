"""`nianbao serve`: crawl, check and digest on their schedules, with APScheduler.

Jobs live in an SQLAlchemy job store in the project's database, so they survive restarts and
``nianbao jobs`` can read them. Each job runs the matching ``nianbao`` command as a child process
(Scrapy's reactor cannot restart inside one process, and a crash in one run must not take the
scheduler down). A lock row in the database (``JobLock``) keeps two runs of one job apart, even
across several scheduler processes sharing the database; it is a lease the scheduler renews while
the child runs, so a scheduler on another machine takes a job over only once the holder stopped
renewing (its machine died). SIGTERM/SIGINT stop the scheduler gracefully: running children get
SIGTERM (Scrapy then finishes what is in flight).

Each child runs in its own process group and is always ended with its whole group, and its output
goes to a file, never a pipe: a grandchild still running (a crawl's ingest worker) would hold a
pipe open, and reading it to the end would wait as long as the grandchild lives.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, select

from core.china_time import local_time
from core.settings import INTERVAL, Settings
from storage.db import Database
from storage.locks import LEASE, Lease, process_holder, take_lock
from storage.models import JobRun

log = logging.getLogger("nianbao.scheduler")
JOB_TABLE = "apscheduler_jobs"
# A job's lock is a lease its scheduler renews while the child runs: a scheduler on another machine
# takes the job over this long after the holder's machine died (storage/locks.py).
LOCK_LEASE = LEASE

_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()
# Set once the scheduler is stopping: no new child starts, and a child ended by the stop is
# recorded as interrupted rather than failed.
_stopping = threading.Event()
INTERRUPTED = "interrupted: the scheduler stopped while this run was going"
# How long the rest of a child's process group gets after SIGTERM before SIGKILL.
GROUP_GRACE_SECONDS = 3.0


def trigger_for(expr: str, tz: str) -> BaseTrigger:
    """An APScheduler trigger for a cron expression or ``every N s|m|h``."""
    m = INTERVAL.match(expr.strip())
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours"}[m.group(2)]
        return IntervalTrigger(**{unit: int(m.group(1))}, timezone=tz)
    return CronTrigger.from_crontab(expr, timezone=tz)


def planned_jobs(settings: Settings, config_path: str | None) -> list[dict[str, Any]]:
    """The jobs the settings ask for: one crawl per site group, check, digest."""
    sched = settings.schedules
    jobs = []
    groups: dict[str, list[str]] = {}
    for site in settings.sites:
        groups.setdefault(site.group, []).append(site.id)
    for group, expr in sched.crawl.items():
        ids = groups.get(group, [])
        if not ids:
            continue
        args = ["crawl"] + [a for sid in ids for a in ("--site", sid)]
        jobs.append({"id": f"crawl:{group}", "expr": expr, "args": args})
    # Officers read the static site: every scheduled check leaves it current.
    jobs.append({"id": "check", "expr": sched.check, "args": ["check", "--write-site"]})
    jobs.append({"id": "digest", "expr": sched.digest, "args": ["digest", "--due"]})
    child_config = config_path or (str(Path(settings.source).resolve()) if Path(settings.source).is_file() else None)
    for j in jobs:
        j["trigger"] = trigger_for(j["expr"], sched.timezone)
        j["config_path"] = child_config
    return jobs


def run_nianbao_job(job_id: str, database_url: str, config_path: str | None, args: list[str]) -> int:
    """Run one scheduled ``nianbao`` command as a child process, under the job's lock."""
    db = Database(database_url, migrate=False)
    holder = process_holder()
    lease: Lease | None = None
    try:
        if not take_lock(db, job_id, holder, LOCK_LEASE):
            log.info("job %s skipped: another run holds its lock", job_id)
            return -1
        lease = Lease(db, job_id, holder, LOCK_LEASE)
        started = datetime.now(timezone.utc)
        with db.session() as s:
            run = JobRun(job_id=job_id, holder=holder, started_at=started)
            s.add(run)
            s.flush()
            run_id = run.id
        cmd = [sys.executable, "-m", "nianbao.cli"] + (["--config", config_path] if config_path else []) + args
        t0 = time.monotonic()
        with _children_lock:  # checked under the lock so a stop cannot miss a child starting now
            if _stopping.is_set():
                log.info("job %s not started: the scheduler is stopping", job_id)
                with db.session() as s:
                    s.execute(delete(JobRun).where(JobRun.id == run_id))
                return -1
            # Its own process group: a command killed after the grace period takes the processes
            # it started (a crawl's ingest workers) with it.
            output_file = tempfile.TemporaryFile()
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=output_file, stderr=subprocess.STDOUT,
                                    start_new_session=os.name == "posix")
            _children.add(proc)
        try:
            proc.wait()
            # What the child left running (an ingest worker it could not stop) ends with it.
            end_group(proc.pid, GROUP_GRACE_SECONDS)
            output_file.seek(0)
            output = output_file.read()
        finally:
            output_file.close()
            with _children_lock:
                _children.discard(proc)
        tail = output.decode("utf-8", "replace").strip().splitlines()[-5:]
        if proc.returncode != 0 and _stopping.is_set():
            tail = [INTERRUPTED, *tail]
        level = logging.INFO if proc.returncode in (0, 1) else logging.WARNING  # 1: ran, found problems
        log.log(level, "job %s finished: exit %s in %.1fs; %s", job_id, proc.returncode, time.monotonic() - t0, " | ".join(tail))
        with db.session() as s:
            done = s.get(JobRun, run_id)
            if done is not None:
                done.finished_at = datetime.now(timezone.utc)
                done.exit_code = proc.returncode
                done.detail = "\n".join(tail)[:4000]
        return proc.returncode
    finally:
        if lease is not None:
            lease.end()  # released here, not before: a run is over once its record is written
        db.dispose()


def build_scheduler(settings: Settings) -> BackgroundScheduler:
    """A scheduler with its persistent job store in the project's database."""
    sched = settings.schedules
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename=JOB_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": sched.misfire_grace_seconds},
        timezone=sched.timezone,
    )
    return scheduler


def _sync_jobs(scheduler: BackgroundScheduler, settings: Settings, config_path: str | None) -> list[str]:
    wanted = planned_jobs(settings, config_path)
    for j in wanted:
        scheduler.add_job(
            run_nianbao_job,
            trigger=j["trigger"],
            id=j["id"],
            name=" ".join(["nianbao", *j["args"]]),
            args=[j["id"], settings.database_url, j["config_path"], j["args"]],
            replace_existing=True,
        )
    ids = {j["id"] for j in wanted}
    for job in scheduler.get_jobs():
        if job.id not in ids:  # removed from the settings since the last start
            job.remove()
    return sorted(ids)


def serve(settings: Settings, config_path: str | None = None) -> None:
    """Run the scheduler until SIGTERM or SIGINT."""
    scheduler = build_scheduler(settings)
    _stopping.clear()

    def stop(signum: int, _frame: Any) -> None:
        log.info("received %s: stopping the scheduler", signal.Signals(signum).name)
        _stopping.set()  # from now on no job starts a child (run_nianbao_job checks it)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start(paused=True)
    ids = _sync_jobs(scheduler, settings, config_path)
    for job in scheduler.get_jobs():
        log.info("job %s (%s): next run %s", job.id, job.trigger, job.next_run_time)
    log.info("scheduler running %d job(s): %s", len(ids), ", ".join(ids))
    scheduler.resume()
    while not _stopping.wait(1.0):
        pass
    scheduler.pause()
    # A child started before the signal is in _children (added under the lock with the check).
    with _children_lock:  # let running commands end cleanly (Scrapy closes the spider, keeps JOBDIR)
        running = list(_children)
    grace = settings.schedules.stop_grace_seconds
    for proc in running:
        _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("child %s still running %ss after SIGTERM: killed", proc.pid, grace)
            _signal_group(proc.pid, signal.SIGKILL)
    # The job threads now only record how their child ended; never wait on them without end.
    scheduler.shutdown(wait=False)
    last = deadline + GROUP_GRACE_SECONDS + 5
    for thread in [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]:
        thread.join(timeout=max(0.0, last - time.monotonic()))
    stuck = [t.name for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon and t.is_alive()]
    if stuck:  # the interpreter would wait for them at exit: a stop must end
        log.error("scheduler stopped with job threads still running (%s): exiting now", ", ".join(stuck))
        logging.shutdown()
        os._exit(1)
    log.info("scheduler stopped")


def _signal_group(pgid: int, sig: signal.Signals) -> bool:
    """Send ``sig`` to every process of the group ``pgid``; False if none is left."""
    if os.name != "posix":
        try:
            os.kill(pgid, sig)
            return True
        except OSError:
            return False
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a member exists but is not ours to signal (cannot happen for our children)


def end_group(pgid: int, grace: float) -> None:
    """End what is left of the process group ``pgid``: SIGTERM, then SIGKILL after ``grace`` s."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _signal_group(pgid, 0):
            return
        time.sleep(0.1)
    log.warning("processes of group %s still running %ss after SIGTERM: killed", pgid, grace)
    _signal_group(pgid, signal.SIGKILL)


def list_jobs(settings: Settings, config_path: str | None = None) -> list[dict[str, Any]]:
    """The jobs the settings define, with their next run time and last run (for `nianbao jobs`)."""
    now = datetime.now(timezone.utc)
    db = Database(settings.database_url, migrate=False)
    out = []
    try:
        with db.session() as s:
            for j in planned_jobs(settings, config_path):
                last = s.scalars(select(JobRun).where(JobRun.job_id == j["id"]).order_by(JobRun.id.desc()).limit(1)).first()
                nxt = j["trigger"].get_next_fire_time(None, now.astimezone(j["trigger"].timezone))
                out.append(
                    {
                        "id": j["id"],
                        "trigger": j["expr"],
                        "command": "nianbao " + " ".join(j["args"]),
                        "next_run_time": nxt.isoformat(timespec="seconds") if nxt else None,
                        "last_run": local_time(last.started_at) if last else None,
                        "last_exit_code": last.exit_code if last else None,
                    }
                )
    finally:
        db.dispose()
    return out
