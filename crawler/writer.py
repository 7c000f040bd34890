"""The crawl's one database writer thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

log = logging.getLogger(__name__)


class DatabaseWriter:
    """The one thread that writes for a crawl (batches of documents, list sightings): the reactor
    thread never waits for the database's write lock, which an ingest consumer in another process
    may hold for a batch. Started on first use."""

    def __init__(self) -> None:
        self._pool: ThreadPool | None = None

    def pool(self) -> ThreadPool:
        """The writer's thread pool (one thread), started if need be."""
        if self._pool is None:
            self._pool = ThreadPool(minthreads=1, maxthreads=1, name="nianbao-writer")
            self._pool.start()
        return self._pool

    def run(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run ``fn(*args)`` on the writer thread, after what was queued before it."""
        from twisted.internet import reactor  # the one Scrapy installed (TWISTED_REACTOR)

        return deferToThreadPool(reactor, self.pool(), fn, *args)

    def write_later(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """``run``, with failures logged (nobody waits for the result)."""
        d = self.run(fn, *args)
        d.addErrback(lambda f: log.error("a database write failed: %s", f.getTraceback()))
        return d

    def stop(self) -> None:
        """Finish the queued writes and stop the writer thread (idempotent)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()
