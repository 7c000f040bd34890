"""What the workers of one distributed crawl decide together, kept in Redis beside the queue.

- the crawl itself (``crawl`` hash): its ``crawl_runs`` id, mode and sites, and whether it is
  ``running`` or ``done`` (the coordinator says so once the queue is drained);
- sites marked blocked (``blocked`` hash: site → reason; the first worker to mark a site records
  the crawl error), start URLs robots.txt forbids (``forbidden_starts``: site → count), list pages
  read per site (``pages``: site → count, for ``max_pages_per_site``);
- robots.txt bodies per host (``robots`` hash), so every worker obeys the same robots.txt and it
  is fetched once per crawl;
- each worker's counters (``worker:<name>`` JSON, refreshed every tick) and heartbeat
  (``workers`` sorted set: name → last tick), which the coordinator adds up for the run summary.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from core.settings import SettingsError
from crawler.distributed.outage import waiting_client
from crawler.distributed.queue import RedisQueue, now_ms

CRAWL_KEY_PART = "crawl"  # every key of the current distributed crawl is below <redis_prefix>:crawl


def crawl_prefix(redis_prefix: str) -> str:
    return f"{redis_prefix}:{CRAWL_KEY_PART}"


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` (``redis://host:port/db``) that waits through later outages
    (``crawler.distributed.outage``); ``SettingsError`` when nothing answers there now."""
    try:
        return waiting_client(url)
    except (redis.RedisError, ValueError) as exc:
        raise SettingsError(f"crawler.redis_url {url}: {exc}") from None


class SharedCrawlState:
    """The distributed crawl's shared decisions and bookkeeping (see module docstring)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.r = client
        self.prefix = prefix
        self.queue = RedisQueue(client, prefix)

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    # The crawl ----------------------------------------------------------------------------------
    def announce(self, run_id: int, mode: str, site_ids: list[str], year: int | None = None, url: str | None = None) -> None:
        request = {"run_id": run_id, "mode": mode, "sites": json.dumps(site_ids), "year": year or "", "url": url or ""}
        self.r.hset(self.key("meta"), mapping={**request, "state": "running"})

    def meta(self) -> dict[str, Any] | None:
        """The current crawl (run_id, mode, sites, year, url, state), or None when there is none."""
        raw = self.r.hgetall(self.key("meta"))
        if not raw:
            return None
        m = {k.decode(): v.decode() for k, v in raw.items()}
        if "run_id" not in m:
            return None  # a stray "state" written after the crawl's keys were lost
        year, url = m.get("year"), m.get("url")
        return {"run_id": int(m["run_id"]), "mode": m["mode"], "sites": json.loads(m["sites"]), "year": int(year) if year else None,
                "url": url or None, "state": m["state"]}  # fmt: skip

    def finish(self) -> None:
        self.r.hset(self.key("meta"), "state", "done")

    # Decisions ------------------------------------------------------------------------------------
    def block(self, site_id: str, reason: str) -> bool:
        """Mark ``site_id`` blocked; True for the one worker that marked it first."""
        return bool(self.r.hsetnx(self.key("blocked"), site_id, reason))

    def blocked(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(self.key("blocked")).items()}

    def is_blocked(self, site_id: str) -> bool:
        return bool(self.r.hexists(self.key("blocked"), site_id))

    def count_forbidden_start(self, site_id: str) -> int:
        return int(self.r.hincrby(self.key("forbidden_starts"), site_id, 1))

    def count_page(self, site_id: str) -> int:
        return int(self.r.hincrby(self.key("pages"), site_id, 1))

    def robots_body(self, netloc: str) -> bytes | None:
        """The robots.txt body a worker fetched for ``netloc`` (b"" when it could not be read:
        allow all, Scrapy's rule), or None when no worker has yet."""
        body = self.r.hget(self.key("robots"), netloc)
        return None if body is None else bytes(body)

    def keep_robots_body(self, netloc: str, body: bytes) -> bytes:
        """Keep ``body`` unless another worker kept one first; the body every worker uses."""
        self.r.hsetnx(self.key("robots"), netloc, body)
        return bytes(self.r.hget(self.key("robots"), netloc) or b"")

    # Workers ----------------------------------------------------------------------------------------
    def heartbeat(self, worker: str, counters: dict[str, Any]) -> None:
        pipe = self.r.pipeline()
        pipe.zadd(self.key("workers"), {worker: now_ms()})
        pipe.set(self.key(f"worker:{worker}"), json.dumps(counters, ensure_ascii=False, default=str))
        pipe.execute()

    def workers(self) -> dict[str, dict[str, Any]]:
        """Every worker that took part, with its last counters and heartbeat (ms)."""
        out = {}
        for name, beat in self.r.zrange(self.key("workers"), 0, -1, withscores=True):
            worker = name.decode()
            raw = self.r.get(self.key(f"worker:{worker}"))
            out[worker] = {"heartbeat_ms": int(beat), **(json.loads(raw) if raw else {})}
        return out

    def live_workers(self, within_seconds: float) -> int:
        return int(self.r.zcount(self.key("workers"), now_ms() - int(within_seconds * 1000), "+inf"))
