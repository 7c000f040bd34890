"""`nianbao migrate-db --to URL`: move the current database (the settings' ``database``) into
another, empty one, typically from the SQLite default to PostgreSQL (docs/scaling.md)."""

from __future__ import annotations

import argparse
import sys
import time

from nianbao.cli import EXIT_OK, EXIT_PROBLEMS
from core.errors import UsageError
from core.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from storage.db import Database, driver_url
    from storage.db_copy import copy_database

    if args.batch < 1:
        raise UsageError("migrate-db: --batch must be at least 1")
    source = Database(settings.database_url)  # brought to the newest schema first, as every command does
    try:
        shown = make_url(driver_url(args.to)).render_as_string(hide_password=True)
    except ArgumentError:
        shown = args.to  # refused with its reason when opened
    print(f"copying {source.engine.url.render_as_string(hide_password=True)} → {shown}", flush=True)
    last = [time.monotonic()]

    def progress(table: str, done: int) -> None:
        if time.monotonic() - last[0] >= 10:  # a sign of life on long tables
            print(f"  {table}: {done:,} rows …", flush=True)
            last[0] = time.monotonic()

    started = time.monotonic()
    try:
        counts = copy_database(source, args.to, batch=args.batch, progress=progress)
    finally:
        source.dispose()
    width = max(len(c.table) for c in counts)
    print(f"{'table':<{width}}  {'source':>12}  {'target':>12}")
    for c in counts:
        print(f"{c.table:<{width}}  {c.source:>12,}  {c.target:>12,}{'' if c.equal else '  MISMATCH'}")
    total = sum(c.target for c in counts)
    bad = [c.table for c in counts if not c.equal]
    if bad:
        print(f"row counts differ in {', '.join(bad)}: the source changed during the copy, or the copy is wrong", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"copied {total:,} rows in {time.monotonic() - started:.1f} s; every table's row count matches. "
          f"Point `database:` in the settings at the target to use it.")
    return EXIT_OK
