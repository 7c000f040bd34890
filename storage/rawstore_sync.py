"""Copy every document of one raw store into another (a folder into a bucket, or back).

Each document goes through a temporary file, so memory does not grow with its size, and its
bytes are hashed again there: a document whose content no longer matches its name (a damaged
disk) is reported and not copied. A document the target already has is not copied again, so an
interrupted sync is simply run again.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from storage.rawstore import RawDocumentStore, file_sha256

log = logging.getLogger(__name__)


@dataclass
class SyncStats:
    copied: int = 0
    present: int = 0  # already in the target
    damaged: list[str] = field(default_factory=list)  # hashes whose bytes no longer match
    failed: list[tuple[str, str]] = field(default_factory=list)  # (hash, reason)


def sync_stores(source: RawDocumentStore, target: RawDocumentStore, *,
                progress: Callable[[SyncStats], None] | None = None) -> SyncStats:
    """Copy what ``target`` lacks from ``source``; one document's failure costs only that one."""
    stats = SyncStats()
    with tempfile.TemporaryDirectory(prefix="nianbao-sync-") as tmp:
        spool = Path(tmp) / "document"
        for n, sha in enumerate(source.hashes(), 1):
            try:
                if target.has(sha):
                    stats.present += 1
                elif not source.copy_to(sha, spool):
                    stats.failed.append((sha, "vanished from the source"))
                elif (actual := file_sha256(spool)) != sha:
                    stats.damaged.append(sha)
                    log.error("%s: content hashes to %s: damaged, not copied", sha, actual)
                else:
                    target.put_file(spool)
                    stats.copied += 1
            except OSError as exc:
                stats.failed.append((sha, str(exc)))
                log.error("%s: %s", sha, exc)
            finally:
                spool.unlink(missing_ok=True)
            if progress and n % 1000 == 0:
                progress(stats)
    return stats
