"""Content-addressed store of raw documents: bytes under the key ``<sha[:2]>/<sha>``.

``RawDocumentStore`` is what the rest of the project uses (ingest, the ingest queue, reparse,
the officers' site); which backend stands behind it is a setting: ``storage`` is a folder (the
default, ``RawStore`` here) or a URL whose scheme ``raw_store.backends`` maps to a backend by
dotted path (``s3://bucket/prefix``: ``storage.s3store.S3RawStore``). Every backend uses the same
keys, relative to its root (a folder, or a bucket and key prefix), so a folder copied into a
bucket under a prefix is a working store (docs/object-store.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from core.registry import ComponentError, load_object
from core.errors import UsageError
from core.settings import Settings, check_storage_location, storage_scheme

CHUNK = 1 << 20  # bytes read at a time when hashing or copying a file
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def raw_key(sha256: str) -> str:
    """The key of a document in every backend, relative to the store's root: ``ab/ab…``."""
    return f"{sha256[:2]}/{sha256}"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read a chunk at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class RawStoreError(OSError):
    """The raw store could not do what was asked (server unreachable, access denied): the
    message names the store, the key and the reason. An ``OSError``, as a full disk is."""


class RawDocumentStore(ABC):
    """Keeps every fetched document so it can be re-parsed without re-crawling."""

    location: str  # the folder or URL, for messages

    @classmethod
    @abstractmethod
    def from_location(cls, location: str, options: dict[str, Any]) -> RawDocumentStore:
        """The store at ``location`` (the resolved ``storage`` setting) with ``options`` (the
        ``raw_store`` settings as a mapping)."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` once (nothing is written when it is already there) and return its SHA-256."""

    @abstractmethod
    def put_file(self, path: Path) -> str:
        """``put`` for a file, streamed: memory does not grow with its size."""

    @abstractmethod
    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``FileNotFoundError`` when they are not there."""

    @abstractmethod
    def has(self, sha256: str) -> bool:
        """Whether ``sha256`` is stored."""

    @abstractmethod
    def copy_to(self, sha256: str, dest: Path) -> bool:
        """Write the document to the file ``dest`` (streamed, whole or not at all); False when
        the store does not have it."""

    @abstractmethod
    def hashes(self) -> Iterator[str]:
        """The SHA-256 of every document stored, in no set order."""


class RawStore(RawDocumentStore):
    """The local-folder backend: bytes under ``<root>/<sha[:2]>/<sha>``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)
        self._folders: set[str] = set()  # fan-out folders known to exist (at most 256)
        self._names = count()
        self._lock = threading.Lock()

    @classmethod
    def from_location(cls, location: str, options: dict[str, Any]) -> RawStore:
        return cls(location)

    def path_for(self, sha256: str) -> Path:
        return self.root / raw_key(sha256)

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256. Writes are atomic: a reader never sees
        half a file, and a failed write (disk full) leaves no debris."""
        sha = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.root, raw_key(sha))
        if os.path.exists(path):
            return sha
        self._write(sha, lambda fh: fh.write(data))
        return sha

    def put_file(self, path: Path) -> str:
        sha = file_sha256(path)
        if not os.path.exists(os.path.join(self.root, raw_key(sha))):
            with open(path, "rb") as src:
                self._write(sha, lambda fh: shutil.copyfileobj(src, fh, CHUNK))
        return sha

    def _write(self, sha: str, write: Any) -> None:
        """Write a file through ``write(fh)`` under a temporary name, then rename it into place."""
        folder = os.path.join(self.root, sha[:2])
        if sha[:2] not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(sha[:2])
        with self._lock:  # unique temporary names without tempfile's random-name machinery
            n = next(self._names)
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{threading.get_ident()}-{n}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, os.path.join(folder, sha))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def copy_to(self, sha256: str, dest: Path) -> bool:
        """A hard link where the file system allows one, else a copy."""
        source = self.path_for(sha256)
        if not source.exists():
            return False
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)
        return True

    def hashes(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                for f in folder.iterdir():
                    if SHA256.match(f.name) and f.name[:2] == folder.name:
                        yield f.name


@dataclass(frozen=True)
class RawStoreSpec:
    """Which raw store to open, in a form that crosses into another process (ingest workers):
    the location, the backend's dotted path and the ``raw_store`` settings."""

    location: str
    backend: str = "storage.rawstore.RawStore"
    options: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, settings: Settings, location: str | None = None) -> RawStoreSpec:
        """The store ``settings`` name (``storage``, ``raw_store``), or the one at ``location``
        (a folder or URL given on the command line) with the same ``raw_store`` settings."""
        if location is None:
            location = settings.storage_location
        backends = settings.raw_store.backend_paths
        try:
            check_storage_location(location, backends)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return cls(location, backends[storage_scheme(location)], settings.raw_store.model_dump())

    def open(self) -> RawDocumentStore:
        backend = load_object(self.backend, "raw_store.backends")
        if not (isinstance(backend, type) and issubclass(backend, RawDocumentStore)):
            raise ComponentError(f"raw_store.backends: {self.backend!r} is not a storage.rawstore.RawDocumentStore subclass")
        return backend.from_location(self.location, self.options)


def open_raw_store(where: Settings | RawStoreSpec | str | os.PathLike[str]) -> RawDocumentStore:
    """The raw store that settings (or a spec, or a folder) name."""
    if isinstance(where, Settings):
        where = RawStoreSpec.of(where)
    if isinstance(where, RawStoreSpec):
        return where.open()
    return RawStore(where)
