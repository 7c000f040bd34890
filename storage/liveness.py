"""Is the process that holds something (a claim, a running crawl) still alive?

Holders are named ``host:pid[:...]``. Only a holder on this very host can be checked; one on
another host is taken as alive (its claims lapse by time instead).
"""

from __future__ import annotations

import os
import socket

HOST_CHARS = 30  # a host name is cut to this length in holder names (claim tokens are short)


def this_host() -> str:
    """This machine's name as holder names carry it."""
    return socket.gethostname()[:HOST_CHARS]


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` runs on this host (a zombie, ended but not reaped, is dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no /proc: kill(0) said it exists


def holder_gone(holder: str | None) -> bool:
    """True if ``holder`` (``host:pid[:...]``) names a process of this host that no longer runs."""
    if not holder:
        return False
    parts = holder.split(":")
    if len(parts) < 2 or parts[0] != this_host() or not parts[1].isdigit():
        return False
    return not pid_alive(int(parts[1]))
