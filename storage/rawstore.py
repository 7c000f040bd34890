"""Content-addressed store of raw documents: bytes under ``<root>/<sha[:2]>/<sha>``."""

from __future__ import annotations

import hashlib
import os
import threading
from itertools import count
from pathlib import Path


class RawStore:
    """Keeps every fetched document so it can be re-parsed without re-crawling."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._folders: set[str] = set()  # fan-out folders known to exist (at most 256)
        self._names = count()
        self._lock = threading.Lock()

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256. Writes are atomic: a reader never sees
        half a file, and a failed write (disk full) leaves no debris."""
        sha = hashlib.sha256(data).hexdigest()
        folder = os.path.join(self.root, sha[:2])
        path = os.path.join(folder, sha)
        if os.path.exists(path):
            return sha
        if sha[:2] not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(sha[:2])
        with self._lock:  # unique temporary names without tempfile's random-name machinery
            n = next(self._names)
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{threading.get_ident()}-{n}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()
