"""The distributed crawl when what it runs on stops, with real processes (redis-server, `nianbao
crawl --distributed`, `nianbao worker --once` and worker processes, the simulated portals on
loopback): Redis stopped with SIGTERM mid-crawl and started again on the same port, with its
append-only file and without persistence; Redis not there when a worker starts; the coordinator
killed with SIGKILL mid-crawl and started again; and `nianbao recrawl --distributed` with two
workers, compared with a single-process recrawl (docs/distributed-crawl.md §4)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from tests import redisserver
from tests.ports import free_port
from tests.portal_sim import Simulator
from tests.portal_sim.harness import ROOT, crawl, query, stored_reports, write_settings
from tests.redisserver import end_process_group
from tests.test_distributed_crawl import (  # noqa: F401 (fixtures: the same portals and single-process crawl)
    _env,
    _latest_run_status,
    _registered,
    distributed_config,
    fetch_counts,
    portals,
    single,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.skipif(not redisserver.available(), reason="redis-server is not installed (scripts/install-system-deps)")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redisserver.redis_server() as url:
        yield url


def live_sites(portals: Simulator) -> list:
    """The portals' sites but the one that refuses every connection (``dead``), whose retries
    with the default backoff of `nianbao worker` would only make these crawls longer."""
    return [s for s in portals.sites() if s.id != "dead"]


@dataclass
class Outcome:
    """How a distributed crawl ended: the coordinator's exit code and output, each worker's."""

    code: int
    out: str
    worker_codes: list[int]
    worker_logs: list[str]

    def everything(self) -> str:
        return self.out[-4000:] + "".join(log[-4000:] for log in self.worker_logs)


def start_cli(config: Path, args: list[str], log: Path) -> subprocess.Popen:
    """``nianbao --config CONFIG ARGS…`` in its own process group, output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "--config", str(config), *args],
            cwd=config.parent, env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def crawl_with_workers(
    config: Path,
    args: list[str],
    workers: int = 2,
    *,
    during: Callable[[subprocess.Popen, list[subprocess.Popen], list[Path]], subprocess.Popen | None] | None = None,
    timeout: float = 300,
) -> Outcome:
    """``nianbao ARGS`` (a distributed crawl or recrawl) with ``workers`` workers, the first
    ``nianbao worker --once``, the others worker processes. ``during`` may return a coordinator
    that replaces the first (it killed it)."""
    tag = f"{len(list(config.parent.glob('coordinator-*.log')))}-" + re.sub(r"\W+", "-", " ".join(args)).strip("-")[:40]
    coordinator_log = config.parent / f"coordinator-{tag}.log"  # kept after the test, one per crawl
    logs = [config.parent / f"worker{i}-{tag}.log" for i in range(workers)]
    coordinator = start_cli(config, args, coordinator_log)
    procs: list[subprocess.Popen] = []
    try:
        wait_for(lambda: _latest_run_status(config) == "running", 60, "the crawl run to start")
        procs = [start_worker(config, log, cli=i == 0) for i, log in enumerate(logs)]
        if during:
            coordinator = during(coordinator, procs, logs) or coordinator
        code = coordinator.wait(timeout=timeout)
        worker_codes = [p.wait(timeout=120) for p in procs]  # they exit once the crawl is done
    finally:
        for p in [coordinator, *procs]:
            end_process_group(p)
    read = lambda p: p.read_text(encoding="utf-8", errors="replace")  # noqa: E731
    return Outcome(code, read(coordinator_log), worker_codes, [read(log) for log in logs])


def runs(config: Path) -> list[tuple[int, str, str, str | None]]:
    """(id, kind, status, finish_reason) of every crawl run."""
    return [(i, k, s, json.loads(stats or "{}").get("finish_reason")) for i, k, s, stats in query(config, "SELECT id, kind, status, stats FROM crawl_runs ORDER BY id")]


def leases(url: str, prefix: str) -> list[float]:
    client = redis.Redis.from_url(url)
    try:
        return [score for _, score in client.zrange(f"{prefix}:crawl:leases", 0, -1, withscores=True)]
    finally:
        client.close()


def assert_no_traceback(outcome: Outcome) -> None:
    for text in [outcome.out, *outcome.worker_logs]:
        assert "Traceback" not in text, text[-6000:]


# Redis stopped mid-crawl and started again ------------------------------------------------------------


def stop_redis_mid_crawl(server: redisserver.RestartableRedis, portals: Simulator, prefix: str) -> Callable:
    """A ``during`` that stops Redis (SIGTERM) while workers hold requests, waits until the
    coordinator and every worker said Redis does not answer and every lease held at the stop has
    expired, then starts Redis again on the same port and folder."""

    def during(coordinator: subprocess.Popen, procs: list[subprocess.Popen], logs: list[Path]) -> None:
        wait_for(lambda: len(portals.requests()) >= 15, 120, "the crawl to get going")
        # Every worker must have reached Redis before it stops: one that starts during the outage
        # never reached it and exits at once (a misnamed server), which is not what is tested here.
        wait_for(lambda: _registered(server.url, prefix) == len(procs), 120, "every worker to register")
        held = wait_for(lambda: leases(server.url, prefix), 60, "a worker to hold a request")
        server.stop(signal.SIGTERM)
        said = lambda p: "does not answer" in p.read_text(encoding="utf-8", errors="replace")  # noqa: E731
        coordinator_log = logs[0].parent / logs[0].name.replace("worker0-", "coordinator-")
        wait_for(lambda: all(said(p) for p in [coordinator_log, *logs]), 60, "the coordinator and every worker to say Redis is gone")
        # Down longer than the leases held when it stopped: all have expired when it comes back.
        wait_for(lambda: time.time() * 1000 > max(held) + 500, 60, "the leases held at the stop to expire")
        server.start()

    return during


def crawl_through_a_restart(server: redisserver.RestartableRedis, portals: Simulator, folder: Path, prefix: str) -> tuple[Path, Outcome]:
    """A distributed crawl with 2-second leases through a stop and start of ``server``."""
    config = distributed_config(folder, live_sites(portals), server.url, prefix, lease_seconds=2)
    portals.clear_logs()
    return config, crawl_with_workers(config, ["crawl", "--distributed"], during=stop_redis_mid_crawl(server, portals, prefix))


def test_a_redis_restart_with_its_append_only_file_is_waited_out_and_the_crawl_finishes(
    portals: Simulator, single: dict[str, Any], tmp_path: Path
) -> None:
    with redisserver.restartable_redis(appendonly=True) as server:
        config, outcome = crawl_through_a_restart(server, portals, tmp_path, "aof")
    assert outcome.code == 0 and outcome.worker_codes == [0, 0], outcome.everything()
    assert_no_traceback(outcome)
    for log in outcome.worker_logs:  # the worker said so, and resumed
        assert "does not answer" in log and "answers again" in log, log[-3000:]
    reports = stored_reports(config)
    assert reports == single["reports"], outcome.everything()  # every report, each once
    [(run_id, _, status, reason)] = runs(config)
    assert (status, reason) == ("finished", "finished")
    stats = query(config, "SELECT stats FROM crawl_runs")[0][0]
    # The leases had expired when Redis came back, yet no live worker's request was put back:
    # nobody requeues until the workers had the time to renew theirs.
    assert json.loads(stats)["requeued"] == 0


def test_a_redis_restarted_empty_closes_the_run_as_failed_and_the_next_crawl_stores_the_rest_once(
    portals: Simulator, single: dict[str, Any], tmp_path: Path
) -> None:
    with redisserver.restartable_redis(appendonly=False) as server:
        config, lost = crawl_through_a_restart(server, portals, tmp_path, "empty")
        assert lost.code == 1, lost.everything()  # the documented exit: the run failed, crawl again
        assert "shared queue was lost with Redis" in lost.out
        assert_no_traceback(lost)
        assert [r[2:] for r in runs(config)] == [("failed", "redis_lost")]
        assert all(code in (0, 1) for code in lost.worker_codes), lost.everything()  # ended, not killed
        again = crawl_with_workers(config, ["crawl", "--distributed"])
    assert again.code == 0, again.everything()
    assert stored_reports(config) == single["reports"], again.everything()  # the lost crawl's reports not twice
    assert [r[2:] for r in runs(config)] == [("failed", "redis_lost"), ("finished", "finished")]


def test_an_idle_nianbao_worker_waits_out_a_redis_restart(portals: Simulator, tmp_path: Path) -> None:
    with redisserver.restartable_redis(appendonly=False) as server:
        config = distributed_config(tmp_path, portals.sites()[:1], server.url, "idle")
        log = tmp_path / "worker.log"
        worker = start_cli(config, ["worker"], log)
        try:
            text = lambda: log.read_text(encoding="utf-8", errors="replace")  # noqa: E731
            wait_for(lambda: worker.poll() is None and _connected(server.url), 60, "the worker to connect")
            server.stop(signal.SIGTERM)
            wait_for(lambda: "does not answer" in text(), 60, "the worker to say Redis is gone")
            server.start()
            wait_for(lambda: "answers again" in text(), 60, "the worker to say Redis is back")
            assert worker.poll() is None and "Traceback" not in text(), text()  # still waiting for crawls
        finally:
            end_process_group(worker)


def _connected(url: str) -> bool:
    client = redis.Redis.from_url(url)
    try:
        return any(c.get("cmd") != "client|list" for c in client.client_list())
    finally:
        client.close()


def test_no_redis_at_the_start_is_one_line_and_exit_2(portals: Simulator, tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    config = distributed_config(tmp_path, portals.sites()[:1], nowhere, "none")
    commands = {
        "nianbao worker": [sys.executable, "-m", "nianbao.cli", "--config", str(config), "worker"],
        "nianbao crawl --distributed": [sys.executable, "-m", "nianbao.cli", "--config", str(config), "crawl", "--distributed"],
        "worker process": [sys.executable, "-m", "crawler.distributed.worker", "--config", str(config)],
    }
    for name, cmd in commands.items():
        out = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
        lines = [line for line in out.stderr.splitlines() if "crawler.redis_url" in line]
        assert out.returncode == 2 and len(lines) == 1 and "Traceback" not in out.stderr, (name, out.stderr)
        assert nowhere in lines[0] and "refused" in lines[0].lower(), (name, lines)


# The coordinator killed mid-crawl ---------------------------------------------------------------------


def test_a_coordinator_killed_mid_crawl_is_carried_on_by_the_next_one(portals: Simulator, single: dict[str, Any], redis_url: str, tmp_path: Path) -> None:
    config = distributed_config(tmp_path, live_sites(portals), redis_url, "coord")
    portals.clear_logs()
    seen: dict[str, Any] = {}

    def kill_and_restart(coordinator: subprocess.Popen, procs: list[subprocess.Popen], logs: list[Path]) -> subprocess.Popen:
        wait_for(lambda: len(portals.requests()) >= 15, 120, "the crawl to get going")
        os.killpg(coordinator.pid, signal.SIGKILL)
        coordinator.wait()
        seen["status"] = _latest_run_status(config)
        n = len(portals.requests())
        wait_for(lambda: len(portals.requests()) > n + 5, 120, "the workers to go on fetching")
        seen["workers alive"] = [p.poll() is None for p in procs]
        return start_cli(config, ["crawl", "--distributed"], tmp_path / "coordinator-again.log")

    outcome = crawl_with_workers(config, ["crawl", "--distributed"], during=kill_and_restart)
    again = (tmp_path / "coordinator-again.log").read_text(encoding="utf-8")
    assert seen == {"status": "running", "workers alive": [True, True]}
    assert outcome.code == 0 and outcome.worker_codes == [0, 0], again[-3000:] + outcome.everything()
    assert "carried on crawl run" in again
    assert_no_traceback(outcome)
    assert stored_reports(config) == single["reports"]  # every report, each once
    assert fetch_counts(portals.requests()) == fetch_counts(single["requests"])  # every request asked as often as by one process
    assert [r[2:] for r in runs(config)] == [("finished", "finished")]  # one run, not left running


def test_a_coordinator_killed_then_a_different_crawl_marks_its_run_died(portals: Simulator, redis_url: str, tmp_path: Path) -> None:
    config = distributed_config(tmp_path, portals.sites(), redis_url, "coord2")
    portals.clear_logs()
    first = start_cli(config, ["crawl", "--distributed"], tmp_path / "first.log")
    try:
        wait_for(lambda: _latest_run_status(config) == "running", 60, "the crawl run to start")
        os.killpg(first.pid, signal.SIGKILL)  # before any worker came: the queue holds the start requests
        first.wait()
    finally:
        end_process_group(first)
    outcome = crawl_with_workers(config, ["crawl", "--distributed", "--site", "generic"], workers=1)
    assert outcome.code == 0, outcome.everything()
    assert [r[1:] for r in runs(config)] == [("crawl", "died", None), ("crawl", "finished", "finished")]
    assert portals.requests("generic") and not portals.requests("trs")  # the new crawl's site only
    assert stored_reports(config) == sorted(portals.portal("generic").expected)


# nianbao recrawl --distributed ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recrawls(portals: Simulator, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One site's year recrawled by one process and, on a copy of the same crawl, by two workers."""
    sites = [s for s in portals.sites() if s.id in ("trs", "generic")]
    one = write_settings(tmp_path_factory.mktemp("recrawl-single"), sites)
    two = distributed_config(tmp_path_factory.mktemp("recrawl-dist"), sites, redis_url, "recrawl")
    for config in (one, two):
        assert crawl(config)["status"] == "finished"
    portals.clear_logs()
    single = crawl(one, sites=["trs"], mode="recrawl", year=2022)
    single_requests = portals.requests()
    portals.clear_logs()
    outcome = crawl_with_workers(two, ["recrawl", "--site", "trs", "--year", "2022", "--distributed"])
    return {"single": single, "single_requests": single_requests, "outcome": outcome, "requests": portals.requests(),
            "generic_requests": portals.requests("generic"), "config": two, "one": one}  # fmt: skip


def test_a_distributed_recrawl_of_one_year_asks_what_a_single_process_recrawl_asks(recrawls: dict[str, Any]) -> None:
    outcome = recrawls["outcome"]
    assert outcome.code == 0 and outcome.worker_codes == [0, 0], outcome.everything()
    assert fetch_counts(recrawls["requests"]) == fetch_counts(recrawls["single_requests"])
    details = [r for r in recrawls["requests"] if "/t20" in r.path]
    assert details and all("/n2022n/" in r.path for r in details)  # only the year asked for
    assert all("if-none-match" not in r.headers and "if-modified-since" not in r.headers for r in details)  # afresh
    assert recrawls["generic_requests"] == []  # only the site named
    single = recrawls["single"]
    assert f"reports new {single['new']} changed {single['changed']} unchanged {single['unchanged']}" in outcome.out
    assert runs(recrawls["config"])[-1][1:] == ("recrawl", "finished", "finished")
    assert stored_reports(recrawls["config"]) == stored_reports(recrawls["one"])


def test_a_distributed_recrawl_of_one_url_fetches_only_that_url(recrawls: dict[str, Any], portals: Simulator) -> None:
    config = recrawls["config"]
    url = next(u for (u,) in query(config, "SELECT source_url FROM reports WHERE source_url LIKE '%t20230116_%'"))
    portals.clear_logs()
    outcome = crawl_with_workers(config, ["recrawl", "--site", "trs", "--url", url, "--distributed"])
    assert outcome.code == 0, outcome.everything()
    paths = sorted(r.path for r in portals.requests())
    assert paths == sorted(["/robots.txt", url.split(str(portals.portal("trs").server.port), 1)[1]])
    assert "unchanged 1" in outcome.out
