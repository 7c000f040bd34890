"""The crawl run's record in the database: its ``CrawlRun`` row and ``CrawlError`` rows.

Nothing is written until ``start()``; the crawl starts its record when the spider opens.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from crawler.plan import CrawlPlan
from storage.db import Database
from storage.liveness import holder_gone, this_host
from storage.models import CrawlError, CrawlRun

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def mark_died_runs(db: Database) -> list[int]:
    """Mark ``died`` the crawl runs still ``running`` whose process (on this host) is gone."""
    died = []
    with db.session() as s:
        for run in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            holder = (run.stats or {}).get("holder")
            if isinstance(holder, str) and holder_gone(holder):
                run.status = "died"
                run.finished_at = utcnow()
                died.append(run.id)
    for run_id in died:
        log.warning("crawl run %s was left running by a process that is gone: marked died", run_id)
    return died


def mark_run_died(db: Database, run_id: int) -> bool:
    """Mark run ``run_id`` ``died`` if it is still ``running`` (whoever ran it is known to be gone)."""
    with db.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is None or run.status != "running":
            return False
        run.status = "died"
        run.finished_at = utcnow()
    log.warning("crawl run %s was left running by a process that is gone: marked died", run_id)
    return True


class RunRecord:
    """One crawl run's rows: started once, errors recorded against it, closed with its summary."""

    def __init__(self, db: Database, plan: CrawlPlan) -> None:
        self.db = db
        self.plan = plan
        self.id: int | None = None  # the CrawlRun row's, once started

    def start(self) -> int:
        """Create the ``CrawlRun`` row (the first call only) and return its id. Runs of this host
        left ``running`` by a process that is gone are marked ``died`` first."""
        if self.id is None:
            mark_died_runs(self.db)
            with self.db.session() as s:
                # Who runs it (``stats`` until the run closes): a later crawl can tell it died.
                holder = {"holder": f"{this_host()}:{os.getpid()}"}
                run = CrawlRun(kind=self.plan.mode, started_at=utcnow(), sites=self.plan.site_ids, stats=holder, status="running")
                s.add(run)
                s.flush()
                self.id = run.id
        return self.id

    def adopt(self, run_id: int) -> bool:
        """Continue run ``run_id``, left ``running`` by a process that is gone (a distributed
        crawl's coordinator): this process holds it from now on. False if it is not running."""
        with self.db.session() as s:
            run = s.get(CrawlRun, run_id)
            if run is None or run.status != "running":
                return False
            run.stats = {"holder": f"{this_host()}:{os.getpid()}"}
        self.id = run_id
        return True

    def record_error(self, site_id: str | None, url: str, kind: str, detail: str) -> None:
        """A ``CrawlError`` row for this run (kinds: blocked, robots, http, network, moved, gone, redirect, storage, queue)."""
        if self.id is None:
            raise RuntimeError("a crawl error before the crawl run record was started")
        with self.db.session() as s:
            s.add(
                CrawlError(
                    crawl_run_id=self.id,
                    site_id=site_id if self.plan.has_site(site_id) else None,
                    url=url[:2000],
                    kind=kind,
                    detail=detail[:2000],
                    at=utcnow(),
                )
            )
        log.info("crawl error [%s] %s %s: %s", kind, site_id, url, detail[:200])

    def stored_outcomes(self) -> dict[str, Counter[str]]:
        """What became of the documents this run stored, per site, by their ``raw_documents``
        rows (filed here or by an ingest consumer; ``pending`` until filed)."""
        from storage.ingest_queue import outcomes_of_run

        out: dict[str, Counter[str]] = defaultdict(Counter)
        if self.id is not None:
            for site_id, counts in outcomes_of_run(self.db, self.id).items():
                out[site_id].update(counts)
        return out

    def errors_by_site(self) -> dict[str, dict[str, int]]:
        """This run's crawl errors counted by site and kind (the ingestor's parse errors included)."""
        out: dict[str, dict[str, int]] = {}
        if self.id is None:
            return out
        with self.db.session() as s:
            rows = s.execute(
                select(CrawlError.site_id, CrawlError.kind, func.count())
                .where(CrawlError.crawl_run_id == self.id)
                .group_by(CrawlError.site_id, CrawlError.kind)
            ).all()
        for site_id, kind, n in rows:
            out.setdefault(site_id or "-", {})[kind] = n
        return out

    def close(self, summary: dict[str, Any], status: str) -> None:
        """Write the run's end, summary (``stats``) and status."""
        with self.db.session() as s:
            run = s.get(CrawlRun, self.start())
            assert run is not None
            run.finished_at = utcnow()
            run.stats = summary
            run.status = status
