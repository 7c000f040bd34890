"""The distributed crawl's shared queue (crawler/distributed/queue.py) on a real Redis server:
priorities, one request per host at a time, the shared dupefilter, the per-host delay, and the
requests of a worker whose lease expired going back to the queue."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests import redisserver

pytestmark = pytest.mark.skipif(not redisserver.available(), reason="redis-server is not installed (scripts/install-system-deps)")


@pytest.fixture(scope="module")
def client() -> Iterator:
    import redis

    with redisserver.redis_server() as url:
        yield redis.Redis.from_url(url)


@pytest.fixture
def queue(client, request):
    from crawler.distributed.queue import RedisQueue

    q = RedisQueue(client, f"t:{request.node.name}")
    yield q
    q.clear()


def req(url: str) -> dict:
    return {"url": url}


def test_higher_priority_first_then_first_in_first_out_and_one_request_per_host(queue) -> None:
    queue.push(req("http://a/list"), "a", 0, "f1")
    queue.push(req("http://a/detail1"), "a", 10, "f2")
    queue.push(req("http://a/detail2"), "a", 10, "f3")
    queue.push(req("http://b/list"), "b", 0, "f4")
    first = queue.claim("w1", 30)
    second = queue.claim("w2", 30)
    assert {first.request["url"], second.request["url"]} == {"http://a/detail1", "http://b/list"}
    assert queue.claim("w3", 30) is None  # host a is being fetched, b has nothing more
    a = first if first.request["url"].startswith("http://a") else second
    assert queue.ack(a.id, "w1" if a is first else "w2")
    assert queue.claim("w3", 30).request["url"] == "http://a/detail2"
    assert queue.unfinished() == 3  # detail2 and b/list leased, a/list queued


def test_the_dupefilter_is_shared_and_dont_filter_bypasses_it(queue) -> None:
    assert queue.push(req("http://a/x"), "a", 0, "same")
    assert not queue.push(req("http://a/x"), "a", 0, "same")  # another worker found the same link
    assert queue.push(req("http://a/x"), "a", 0, None)  # a retry (dont_filter)
    assert queue.unfinished() == 2 and queue.seen() == 1


def test_a_host_is_due_again_only_after_its_delay(queue) -> None:
    queue.push(req("http://a/1"), "a", 0, "1")
    queue.push(req("http://a/2"), "a", 0, "2")
    queue.ack(queue.claim("w1", 30).id, "w1", delay_seconds=0.6)
    assert queue.claim("w2", 30) is None
    deadline = time.monotonic() + 5
    got = None
    while got is None and time.monotonic() < deadline:
        got = queue.claim("w2", 30)
        time.sleep(0.05)
    assert got is not None and got.request["url"] == "http://a/2"


def test_an_expired_lease_goes_back_to_the_queue_and_its_late_ack_is_refused(queue) -> None:
    queue.push(req("http://a/1"), "a", 5, "1")
    dead = queue.claim("dead-worker", 0.2)
    assert queue.claim("w2", 30) is None
    assert queue.renew("w2", [dead.id], 30) == 0  # only the holder renews
    deadline = time.monotonic() + 5
    while not queue.requeue_expired():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = queue.claim("w2", 30)
    assert again.id == dead.id and again.request == dead.request
    assert queue.requeued() == 1
    assert not queue.ack(dead.id, "dead-worker")  # too late: the request is w2's now
    assert queue.unfinished() == 1
    assert queue.ack(again.id, "w2") and queue.unfinished() == 0


def test_a_renewed_lease_does_not_expire(queue) -> None:
    queue.push(req("http://a/1"), "a", 0, "1")
    held = queue.claim("w1", 0.3)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert queue.renew("w1", [held.id], 0.3) == 1
        assert queue.requeue_expired() == 0
        time.sleep(0.05)
    assert queue.ack(held.id, "w1") and queue.unfinished() == 0
