"""Content-addressed store of raw documents: bytes under ``<root>/<sha[:2]>/<sha>``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from storage.atomic import write_atomic


class RawStore:
    """Keeps every fetched document so it can be re-parsed without re-crawling."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256. Writes are atomic: no half files."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha)
        if path.exists():
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        return sha

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()
