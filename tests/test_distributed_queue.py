"""The distributed crawl's shared queue (crawler/distributed/queue.py) on a real Redis server:
priorities, one request per host at a time, the shared dupefilter, the per-host delay, the
requests of a worker whose lease expired going back to the queue, fair shares of the hosts
between workers, and requests stored as JSON (a pickle written into Redis is never unpickled)."""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from pathlib import Path

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
    assert queue.held("dead-worker") == 0 and queue.held("w2") == 1
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


# Fair shares ------------------------------------------------------------------------------------
def hosts_with_two_requests(queue, hosts: str) -> None:
    for host in hosts:
        for n in (1, 2):
            queue.push(req(f"http://{host}/{n}"), host, 0, f"{host}{n}")


def claim_all(queue, worker: str) -> list:
    got = []
    while (c := queue.claim(worker, 30)) is not None:
        got.append(c)
    return got


def host(claimed) -> str:
    return claimed.request["url"].split("/")[2]


def test_one_worker_alone_takes_every_host(queue) -> None:
    hosts_with_two_requests(queue, "abcdef")
    got = claim_all(queue, "w1")
    assert sorted(host(c) for c in got) == list("abcdef")  # one request per host, every host
    assert queue.held("w1") == 6


def test_a_worker_that_has_all_it_can_fetch_holds_no_one_back(queue) -> None:
    hosts_with_two_requests(queue, "abcdef")
    assert queue.claim("B", 30) is not None  # B holds one host and asks for no more (its slots are full)
    assert len(claim_all(queue, "A")) == 5  # A takes every other host, though it holds more than B


def test_a_worker_gets_nothing_while_a_waiting_worker_holds_fewer(queue) -> None:
    hosts_with_two_requests(queue, "abcd")
    a = {host(c): c for c in claim_all(queue, "A")}  # A started first: every host
    assert len(a) == 4
    assert claim_all(queue, "B") == []  # B starts: every host is A's; B is waiting now
    assert queue.ack(a["a"].id, "A")  # host a is free again, but B (0) waits and A holds 3
    assert queue.claim("A", 30) is None
    assert [host(c) for c in claim_all(queue, "B")] == ["a"]  # the freed host goes to B
    assert queue.ack(a["b"].id, "A")
    assert queue.claim("A", 30) is None  # A 2, B 1
    assert [host(c) for c in claim_all(queue, "B")] == ["b"]
    assert (queue.held("A"), queue.held("B")) == (2, 2)
    assert queue.ack(a["c"].id, "A")  # now A holds fewer than B: it takes what it frees again
    assert [host(c) for c in claim_all(queue, "A")] == ["c"]


def test_with_hosts_resting_between_requests_a_waiting_worker_still_gets_its_turn(queue) -> None:
    # Under politeness delays most hosts wait out their delay unleased: a worker holds one or
    # two requests, far below any share of the hosts, and still must not take every turn.
    hosts_with_two_requests(queue, "abc")
    a = {host(c): c for c in claim_all(queue, "A")}
    assert claim_all(queue, "B") == []
    queue.ack(a["a"].id, "A", delay_seconds=60)
    queue.ack(a["b"].id, "A", delay_seconds=60)  # A holds 1 request of 3 hosts with work
    queue.push(req("http://d/1"), "d", 0, "d1")  # a host due now
    assert queue.claim("A", 30) is None  # B waits and holds 0
    assert [host(c) for c in claim_all(queue, "B")] == ["d"]


def test_a_worker_that_stopped_asking_does_not_hold_the_others_back(queue) -> None:
    queue.WAITING_SECONDS = 0.3
    hosts_with_two_requests(queue, "ab")
    a = {host(c): c for c in claim_all(queue, "A")}
    assert claim_all(queue, "B") == []  # B waits (or died just after asking)
    queue.ack(a["a"].id, "A")
    assert queue.claim("A", 30) is None
    # B does not ask again: once its wait is over, host a is A's to take
    deadline = time.monotonic() + 5
    got = None
    while got is None:
        assert time.monotonic() < deadline, "A never got host a back"
        time.sleep(0.05)
        got = queue.claim("A", 30)
    assert host(got) == "a"


# Requests as JSON ------------------------------------------------------------------------------
def test_a_request_goes_through_the_queue_as_json_and_comes_back_the_same(queue) -> None:
    from scrapy import FormRequest
    from scrapy.utils.request import request_from_dict

    meta = {"site_id": "s", "list_state": {"form": {"a": "甲"}, "page": 2, "tags": ("x", 1)}, "raw": b"\xff\x00", "odd": {"$bytes": "not a tag"},
            "revisit": {"etag": None, "last_modified": "Mon, 01 Dec 2025 00:00:00 GMT"}, "download_latency": 0.25}  # fmt: skip
    sent = FormRequest("http://a/x?q=1", formdata={"k": "政府"}, headers={"Referer": "http://a/"}, meta=meta, priority=5, dont_filter=True)
    queue.push(sent.to_dict(), "a", 5, None)
    payload = queue.r.hget(queue.k_requests, "r1")
    assert payload.startswith(b"{") and b"pickle" not in payload
    back = request_from_dict(queue.claim("w", 30).request)
    assert type(back) is FormRequest
    assert (back.url, back.method, back.body, back.priority, back.dont_filter) == (sent.url, "POST", sent.body, 5, True)
    assert dict(back.headers) == dict(sent.headers) and back.meta == sent.meta


def test_a_value_json_cannot_hold_is_refused_not_dropped(queue) -> None:
    from crawler.distributed.payload import UnstorableRequest

    with pytest.raises(UnstorableRequest, match=r"request\['meta'\]\['seen'\]: a builtins.set"):
        queue.push({"url": "http://a/", "meta": {"seen": {1, 2}}}, "a", 0, "f")
    with pytest.raises(UnstorableRequest, match="nan"):
        queue.push({"url": "http://a/", "meta": {"x": float("nan")}}, "a", 0, "f")
    assert queue.unfinished() == 0


class _Touch:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # unpickling calls Path.touch(path): code run by whoever unpickles
        return (Path.touch, (self.path,))


def touching_pickle(marker: Path) -> bytes:
    """What an attacker who can write to Redis would store: a pickle that creates ``marker`` when unpickled."""
    return pickle.dumps({"url": "http://a/1", "x": _Touch(marker)})


def test_a_pickle_written_into_redis_is_not_unpickled_but_dropped(queue, tmp_path: Path) -> None:
    from crawler.distributed.payload import UnreadableRequest

    marker = tmp_path / "unpickled"
    pickle.loads(touching_pickle(marker))  # the payload works: unpickled, it runs
    assert marker.exists()
    marker.unlink()
    queue.push(req("http://a/1"), "a", 5, "1")
    queue.push(req("http://a/2"), "a", 0, "2")
    queue.r.hset(queue.k_requests, "r1", touching_pickle(marker))
    with pytest.raises(UnreadableRequest, match="queued request r1 .*not a JSON request.*dropped"):
        queue.claim("w", 30)
    assert not marker.exists()
    assert queue.unfinished() == 1 and queue.held("w") == 0  # r1 gone, its host free again
    assert queue.claim("w", 30).request == req("http://a/2")


def test_a_json_payload_naming_another_class_is_refused(queue) -> None:
    from crawler.distributed.payload import UnreadableRequest

    queue.push(req("http://a/1"), "a", 0, "1")
    queue.r.hset(queue.k_requests, "r1", b'{"url": "http://a/1", "_class": "os.system"}')
    with pytest.raises(UnreadableRequest, match="os.system"):
        queue.claim("w", 30)
    assert queue.unfinished() == 0


def test_a_payload_deleted_from_redis_is_dropped_too(queue) -> None:
    from crawler.distributed.payload import UnreadableRequest

    queue.push(req("http://a/1"), "a", 0, "1")
    queue.r.hdel(queue.k_requests, "r1")
    with pytest.raises(UnreadableRequest, match="queued request r1"):
        queue.claim("w", 30)
    assert queue.held("w") == 0 and queue.claim("w", 30) is None
