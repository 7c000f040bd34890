"""The distributed crawl's shared request queue in Redis: one queue per host, host leases, request leases.

Every operation that must not be split is one Lua script, so any number of workers on any number
of machines can share the queue (docs/distributed-crawl.md lists the keys):

- ``push``: the shared dupefilter (a set of request fingerprints) and the host's queue in one step;
  a request already seen is not queued (unless ``dont_filter``).
- ``claim``: the first host that is free (not leased) and due (its politeness delay over) gives its
  highest-priority request; the host and the request are leased to the worker until the lease
  expires. One host is therefore fetched by one worker at a time, whatever the number of workers.
  Fair sharing: a worker gets nothing while another worker that is waiting for work (its last
  claim, within ``WAITING_SECONDS``, got nothing) holds fewer requests than it; the host stays
  for that one. A worker alone, or beside workers that have all they can fetch, is never held
  back. (docs/distributed-crawl.md §3 says why this rule and not a cap per worker.)
- ``ack``: the worker is done with a request (its response handled, what it produced queued or
  stored): the request and the host lease go, and the host is due again ``delay`` later.
- ``renew``: a live worker extends its leases (every tick).
- ``requeue_expired``: leases past their expiry belong to a worker that died: their requests go
  back to their host's queue with their priority, and the hosts are free again.

Requests are stored as JSON (``crawler.distributed.payload``), not pickled: whoever can write to
Redis can steer the crawl (queue any URL) but cannot make a worker run code; a payload that is not
such a request is dropped by the worker that claims it (``UnreadableRequest``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from crawler.distributed.payload import UnreadableRequest, decode_request, encode_request

# KEYS: seen, requests, scores, hosts, busy, next ; ARGV: prefix, id, payload, host, score, fp (''
# when dont_filter), now_ms
_PUSH = """
if ARGV[6] ~= '' and redis.call('SADD', KEYS[1], ARGV[6]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4] .. ' ' .. ARGV[5])
redis.call('ZADD', ARGV[1] .. ':host:' .. ARGV[4], ARGV[5], ARGV[2])
if redis.call('SISMEMBER', KEYS[5], ARGV[4]) == 0 then
  local due = tonumber(redis.call('HGET', KEYS[6], ARGV[4]) or '0')
  local now = tonumber(ARGV[7])
  if due < now then due = now end
  redis.call('ZADD', KEYS[4], 'NX', due, ARGV[4])
end
return 1
"""

# KEYS: hosts, busy, leases, leased, requests, held, waiting ; ARGV: prefix, now_ms, lease_ms, worker, waiting_ms
# Fairness: nothing for a worker while another worker waiting for work holds fewer requests.
_CLAIM = """
local now, me = tonumber(ARGV[2]), ARGV[4]
local mine = tonumber(redis.call('HGET', KEYS[6], me) or '0')
if mine > 0 then
  local asked = redis.call('HGETALL', KEYS[7])
  for i = 1, #asked, 2 do
    if asked[i] ~= me and tonumber(asked[i + 1]) >= now - tonumber(ARGV[5])
        and tonumber(redis.call('HGET', KEYS[6], asked[i]) or '0') < mine then
      redis.call('HSET', KEYS[7], me, now)
      return false
    end
  end
end
local h = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #h == 0 then
  redis.call('HSET', KEYS[7], me, now)
  return false
end
local host = h[1]
redis.call('ZREM', KEYS[1], host)
local q = ARGV[1] .. ':host:' .. host
local ids = redis.call('ZRANGE', q, 0, 0)
if #ids == 0 then return false end
local id = ids[1]
redis.call('ZREM', q, id)
redis.call('SADD', KEYS[2], host)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), id)
redis.call('HSET', KEYS[4], id, me)
redis.call('HINCRBY', KEYS[6], me, 1)
redis.call('HDEL', KEYS[7], me)
return {id, redis.call('HGET', KEYS[5], id) or ''}
"""

# KEYS: leases, leased, requests, scores, busy, hosts, next, held ; ARGV: prefix, id, now_ms, delay_ms, worker
_ACK = """
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[5] then return 0 end
if redis.call('HINCRBY', KEYS[8], ARGV[5], -1) <= 0 then redis.call('HDEL', KEYS[8], ARGV[5]) end
local entry = redis.call('HGET', KEYS[4], ARGV[2])
local host = string.match(entry, '^(.*) [^ ]+$')
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('SREM', KEYS[5], host)
local due = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[7], host, due)
if redis.call('ZCARD', ARGV[1] .. ':host:' .. host) > 0 then redis.call('ZADD', KEYS[6], due, host) end
return 1
"""

# KEYS: leases, leased, scores, busy, hosts, requeued, held ; ARGV: prefix, now_ms
_REQUEUE = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
for _, id in ipairs(expired) do
  local entry = redis.call('HGET', KEYS[3], id)
  local owner = redis.call('HGET', KEYS[2], id)
  if owner and redis.call('HINCRBY', KEYS[7], owner, -1) <= 0 then redis.call('HDEL', KEYS[7], owner) end
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if entry then
    local host, score = string.match(entry, '^(.*) ([^ ]+)$')
    redis.call('ZADD', ARGV[1] .. ':host:' .. host, tonumber(score), id)
    redis.call('SREM', KEYS[4], host)
    redis.call('ZADD', KEYS[5], ARGV[2], host)
    redis.call('INCR', KEYS[6])
  end
end
return #expired
"""

# KEYS: leases, leased ; ARGV: worker, expiry_ms, ids...
_RENEW = """
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[i])
    n = n + 1
  end
end
return n
"""


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Claimed:
    """A request a worker holds: its id in the queue and the request as a dict."""

    id: str
    request: dict[str, Any]


class RedisQueue:
    """The shared queue of one distributed crawl, under ``prefix`` (see module docstring)."""

    # A worker whose claim got nothing this recently is waiting for work: several of its ticks
    # (0.2 s), so a worker with free slots is always seen waiting, and one that died or filled
    # its slots stops holding the others back soon.
    WAITING_SECONDS = 2.0

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.r = client
        self.prefix = prefix
        k = self.key
        self.k_seen, self.k_requests, self.k_scores = k("seen"), k("requests"), k("scores")
        self.k_hosts, self.k_busy, self.k_next = k("hosts"), k("busy"), k("next")
        self.k_leases, self.k_leased, self.k_requeued = k("leases"), k("leased"), k("requeued")
        # requests held per worker; when each worker's last claim got nothing (it waits for work)
        self.k_held, self.k_waiting = k("held"), k("waiting")
        self._push = client.register_script(_PUSH)
        self._claim = client.register_script(_CLAIM)
        self._ack = client.register_script(_ACK)
        self._requeue = client.register_script(_REQUEUE)
        self._renew = client.register_script(_RENEW)

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def push(self, request: dict[str, Any], host: str, priority: int, fingerprint: str | None) -> bool:
        """Queue ``request`` for ``host`` unless its fingerprint was seen (None: never filtered).
        Higher ``priority`` first, then first in, first out. True if queued."""
        seq = self.r.incr(self.key("seq"))
        request_id = f"r{seq}"
        score = -priority * 1_000_000_000_000 + seq
        keys = [self.k_seen, self.k_requests, self.k_scores, self.k_hosts, self.k_busy, self.k_next]
        args = [self.prefix, request_id, encode_request(request), host.lower(), score, fingerprint or "", now_ms()]
        return bool(self._push(keys=keys, args=args))

    def claim(self, worker: str, lease_seconds: float) -> Claimed | None:
        """The next request of a free, due host, leased to ``worker``; None when there is none now,
        or when another worker waiting for work holds fewer (module docstring). A payload that is
        not a request this crawler stored is dropped (its host freed) and raised as ``UnreadableRequest``."""
        keys = [self.k_hosts, self.k_busy, self.k_leases, self.k_leased, self.k_requests, self.k_held, self.k_waiting]
        args = [self.prefix, now_ms(), int(lease_seconds * 1000), worker, int(self.WAITING_SECONDS * 1000)]
        got = self._claim(keys=keys, args=args)
        if not got:
            return None
        raw_id, payload = got
        request_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
        try:
            return Claimed(request_id, decode_request(payload))
        except UnreadableRequest as exc:
            self.ack(request_id, worker)
            raise UnreadableRequest(f"queued request {request_id} ({self.k_requests}): {exc}; dropped") from None

    def ack(self, request_id: str, worker: str, delay_seconds: float = 0.0) -> bool:
        """``worker`` is done with ``request_id``; its host is due again ``delay_seconds`` from now.
        False if the worker's lease had expired (the request went back to the queue, and may be
        another worker's now: it will be fetched again)."""
        keys = [self.k_leases, self.k_leased, self.k_requests, self.k_scores, self.k_busy, self.k_hosts, self.k_next, self.k_held]
        return bool(self._ack(keys=keys, args=[self.prefix, request_id, now_ms(), int(delay_seconds * 1000), worker]))

    def renew(self, worker: str, request_ids: Iterable[str], lease_seconds: float) -> int:
        ids = list(request_ids)
        if not ids:
            return 0
        return int(self._renew(keys=[self.k_leases, self.k_leased], args=[worker, now_ms() + int(lease_seconds * 1000), *ids]))

    def requeue_expired(self) -> int:
        """Put the requests of expired leases back in their queues; how many."""
        keys = [self.k_leases, self.k_leased, self.k_scores, self.k_busy, self.k_hosts, self.k_requeued, self.k_held]
        return int(self._requeue(keys=keys, args=[self.prefix, now_ms()]))

    def unfinished(self) -> int:
        """Requests queued or leased (0: the crawl has nothing left to do)."""
        return int(self.r.hlen(self.k_requests))

    def leased(self) -> int:
        return int(self.r.hlen(self.k_leased))

    def held(self, worker: str) -> int:
        """How many requests (so hosts) ``worker`` holds."""
        return int(self.r.hget(self.k_held, worker) or 0)

    def requeued(self) -> int:
        return int(self.r.get(self.k_requeued) or 0)

    def seen(self) -> int:
        return int(self.r.scard(self.k_seen))

    def clear(self) -> None:
        """Remove every key of this crawl (the host queues included)."""
        keys = list(self.r.scan_iter(match=f"{self.prefix}:*", count=1000))
        for i in range(0, len(keys), 500):
            self.r.delete(*keys[i : i + 500])
