"""Group commit: items that arrive while the worker is busy are handed to it together, as one batch.

The storage pipeline's worker stores a batch in two transactions whatever its size, so while it is
busy the documents fetched meanwhile queue up here and go next, together. Nothing waits for a
batch to fill or for a timer: an idle worker gets the next item at once (a slow trickle of
documents is stored one by one, as before), and the last batch of a crawl leaves as soon as the
one before it is done. Reactor thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommitter(Generic[Item, Result]):
    """Feeds ``submit`` batches of at most ``max_batch`` items, one batch at a time."""

    def __init__(self, submit: Callable[[list[Item]], Deferred[list[Result]]], max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.submit = submit
        self.max_batch = max_batch
        self._pending: list[tuple[Item, Deferred[Result]]] = []
        self._busy = False

    def add(self, item: Item) -> Deferred[Result]:
        """A Deferred that fires with ``item``'s result once its batch is done."""
        waiting: Deferred[Result] = Deferred()
        self._pending.append((item, waiting))
        self._next_batch()
        return waiting

    @property
    def pending(self) -> int:
        """Items waiting for the worker (not counting the batch it is on)."""
        return len(self._pending)

    def _next_batch(self) -> None:
        if self._busy or not self._pending:
            return
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        self._busy = True
        try:
            job = self.submit([item for item, _ in batch])
        except Exception:
            job = Deferred()
            job.errback(Failure())
        job.addBoth(self._done, batch)

    def _done(self, results: list[Result] | Failure, batch: list[tuple[Item, Deferred[Result]]]) -> None:
        self._busy = False
        self._next_batch()  # the worker goes on with what queued meanwhile before anyone is told
        if isinstance(results, Failure):
            for _, waiting in batch:
                waiting.errback(results)
            return
        if len(results) != len(batch):
            failure = Failure(RuntimeError(f"batch of {len(batch)} items gave {len(results)} results"))
            for _, waiting in batch:
                waiting.errback(failure)
            return
        for (_, waiting), result in zip(batch, results, strict=True):
            waiting.callback(result)
