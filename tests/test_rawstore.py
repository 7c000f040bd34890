"""The raw store when the disk refuses a write: a clear error, no half file, nothing else lost."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

from storage.ingest import IncomingDocument, Ingestor, IngestResult, NotKept
from storage.db import Database
from storage.rawstore import RawStore
from tests.conftest import ROOT

# A child process whose files may not grow past 64 KB (RLIMIT_FSIZE): writes fail as on a full disk.
CHILD = r"""
import json, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
from storage.rawstore import RawStore
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
store = RawStore(sys.argv[1])
out = {"small": store.put(b"small page")}
try:
    store.put(b"x" * 1_000_000)
    out["big"] = "stored"
except OSError as exc:
    out["big"] = exc.errno
print(json.dumps(out))
"""


def test_a_write_the_disk_refuses_fails_clearly_and_leaves_no_half_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["big"] == errno.EFBIG
    assert RawStore(tmp_path).get(out["small"]) == b"small page"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [out["small"]]  # no temporary debris


class _FullDisk(RawStore):
    """A raw store on a disk with room for small files only."""

    def put(self, data: bytes) -> str:
        if len(data) > 10_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().put(data)


def test_a_document_the_disk_refuses_costs_its_batch_nothing(tmp_path: Path) -> None:
    ingestor = Ingestor(Database(f"sqlite:///{tmp_path / 'nb.db'}"), _FullDisk(tmp_path / "raw"))
    docs = [
        IncomingDocument(url="http://t.example/big", body=b"<html>" + b"y" * 100_000, site_id=None, media_type="text/html"),
        IncomingDocument(url="http://t.example/small", body=b"<html>small</html>", site_id=None, media_type="text/html", defer=True),
    ]
    big, small = ingestor.ingest_many(docs)
    assert isinstance(big, NotKept) and "No space left on device" in str(big)
    assert isinstance(small, IngestResult) and small.outcome == "pending"
    assert ingestor.store.get(small.sha256) == b"<html>small</html>"
