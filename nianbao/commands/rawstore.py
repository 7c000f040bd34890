"""`nianbao rawstore sync --to LOCATION`: copy the raw store into another (a folder into S3)."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import UsageError
from core.settings import Settings, storage_scheme
from nianbao.cli import EXIT_OK, EXIT_PROBLEMS
from storage.rawstore import RawStoreSpec, open_raw_store
from storage.rawstore_sync import SyncStats, sync_stores


def _location(value: str) -> str:
    """A folder given on the command line is relative to the current folder, as any path argument."""
    return str(Path(value).expanduser().resolve()) if storage_scheme(value) == "file" else value


def run(args: argparse.Namespace, settings: Settings) -> int:
    source = RawStoreSpec.of(settings, _location(args.source) if args.source else None)
    target = RawStoreSpec.of(settings, _location(args.to))
    if source.location.rstrip("/") == target.location.rstrip("/"):
        raise UsageError(f"rawstore sync: the source and the target are the same store ({source.location})")
    print(f"copying raw documents from {source.location} to {target.location}")

    def progress(stats: SyncStats) -> None:
        print(f"  … {stats.copied} copied, {stats.present} already there, {len(stats.failed)} failed", flush=True)

    stats = sync_stores(open_raw_store(source), open_raw_store(target), progress=progress)
    for sha, reason in stats.failed[:20]:
        print(f"{sha}: {reason}")
    for sha in stats.damaged[:20]:
        print(f"{sha}: the stored bytes no longer hash to their name (damaged)")
    print(f"copied {stats.copied}, already there {stats.present}, damaged {len(stats.damaged)}, failed {len(stats.failed)}")
    return EXIT_PROBLEMS if stats.failed or stats.damaged else EXIT_OK
