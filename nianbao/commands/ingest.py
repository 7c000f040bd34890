"""`nianbao ingest`: parse and file what crawls kept and no consumer has filed yet.

A crawl normally files everything it kept before it returns (``crawler.ingest_workers``); this
drains the queue after a crawl that was killed, or beside crawls run with ``ingest_workers: 0``
elsewhere. Safe beside other consumers: each document is claimed before it is parsed.
"""

from __future__ import annotations

import argparse
import time

from nianbao.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from nianbao.commands.context import open_app
from storage.ingest_queue import IngestQueue, components, pending_count
from core.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.batch < 1:
        print("nianbao ingest: --batch must be at least 1")
        return EXIT_USAGE
    app = open_app(settings)
    waiting = pending_count(app.db)
    print(f"documents waiting to be parsed: {waiting}")
    started = time.monotonic()
    outcomes = IngestQueue(app.db, app.store, batch=args.batch, **components(settings)).drain()
    done = sum(outcomes.values())
    labels = ", ".join(f"{name} {n}" for name, n in sorted(outcomes.items())) or "nothing"
    print(f"parsed {done} in {time.monotonic() - started:.1f} s: {labels}")
    left = pending_count(app.db)
    if left:
        print(f"still waiting: {left} (claimed by another consumer)")
    return EXIT_PROBLEMS if outcomes.get("failed") else EXIT_OK
