"""The distributed crawl with real processes: a Redis server, ``nianbao crawl --distributed`` and
worker processes crawling the simulated portals on loopback, compared with a single-process crawl
of the same portals; a worker started late (and a pickle planted in Redis on the way); then one
worker killed with SIGKILL in the middle of a crawl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import redisserver
from tests.redisserver import end_process_group
from tests.portal_sim import Simulator
from tests.portal_sim.families import family_portals
from tests.portal_sim.harness import FAST, ROOT, crawl, query, stored_reports, write_settings

pytestmark = pytest.mark.skipif(not redisserver.available(), reason="redis-server is not installed (scripts/install-system-deps)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redisserver.redis_server() as url:
        yield url


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    for name in ("NIANBAO_CONFIG", "http_proxy", "https_proxy"):
        env.pop(name, None)
    return env


def distributed_config(
    folder: Path, sim_sites: list, redis_url: str, prefix: str, lease_seconds: float = 30, **crawler: Any
) -> Path:
    return write_settings(folder, sim_sites, {"redis_url": redis_url, "redis_prefix": prefix, "lease_seconds": lease_seconds, **crawler})


def start_worker(config: Path, log: Path, *, cli: bool = False) -> subprocess.Popen:
    """A worker in its own process group: ``nianbao worker --once`` (``cli``), or the process it runs
    per crawl with the tests' short retry backoff and timeouts."""
    if cli:
        cmd = [sys.executable, "-m", "nianbao.cli", "--config", str(config), "worker", "--once"]
    else:
        cmd = [sys.executable, "-m", "crawler.distributed.worker", "--config", str(config)]
        for name, value in FAST.items():
            cmd += ["--set", f"{name}={json.dumps(value)}"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=config.parent, env=_env(), stdout=out, stderr=out, start_new_session=True)


def start_coordinator(config: Path, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "nianbao.cli", "--config", str(config), "crawl", "--distributed"]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=config.parent, env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def run_distributed(
    config: Path, workers: int, *, cli_workers: int = 0, during: Callable[[list[subprocess.Popen]], None] | None = None, timeout: float = 240
) -> tuple[str, list[str]]:
    """A distributed crawl with ``workers`` worker processes (the last ``cli_workers`` of them
    ``nianbao worker --once``); the coordinator's output and each worker's log."""
    logs = [config.parent / f"worker{i}.log" for i in range(workers)]
    coordinator_log = config.parent / "coordinator.log"
    for p in [coordinator_log, *logs]:
        p.unlink(missing_ok=True)
    coordinator = start_coordinator(config, coordinator_log)
    procs: list[subprocess.Popen] = []
    try:
        wait_for(lambda: _latest_run_status(config) == "running", 60, "the crawl run to start")
        procs = [start_worker(config, log, cli=i >= workers - cli_workers) for i, log in enumerate(logs)]
        if during:
            during(procs)
        coordinator.wait(timeout=timeout)
        for p in procs:
            p.wait(timeout=60)  # workers exit once the coordinator says the crawl is done
    finally:
        for p in [coordinator, *procs]:
            end_process_group(p)
    return coordinator_log.read_text(encoding="utf-8", errors="replace"), [log.read_text(encoding="utf-8", errors="replace") for log in logs]


def _latest_run_status(config: Path) -> str | None:
    try:
        rows = query(config, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")
    except Exception:  # the database is not created yet
        return None
    return rows[0][0] if rows else None


def run_row(config: Path) -> tuple[int, str, dict[str, Any]]:
    rows = query(config, "SELECT id, status, stats FROM crawl_runs ORDER BY id")
    assert len(rows) == 1, rows  # one crawl run for the whole distributed crawl, not one per worker
    run_id, status, stats = rows[0]
    return run_id, status, json.loads(stats)


def fetch_counts(requests: list) -> Counter[tuple[str, str, str]]:
    """How often each server answered each request, not counting answers that ask for a retry (5xx).
    (Two gkmlpt routes ``index#2753``, ``index#2754`` are two requests of one path, in any crawl.)"""
    return Counter((r.server, r.method, r.path) for r in requests if r.status < 500)


@pytest.fixture(scope="module")
def portals() -> Iterator[Simulator]:
    sim = Simulator()
    sim.portals += family_portals()
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def single(portals: Simulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A single-process crawl of the same portals: what the distributed crawl must find."""
    config = write_settings(tmp_path_factory.mktemp("single"), portals.sites())
    portals.clear_logs()
    summary = crawl(config, timeout=300)
    requests = portals.requests()
    portals.clear_logs()
    return {"config": config, "summary": summary, "reports": stored_reports(config), "requests": requests}


@pytest.fixture(scope="module")
def two_workers(portals: Simulator, single: dict[str, Any], redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # A polite delay per host makes the crawl last longer than a worker takes to start on a busy
    # machine, so that both workers are there to share it (the assertion that both fetched).
    config = distributed_config(tmp_path_factory.mktemp("dist"), portals.sites(), redis_url, "two", download_delay=0.5)
    portals.clear_logs()
    out, logs = run_distributed(config, 2, cli_workers=1)
    requests = portals.requests()
    return {"config": config, "out": out, "logs": logs, "requests": requests}


def test_two_workers_store_every_report_a_single_process_crawl_stores(two_workers: dict[str, Any], single: dict[str, Any], portals: Simulator) -> None:
    reports = stored_reports(two_workers["config"])
    assert reports == single["reports"], two_workers["out"][-3000:]
    assert sorted(portals.expected_reports()) == sorted(single["reports"])
    assert len(reports) == len(set(reports))  # no report stored twice


def test_no_request_is_fetched_twice_and_both_workers_fetched(two_workers: dict[str, Any], single: dict[str, Any]) -> None:
    # Each request as often as the single-process crawl asked it: once (a path twice only for two routes).
    assert fetch_counts(two_workers["requests"]) == fetch_counts(single["requests"])
    _, status, stats = run_row(two_workers["config"])
    assert status == "finished"
    per_worker = [w["requests"] for w in stats["workers"].values()]
    # Whichever started first, the other gets its share of the hosts (crawler.distributed.queue).
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker), stats["workers"]
    assert stats["requeued"] == 0


def test_one_host_is_never_fetched_by_two_workers_at_once(two_workers: dict[str, Any], portals: Simulator) -> None:
    from tests.portal_sim import max_concurrency

    for portal in portals.portals:
        if portal.server:
            assert max_concurrency(portal.server.requests()) <= 1, portal.site_id


def test_blocked_sites_and_robots_decisions_are_the_crawls_not_a_workers(two_workers: dict[str, Any], single: dict[str, Any], portals: Simulator) -> None:
    _, _, stats = run_row(two_workers["config"])
    assert stats["blocked_sites"] == single["summary"]["blocked_sites"] == ["waf"]
    assert "412" in stats["blocked_reasons"]["waf"]
    waf = [r for r in two_workers["requests"] if r.server.startswith("127.0.0.7:")]
    assert len(waf) <= 2  # robots.txt and the start page: no worker asks a blocked site again
    errors = query(two_workers["config"], "SELECT site_id, kind, url FROM crawl_errors WHERE kind = 'blocked' ORDER BY 1, 3")
    single_errors = query(single["config"], "SELECT site_id, kind, url FROM crawl_errors WHERE kind = 'blocked' ORDER BY 1, 3")
    assert errors == single_errors
    # robots.txt is fetched once per host for the whole crawl, whichever worker needed it first
    robots = Counter(r.server for r in two_workers["requests"] if r.path == "/robots.txt")
    assert robots and max(robots.values()) == 1, robots


@pytest.fixture(scope="module")
def late_worker(portals: Simulator, single: dict[str, Any], redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Worker A alone until it has fetched some pages, then worker B; and on the way a pickle
    written into the queue by someone who can write to Redis, as one request's payload.

    No politeness delay: a host A is done with is due at once, and A, which acknowledges it in
    its tick, asks again right after: the case where B could get no host without fair sharing.
    The portals answer 0.2 s late, so that the crawl outlasts B's start on a busy machine."""
    folder = tmp_path_factory.mktemp("late")
    config = distributed_config(folder, portals.sites(), redis_url, "late")
    portals.clear_logs()
    seen: dict[str, Any] = {"marker": folder / "unpickled"}

    def start_b_late(procs: list[subprocess.Popen]) -> None:
        wait_for(lambda: len(portals.requests()) >= 20, 120, "worker A to fetch 20 requests")
        seen["poisoned"] = _plant_pickle(redis_url, "late", seen["marker"])
        procs.append(start_worker(config, folder / "worker_b.log"))
        seen["a"], seen["b"] = procs[0].pid, procs[1].pid
        wait_for(lambda: _registered(redis_url, "late") == 2, 120, "worker B to register")
        seen["b_registered"] = len(portals.requests())

    with answering_late(portals, 0.2):
        out, _ = run_distributed(config, 1, during=start_b_late)
    from tests.portal_sim import max_concurrency

    seen["overlaps"] = {p.site_id: max_concurrency(p.server.requests()) for p in portals.portals if p.server}
    seen.update(config=config, out=out, requests=portals.requests())
    return seen


@contextmanager
def answering_late(sim: Simulator, seconds: float) -> Iterator[None]:
    """Every portal of ``sim`` answers at least ``seconds`` late (slow county servers)."""
    servers = [p.server for p in sim.portals if p.server]
    for server in servers:
        server.answer = lambda request, answer=server.answer: _late(answer(request), seconds)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for server in servers:
            del server.answer


def _late(page: Any, seconds: float) -> Any:
    return replace(page, delay=max(page.delay, seconds))


def _plant_pickle(redis_url: str, prefix: str, marker: Path) -> str:
    """Queue a request for a host of its own, then overwrite its payload with a pickle that would
    create ``marker`` if a worker unpickled it; the request's id."""
    import redis

    from crawler.distributed.queue import RedisQueue
    from tests.test_distributed_queue import touching_pickle

    queue = RedisQueue(redis.Redis.from_url(redis_url), f"{prefix}:crawl")
    assert queue.push({"url": "http://poison.invalid/"}, "poison.invalid", 0, None)
    (request_id,) = [i.decode() for i in queue.r.zrange(queue.key("host:poison.invalid"), 0, -1)]
    queue.r.hset(queue.k_requests, request_id, touching_pickle(marker))
    return request_id


def _registered(redis_url: str, prefix: str) -> int:
    import redis

    with redis.Redis.from_url(redis_url) as client:  # closed after each poll: the tests poll it many times
        return int(client.zcard(f"{prefix}:crawl:workers"))


def test_a_worker_started_late_fetches_a_fair_part(late_worker: dict[str, Any], single: dict[str, Any]) -> None:
    assert fetch_counts(late_worker["requests"]) == fetch_counts(single["requests"])
    assert stored_reports(late_worker["config"]) == single["reports"], late_worker["out"][-3000:]
    _, status, stats = run_row(late_worker["config"])
    assert status == "finished" and stats["requeued"] == 0
    assert max(late_worker["overlaps"].values()) <= 1, late_worker["overlaps"]  # one worker per host at a time
    by_pid = {int(name.rsplit(":", 1)[1]): w["requests"] for name, w in stats["workers"].items()}
    a, b = by_pid[late_worker["a"]], by_pid[late_worker["b"]]
    after = len(late_worker["requests"]) - late_worker["b_registered"]  # made once both were there
    # A held every host when B came; B gets hosts as A frees them, A getting none while B waits
    # holding fewer. Hosts have more or fewer requests, so not exactly half: at least a quarter.
    assert b > 0 and b >= after / 4, (a, b, after)


def test_a_pickle_written_into_redis_is_not_unpickled_and_the_crawl_goes_on(late_worker: dict[str, Any]) -> None:
    assert not late_worker["marker"].exists()  # no worker unpickled it
    errors = query(late_worker["config"], "SELECT site_id, url, kind, detail FROM crawl_errors WHERE kind = 'queue'")
    assert len(errors) == 1, errors
    site_id, url, _, detail = errors[0]
    assert site_id is None and url == "late:crawl:requests"
    assert f"queued request {late_worker['poisoned']}" in detail and "not a JSON request" in detail
    _, status, _ = run_row(late_worker["config"])
    assert status == "finished"  # the dropped request is not waited for, the others were fetched (test above)


def test_a_second_distributed_crawl_stops_at_known_entries_like_a_single_process_one(
    two_workers: dict[str, Any], single: dict[str, Any], portals: Simulator
) -> None:
    portals.clear_logs()
    crawl(single["config"], timeout=300)
    single_again = sorted((r.server, r.method, r.path) for r in portals.requests())
    portals.clear_logs()
    out, _ = run_distributed(two_workers["config"], 2)
    distributed_again = sorted((r.server, r.method, r.path) for r in portals.requests())
    assert distributed_again == single_again, out[-2000:]
    assert stored_reports(two_workers["config"]) == single["reports"]


def test_a_worker_killed_mid_crawl_loses_nothing(portals: Simulator, single: dict[str, Any], redis_url: str, tmp_path: Path) -> None:
    config = distributed_config(tmp_path, portals.sites(), redis_url, "kill", lease_seconds=2)
    portals.clear_logs()
    killed: dict[str, Any] = {}

    def kill_one(procs: list[subprocess.Popen]) -> None:
        # Mid-crawl: some pages fetched, and the first worker holds requests it has not finished.
        wait_for(lambda: len(portals.requests()) >= 15, 120, "the crawl to get going")
        held = wait_for(lambda: _leased_by(redis_url, "kill", procs[0].pid), 60, "the first worker to hold a request")
        killed["held"] = held
        os.killpg(procs[0].pid, signal.SIGKILL)
        procs[0].wait()

    out, logs = run_distributed(config, 2, during=kill_one)
    assert killed["held"] >= 1
    reports = stored_reports(config)
    assert reports == single["reports"], out[-3000:] + logs[1][-3000:]
    _, status, stats = run_row(config)
    assert status == "finished"
    assert stats["requeued"] >= 1  # the killed worker's requests went back to the queue


def _leased_by(redis_url: str, prefix: str, pid: int) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    owners = client.hvals(f"{prefix}:crawl:leased")
    return sum(1 for o in owners if o.decode().endswith(f":{pid}"))


def test_the_worker_command_and_the_settings_keys_exist(tmp_path: Path) -> None:
    from core.settings import SettingsError, settings_from_dict

    with pytest.raises(SettingsError, match="redis_prefix"):
        settings_from_dict({"crawler": {"redis_prefix": "has space"}})
    (tmp_path / "data").mkdir()
    cfg = tmp_path / "settings.yaml"
    cfg.write_text(yaml.safe_dump({"database": "sqlite:///data/n.db", "storage": "data/raw", "sites": []}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "nianbao.cli", "--config", str(cfg), "worker", "--once"], capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert out.returncode == 2 and "crawler.redis_url" in out.stderr
