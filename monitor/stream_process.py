"""The stream checks (duplicates) in a child process, beside the rest of the check.

The duplicate check is Python through and through: a sketch per report, buckets, pairwise
similarity. In the check's own process it takes turns on the GIL with everything else on the
main thread, so over a large scope it runs in a child process of its own instead, on the
second core: the child opens its own connection (a reader beside the main session, as
monitor/side.py), streams (year, agency, id, sketch) of every current report in scope and
returns the drafts; the main stream then reads no sketches. The child is started with
``spawn`` (never ``fork``: the parent holds open connections and a worker thread).

Small scopes run the checks inline: starting an interpreter costs about a second, more than
the duplicate check of a few thousand reports.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from typing import cast

from sqlalchemy import func, select

from monitor.context import AgencyInfo, CheckContext
from monitor.rules.base import FindingDraft, ReportCheck
from monitor.side import can_run_beside
from core.settings import Settings
from storage.db import Database
from storage.models import Report

# Below this many reports (by the highest report id, a bound read in an instant) the stream
# checks run inline.
PROCESS_MIN_REPORTS = 100_000


def worth_a_process(db: Database, ctx: CheckContext) -> bool:
    """Whether the stream checks should run in a child process for this check."""
    if not can_run_beside(db):
        return False
    highest = ctx.session.scalar(select(func.max(Report.id))) or 0
    return highest >= PROCESS_MIN_REPORTS


class StreamChecksProcess:
    """Run ``families`` over the report stream in a child process; ``result()`` waits for it."""

    def __init__(self, db: Database, ctx: CheckContext, families: tuple[type, ...]) -> None:
        ctx.load_lookups()  # sent along: the child need not query them again
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self._future: Future[list[FindingDraft]] = self._pool.submit(
            run_stream_checks,
            db.url,
            ctx.settings,
            ctx.as_of,
            ctx.site_ids,
            ctx.agencies,
            ctx.sites,
            families,
        )

    def result(self) -> list[FindingDraft]:
        return self._future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def run_stream_checks(
    database_url: str,
    settings: Settings,
    as_of: date,
    site_ids: list[str] | None,
    agencies: dict[int, AgencyInfo],
    sites: dict[str, tuple[str, str]],
    families: tuple[type, ...],
) -> list[FindingDraft]:
    """The drafts of ``families`` over the current reports in scope (in the child process)."""
    from monitor.reports import stream_reports
    from monitor.rules import stream_reads

    db = Database(database_url, migrate=False)
    try:
        with db.session() as session:
            ctx = CheckContext(session, settings, as_of, site_ids)
            ctx._agencies, ctx._sites = agencies, sites
            checks = [cast(ReportCheck, family()) for family in families]
            drafts: list[FindingDraft] = []
            for row in stream_reports(ctx, reads=stream_reads(families)):
                for check in checks:
                    drafts.extend(check.check(ctx, row))
            for check in checks:
                drafts.extend(check.finish(ctx))
            return drafts
    finally:
        db.dispose()
