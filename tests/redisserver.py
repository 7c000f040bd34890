"""A throwaway Redis server for tests: Debian's redis-server on 127.0.0.1, a free port, no disk
(``redis_server``); or one that can be stopped and started again on the same port and folder,
with or without its append-only file (``RestartableRedis``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from tests.ports import free_port


def available() -> bool:
    return shutil.which("redis-server") is not None



def _pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield the URL of a fresh Redis server; end it (its process group) and delete its folder afterwards."""
    folder = tempfile.mkdtemp(prefix="nianbao-redis-")
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not _pings(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer PING on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        end_process_group(proc)
        shutil.rmtree(folder, ignore_errors=True)


def end_process_group(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Send ``sig`` to the process group ``proc`` leads and wait for it (SIGKILL after ``timeout``)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


class RestartableRedis:
    """A redis-server on a fixed port and folder that a test stops and starts again. With
    ``appendonly`` it keeps an append-only file (fsync every second, as docs/distributed-crawl.md
    recommends) and comes back with its keys; without, it comes back empty."""

    def __init__(self, folder: str, *, appendonly: bool) -> None:
        self.folder = folder
        self.port = free_port()
        self.appendonly = appendonly
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if self.appendonly else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence, "--dir", self.folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not _pings(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer PING on port {self.port}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it with ``sig`` (SIGTERM: Redis's own clean shutdown) and wait until it is gone."""
        if self.proc is not None:
            end_process_group(self.proc, sig)
            self.proc = None


@contextmanager
def restartable_redis(*, appendonly: bool) -> Iterator[RestartableRedis]:
    """A started ``RestartableRedis``; ended (its process group) and its folder deleted afterwards."""
    server = RestartableRedis(tempfile.mkdtemp(prefix="nianbao-redis-"), appendonly=appendonly)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
