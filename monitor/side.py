"""The SQL halves of some rule families, run beside the main check on a second connection.

The check is one Python thread, but balance's row expressions over every facts row and
carry-over's join of consecutive years are long scans inside SQLite (or PostgreSQL) that return
a few rows: run in a worker thread, which holds the GIL only while it takes a returned row, they
overlap the main thread's report stream and use the second core. Only the scans run there (a
family's ``scan(ctx)``); turning their rows into findings is Python, left to the main thread
(``run(ctx, scanned)``): two threads doing Python only take turns on the GIL. The worker only
reads (SQLite in WAL mode and PostgreSQL both allow a reader beside the writer), and the main
session alone syncs findings.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from monitor.context import CheckContext
from storage.db import Database

SWITCH_INTERVAL = 0.0005  # seconds: see SideScans


def can_run_beside(db: Database) -> bool:
    """A second connection sees the same data, except with an in-memory SQLite database."""
    url = db.engine.url
    return not (
        url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    )


class SideScans:
    """Run each family's ``scan(ctx)`` in a worker thread; ``result(family)`` waits for it."""

    def __init__(
        self, db: Database, ctx: CheckContext, families: Sequence[type]
    ) -> None:
        # The worker needs the GIL back for each row a scan returns, and by default waits up to
        # 5 ms for the busy main thread to hand it over: a thousand failing reports would wait
        # five seconds. A shorter interval costs the main thread nothing while the worker is
        # inside SQLite; restored by close().
        ctx.load_lookups()  # here: the worker must not touch the main session
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-side")
        self._futures: dict[type, Future[list[Any]]] = {
            family: self._pool.submit(self._scan, db, ctx, family)
            for family in families
        }

    @staticmethod
    def _scan(db: Database, ctx: CheckContext, family: type) -> list[Any]:
        with db.session() as session:
            return family().scan(ctx.beside(session))  # type: ignore[no-any-return]

    def result(self, family: type) -> list[Any]:
        return self._futures[family].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        sys.setswitchinterval(self._interval)
