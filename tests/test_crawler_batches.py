"""Batched ingest: group commit in the storage pipeline and ``Ingestor.ingest_many``, where one bad
document must cost the others nothing and lose nothing of its own."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from twisted.internet.defer import Deferred

from crawler.group_commit import GroupCommitter
from nianbao.demo.documents import SEED_SUBJECTS, report_body_html, seed_text
from nianbao.demo.families import Article, TrsColumn
from nianbao.demo.server import PortalServer
from storage.ingest import IncomingDocument, Ingestor, IngestResult
from storage.db import Database
from storage.models import CrawlError, RawDocument, Report, ReportCell
from storage.rawstore import RawStore
from tests.conftest import break_parser_on
from tests.portal_sim import SimPortal, _report, _robots, _title
from tests.portal_sim.harness import ROOT, crawl, query, stored_reports, write_settings


# Group commit --------------------------------------------------------------------------------
class _Worker:
    """A worker whose batches finish when the test says so."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.jobs: list[Deferred[list[str]]] = []

    def submit(self, items: list[int]) -> Deferred[list[str]]:
        self.batches.append(items)
        self.jobs.append(Deferred())
        return self.jobs[-1]


def test_items_arriving_while_the_worker_is_busy_go_together() -> None:
    worker = _Worker()
    batches = GroupCommitter(worker.submit, max_batch=3)
    got: dict[int, str] = {}
    for i in range(1, 6):
        batches.add(i).addCallback(lambda r, i=i: got.__setitem__(i, r))
    assert worker.batches == [[1]]  # an idle worker gets the first item at once
    assert batches.pending == 4
    worker.jobs[0].callback(["r1"])
    assert got == {1: "r1"}
    assert worker.batches == [[1], [2, 3, 4]]  # what queued meanwhile, up to max_batch
    worker.jobs[1].callback(["r2", "r3", "r4"])
    assert worker.batches[-1] == [5]
    worker.jobs[2].callback(["r5"])
    assert got == {1: "r1", 2: "r2", 3: "r3", 4: "r4", 5: "r5"}
    assert batches.pending == 0


def test_a_failed_batch_fails_each_of_its_items_and_the_next_batch_still_runs() -> None:
    worker = _Worker()
    batches = GroupCommitter(worker.submit, max_batch=10)
    errors: list[int] = []
    results: list[str] = []
    for i in range(3):
        batches.add(i).addCallbacks(results.append, lambda f, i=i: errors.append(i))
    worker.jobs[0].errback(RuntimeError("disk full"))
    assert errors == [0]
    worker.jobs[1].callback(["a", "b"])
    assert results == ["a", "b"]


# Ingestor.ingest_many --------------------------------------------------------------------------
def _report_page(key: str) -> bytes:
    agency = SEED_SUBJECTS[key][0]
    return f"<html><head><meta charset='utf-8'><title>{agency}年度报告</title></head><body>{report_body_html(seed_text(key))}</body></html>".encode()


@pytest.fixture
def ingestor(tmp_path: Path) -> Ingestor:
    return Ingestor(Database(f"sqlite:///{tmp_path / 'nb.db'}"), RawStore(tmp_path / "raw"))


def _docs(n: int) -> list[IncomingDocument]:
    keys = list(SEED_SUBJECTS)[:n]
    return [IncomingDocument(url=f"http://t.example/{i}.html", body=_report_page(k), site_id=None, media_type="text/html") for i, k in enumerate(keys)]


def _count(ingestor: Ingestor, model: type) -> int:
    with ingestor.db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_batch_stores_each_report_as_ingest_would(ingestor: Ingestor) -> None:
    docs = _docs(3)
    results = ingestor.ingest_many(docs)
    assert [r.outcome for r in results if isinstance(r, IngestResult)] == ["new"] * 3
    assert _count(ingestor, Report) == 3 and _count(ingestor, ReportCell) > 3 * 50
    again = ingestor.ingest_many(docs)  # the same bytes from the same URLs
    assert [r.outcome for r in again if isinstance(r, IngestResult)] == ["unchanged"] * 3
    assert _count(ingestor, RawDocument) == 3


def test_a_document_the_parser_chokes_on_is_kept_with_its_error_and_the_others_stored(
    ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs(3)
    break_parser_on(monkeypatch, docs[1].url)
    results = ingestor.ingest_many(docs)
    assert [r.outcome for r in results if isinstance(r, IngestResult)] == ["new", "failed", "new"]
    assert _count(ingestor, RawDocument) == 3 and _count(ingestor, Report) == 2
    assert ingestor.store.has(hashlib.sha256(docs[1].body).hexdigest())
    with ingestor.db.session() as s:
        errors = s.execute(select(CrawlError.url, CrawlError.kind)).all()
    assert errors == [(docs[1].url, "parse")]


def test_a_document_that_cannot_be_stored_costs_the_rest_of_its_batch_nothing(
    ingestor: Ingestor, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs(3)
    real = Ingestor._store_parsed

    def store(self, raw_id, sha, parsed, url, *args, **kw):  # type: ignore[no-untyped-def]
        if url == docs[2].url:
            raise RuntimeError("constraint trouble")
        return real(self, raw_id, sha, parsed, url, *args, **kw)

    monkeypatch.setattr(Ingestor, "_store_parsed", store)
    results = ingestor.ingest_many(docs)
    assert [getattr(r, "outcome", None) for r in results] == ["new", "new", None]
    assert isinstance(results[2], RuntimeError)  # the caller records it, as when ingest raises
    assert _count(ingestor, Report) == 2
    assert _count(ingestor, RawDocument) == 3  # its raw document is kept for a later reparse


# A crawl stopped with batches in flight ---------------------------------------------------------
def _busy_portal(host: str) -> SimPortal:
    """One TRS column of 24 reports, 8 to a list page: enough documents to fill several batches."""
    agencies = [f"繁忙县第{i}局" for i in range(1, 25)]
    articles = [Article(_title(a, 2023), date(2024, 1, 1 + i), _report("xixia_approval_2020", a, 2023), publisher=a) for i, a in enumerate(agencies)]
    column = TrsColumn(prefix="", column_dir="nb", site_name="繁忙县人民政府", articles=articles, page_size=8)
    server = PortalServer({**column.routes(), "/robots.txt": _robots()}, host=host)
    return SimPortal("busy", "繁忙县人民政府", server, [column.index_path], [(a, 2023) for a in agencies], cms="trs")


def test_a_crawl_stopped_mid_batch_keeps_what_it_counted_and_the_resumed_run_stores_the_rest(tmp_path: Path) -> None:
    portal = _busy_portal("127.0.0.41")
    batches = {"NIANBAO_INGEST_BATCH": 3, "CONCURRENT_REQUESTS_PER_DOMAIN": 4}
    with portal.server:
        config = write_settings(tmp_path, [portal.spec()], crawler={"jobdir": "jobs"})
        first = crawl(config, overrides={**batches, "CLOSESPIDER_ITEMCOUNT": 7})
        stored_first = query(config, "SELECT COUNT(*) FROM raw_documents")[0][0]
        resumed = crawl(config, overrides=batches)
    assert first["status"] == "failed", first["_log"][-3000:]
    # Every document the interrupted run took in is stored (filed, or kept for the ingest queue):
    # none was left in a batch.
    counted = sum(first[k] for k in ("new", "changed", "unchanged", "not_report", "link_pages", "failed", "pending"))
    assert counted >= 7 and stored_first == counted, (counted, stored_first)
    assert resumed["status"] == "finished", resumed["_log"][-3000:]
    assert stored_reports(config) == sorted(portal.expected)
    assert query(config, "SELECT COUNT(*) FROM raw_documents")[0][0] == len(portal.expected)  # nothing fetched twice


def _stored_any(db: Path) -> bool:
    import sqlite3

    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM raw_documents").fetchone()[0] > 0
    except sqlite3.OperationalError:  # not migrated yet
        return False


def test_nianbao_crawl_stopped_by_sigterm_says_so_and_the_next_run_resumes(tmp_path: Path) -> None:
    portal = _busy_portal("127.0.0.42")
    with portal.server:
        slow = write_settings(tmp_path, [portal.spec()], crawler={"jobdir": "jobs", "download_delay": 0.5})
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("NIANBAO_CONFIG", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "nianbao.cli", "--config", str(slow), "crawl"],
            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _stored_any(tmp_path / "data" / "nianbao.db"):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, (out, err[-3000:])
        assert "crawl interrupted before the end; the same command resumes from" in out
        stored_first = query(slow, "SELECT COUNT(*) FROM raw_documents")[0][0]
        assert 0 < stored_first < len(portal.expected)
        fast = write_settings(tmp_path, [portal.spec()], crawler={"jobdir": "jobs"})
        again = subprocess.run(
            [sys.executable, "-m", "nianbao.cli", "--config", str(fast), "crawl"],
            cwd=str(ROOT), capture_output=True, text=True, env=env, timeout=300,
        )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "interrupted" not in again.stdout
    assert stored_reports(fast) == sorted(portal.expected)
    assert query(fast, "SELECT COUNT(*) FROM raw_documents")[0][0] == len(portal.expected)
