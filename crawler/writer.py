"""The crawl's one database writer thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

if TYPE_CHECKING:
    from storage.ingest_queue import WriteGate

log = logging.getLogger(__name__)


def _leaving(result: Any, gate: WriteGate) -> Any:
    gate.leave()
    return result


class DatabaseWriter:
    """The one thread that writes for a crawl (batches of documents, list sightings): the reactor
    thread never waits for the database's write lock, which an ingest consumer in another process
    may hold for a batch. Started on first use."""

    def __init__(self) -> None:
        self._pool: ThreadPool | None = None
        # Set by crawler.run when ingest workers run beside the crawl: they let the writes
        # counted there go first (storage.ingest_queue.WriteGate).
        self.gate: WriteGate | None = None

    def pool(self) -> ThreadPool:
        """The writer's thread pool (one thread), started if need be."""
        if self._pool is None:
            self._pool = ThreadPool(minthreads=1, maxthreads=1, name="nianbao-writer")
            self._pool.start()
        return self._pool

    def run(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        """Run ``fn(*args)`` on the writer thread, after what was queued before it."""
        from twisted.internet import reactor  # the one Scrapy installed (TWISTED_REACTOR)

        gate = self.gate
        if gate is None:
            return deferToThreadPool(reactor, self.pool(), fn, *args)
        gate.enter()
        d = deferToThreadPool(reactor, self.pool(), fn, *args)
        d.addBoth(_leaving, gate)
        return d

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
