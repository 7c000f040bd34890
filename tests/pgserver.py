"""A throwaway PostgreSQL server for tests: initdb in a temp folder, loopback only, then removed."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from tests.ports import free_port


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)



def available() -> bool:
    return _bin("initdb") is not None and _bin("pg_ctl") is not None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL database; stop and delete it afterwards."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    assert initdb and pg_ctl
    root = tempfile.mkdtemp(prefix="nianbao-pg-")
    data = os.path.join(root, "data")
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        os.chmod(root, 0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, initdb, "-D", data, "-U", "nianbao", "--auth=trust", "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    subprocess.run([*as_user, pg_ctl, "-D", data, "-o", opts, "-w", "-l", os.path.join(root, "log"), "start"], check=True, capture_output=True)
    try:
        url = f"postgresql+psycopg://nianbao@127.0.0.1:{port}/postgres"
        deadline = time.time() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
