"""`nianbao check`: run every rule at a date and update the findings' life."""

from __future__ import annotations

import argparse
from datetime import date

from nianbao.cli import EXIT_OK
from nianbao.commands.context import App, open_app
from core.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.check import run_check

    app = open_app(settings)
    if args.site:
        for sid in args.site:
            settings.site(sid)
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
