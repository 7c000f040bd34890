"""`nianbao check`: run every rule at a date and update the findings' life."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

from nianbao.cli import EXIT_OK, EXIT_PROBLEMS
from nianbao.commands.context import App, open_app
from core.settings import Settings


# One check at a time per database: two would both add the same new finding.
CHECK_LOCK = "nianbao check"
CHECK_LOCK_LEASE = timedelta(minutes=5)  # renewed while the check runs (storage/locks.py)
CHECK_LOCK_WAIT_SECONDS = 600.0


def run(args: argparse.Namespace, settings: Settings) -> int:
    from storage.locks import Lease, lock_holder, process_holder, take_lock, wait_for_lock

    app = open_app(settings)
    if args.site:
        for sid in args.site:
            settings.site(sid)
    holder = process_holder()
    if not take_lock(app.db, CHECK_LOCK, holder, CHECK_LOCK_LEASE):
        print(f"another check is running ({lock_holder(app.db, CHECK_LOCK) or 'just ended'}): waiting for it to end", file=sys.stderr)
        if not wait_for_lock(app.db, CHECK_LOCK, holder, CHECK_LOCK_LEASE, CHECK_LOCK_WAIT_SECONDS):
            print(f"check skipped: another check still running after {CHECK_LOCK_WAIT_SECONDS:.0f}s", file=sys.stderr)
            return EXIT_PROBLEMS
    lease = Lease(app.db, CHECK_LOCK, holder, CHECK_LOCK_LEASE)
    try:
        return _check(app, args, settings)
    finally:
        lease.end()


def _check(app: App, args: argparse.Namespace, settings: Settings) -> int:
    from monitor.check import run_check

    as_of = args.as_of or date.today()
    file_waiting_documents(app)
    summary = run_check(app.db, settings, as_of, site_ids=args.site)
    print_check_summary(summary, as_of)
    if args.write_site:
        from nianbao.commands.site import write_site

        write_site(app, as_of=as_of)
    return EXIT_OK  # problems found are findings, not a failure of `check`


def file_waiting_documents(app: App) -> None:
    """Parse what crawls kept and no consumer filed yet (a killed crawl's last documents): a
    check on reports not yet filed would call them missing."""
    from storage.ingest_queue import IngestQueue, components

    outcomes = IngestQueue(app.db, app.store, **components(app.settings)).drain()  # one look at the queue when it is empty
    if outcomes:
        print(f"parsed first: {sum(outcomes.values())} fetched document(s) waiting in the ingest queue")


def print_check_summary(summary: dict, as_of: date) -> None:
    by_kind = summary.get("by_kind") or {}
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())) or "none"
    print(f"check as of {as_of.isoformat()}: {summary.get('reports_checked', 0)} report(s) checked")
    print(f"open findings by kind: {kinds}")
    print(
        "this run: {} new, {} still open, {} resolved, {} reopened".format(
            summary.get("new", 0), summary.get("open", 0), summary.get("resolved", 0), summary.get("reopened", 0)
        )
    )
