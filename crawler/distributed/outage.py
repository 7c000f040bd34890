"""Riding out a Redis outage: the distributed crawl's Redis client waits for Redis to come back.

Once a process of the crawl (coordinator, worker, ``nianbao worker``) has reached Redis, every
later call that fails to connect or times out is retried with exponential backoff (0.2 s doubling
up to ``BACKOFF_CAP``), for as long as it takes. The process logs one line when Redis stops
answering, one a minute while it waits, and one when Redis answers again; it neither exits nor
crashes. A worker waits inside the call it was making, so its whole reactor waits with it: nothing
is fetched meanwhile, and nothing it found is lost (a link being queued is queued once Redis is
back). What Redis holds after the outage depends on its persistence (docs/distributed-crawl.md
§4): with it, the crawl goes on; without it, the crawl's keys are gone and the coordinator closes
the run as failed.

Leases keep running out during an outage (their expiry is a wall-clock time), so right after one
nobody puts expired leases back for ``BACKOFF_CAP`` + ``lease_seconds`` (``just_back``): live
workers reconnect and renew theirs first, and only a dead worker's requests are requeued.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKOFF_CAP = 10.0  # seconds between two attempts at most
STILL_WAITING_EVERY = 60.0  # seconds between two "still waiting" lines


class OutageRetry(Retry):
    """redis-py's ``Retry`` that retries forever and logs the outage (see module docstring)."""

    def __init__(self, url: str, cap: float = BACKOFF_CAP) -> None:
        super().__init__(ExponentialBackoff(cap=cap, base=0.2), retries=-1)
        self.url = url
        self.cap = cap
        self.down_since: float | None = None  # monotonic time of the first failure of the outage
        self.back_at: float | None = None  # monotonic time Redis answered again after the last outage
        self._last_line = 0.0

    def __deepcopy__(self, memo: dict[int, Any]) -> OutageRetry:
        return self  # redis-py copies a connection's Retry: one outage state for all of the client's connections

    def call_with_retry(
        self, do: Callable[[], T], fail: Callable[..., Any], is_retryable: Callable[[Exception], bool] | None = None, with_failure_count: bool = False
    ) -> T:
        def failed(error: Exception, *count: int) -> Any:
            now = time.monotonic()
            if self.down_since is None:
                self.down_since = self._last_line = now
                log.error("Redis at %s does not answer (%s): waiting for it, retrying with backoff (at most every %.0f s)", self.url, error, self.cap)
            elif now - self._last_line >= STILL_WAITING_EVERY:
                self._last_line = now
                log.warning("Redis at %s still does not answer after %.0f s: waiting", self.url, now - self.down_since)
            return fail(error, *count)

        result = super().call_with_retry(do, failed, is_retryable, with_failure_count)
        if self.down_since is not None:
            self.back_at = time.monotonic()
            log.warning("Redis at %s answers again after %.1f s", self.url, self.back_at - self.down_since)
            self.down_since = None
        return result


def waiting_client(url: str) -> redis.Redis:
    """A client of ``url`` that waits through outages (``OutageRetry``); ``RedisError`` (or
    ``ValueError`` for a bad URL) if nothing answers there now: a process that never reached
    Redis says so at once rather than waiting for a server that may be misnamed."""
    kwargs: dict[str, Any] = {"socket_timeout": 30, "socket_connect_timeout": 10, "health_check_interval": 30}
    probe = redis.Redis.from_url(url, retry=Retry(ExponentialBackoff(), retries=0), **kwargs)
    try:
        probe.ping()
    finally:
        probe.close()
    return redis.Redis.from_url(url, retry=OutageRetry(url), **kwargs)


def just_back(client: redis.Redis, lease_seconds: float) -> bool:
    """True if ``client``'s Redis answered again after an outage less than ``BACKOFF_CAP`` +
    ``lease_seconds`` ago: every live worker retries at least every ``BACKOFF_CAP`` seconds, so
    by then each has reconnected and renewed its leases, and an expired lease is a dead worker's."""
    retry = client.get_retry()
    return isinstance(retry, OutageRetry) and retry.back_at is not None and time.monotonic() - retry.back_at < retry.cap + lease_seconds
