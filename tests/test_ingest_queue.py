"""The ingest queue: documents a crawl only kept are parsed and filed by consumers, exactly as if
the crawl had parsed them, each once, whatever happens to a consumer; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nianbao.demo.documents import SEED_SUBJECTS, report_body_html, seed_text
from storage.ingest import IncomingDocument, Ingestor
from storage.ingest_queue import IngestQueue, outcomes_of_run, pending_count
from storage.db import Database
from storage.models import Agency, CrawlError, RawDocument, Report, ReportCell
from storage.rawstore import RawStore
from tests import pgserver
from tests.conftest import break_parser_on, run_cli
from tests.portal_sim import Simulator
from tests.portal_sim.harness import crawl, query, with_crawler_settings, write_settings


def _page(key: str, agency: str | None = None) -> bytes:
    name = agency or SEED_SUBJECTS[key][0]
    body = report_body_html(seed_text(key)).replace(SEED_SUBJECTS[key][0], name)
    return f"<html><head><meta charset='utf-8'><title>{name}年度报告</title></head><body>{body}</body></html>".encode()


# Copies are filed under other bodies' names: real names carry no digits ("…管理局1" is no agency).
_NUMERALS = "〇一二三四五六七八九十"


def _docs(copies: int = 1, *, defer: bool, run_id: int | None = None) -> list[IncomingDocument]:
    """Every seed report, ``copies`` times under different agencies and URLs."""
    return [
        IncomingDocument(
            url=f"http://t.example/{n}/{key}.html", body=_page(key, f"{SEED_SUBJECTS[key][0]}第{_NUMERALS[n]}分局" if n else None),
            site_id=None, media_type="text/html", hints={"title": f"{key}年报", "list_date": "2024-01-15"},
            defer=defer, crawl_run_id=run_id,
        )
        for n in range(copies)
        for key in SEED_SUBJECTS
    ]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nb.db'}"
        return
    if not pgserver.available():
        pytest.fail("PostgreSQL server binaries missing: run scripts/install-system-deps")
    with pgserver.postgres_server() as url:
        yield url


def _reports(db: Database) -> list[tuple]:
    """Every report with every cell, as a user would compare them."""
    with db.session() as s:
        rows = s.execute(
            select(Agency.name, Report.report_year, Report.format, Report.published_on, Report.parse_status, Report.source_url, Report.id)
            .join(Agency, Agency.id == Report.agency_id)
            .order_by(Report.source_url)
        ).all()
        out = []
        for *fields, report_id in rows:
            cells = s.execute(
                select(ReportCell.section, ReportCell.row_key, ReportCell.col_key, ReportCell.value, ReportCell.raw)
                .where(ReportCell.report_id == report_id)
                .order_by(ReportCell.section, ReportCell.row_key, ReportCell.col_key)
            ).all()
            out.append((*fields, [tuple(c) for c in cells]))
    return out


def test_kept_documents_are_filed_exactly_as_if_parsed_at_once(database_url: str, tmp_path: Path) -> None:
    at_once = Ingestor(Database(f"sqlite:///{tmp_path / 'at-once.db'}"), RawStore(tmp_path / "raw-a"))
    assert [r.outcome for r in at_once.ingest_many(_docs(defer=False))] == ["new"] * len(SEED_SUBJECTS)

    db = Database(database_url)
    kept = Ingestor(db, RawStore(tmp_path / "raw-b")).ingest_many(_docs(defer=True))
    assert [r.outcome for r in kept] == ["pending"] * len(SEED_SUBJECTS)
    assert _reports(db) == [] and pending_count(db) == len(SEED_SUBJECTS)

    filed = IngestQueue(db, RawStore(tmp_path / "raw-b"), batch=2).drain()
    assert filed == Counter({"new": len(SEED_SUBJECTS)})
    assert pending_count(db) == 0
    assert _reports(db) == _reports(at_once.db)
    assert all(len(cells) > 50 for *_, cells in _reports(db))
    with db.session() as s:
        assert set(s.scalars(select(RawDocument.ingest_outcome))) == {"new"}

    # The same bytes kept again (a crawl that fetched them again): filed as unchanged, nothing doubled.
    Ingestor(db, RawStore(tmp_path / "raw-b")).ingest_many(_docs(defer=True))
    assert IngestQueue(db, RawStore(tmp_path / "raw-b")).drain() == Counter({"unchanged": len(SEED_SUBJECTS)})
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == len(SEED_SUBJECTS)


def test_consumers_sharing_the_queue_file_each_document_once(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    store = RawStore(tmp_path / "raw")
    docs = _docs(4, defer=True)
    Ingestor(db, store).ingest_many(docs)
    consumers = [IngestQueue(Database(database_url, migrate=False), store, batch=3) for _ in range(3)]
    totals: list[Counter[str]] = []
    threads = [threading.Thread(target=lambda q=q: totals.append(q.drain())) for q in consumers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sum(totals, Counter()) == Counter({"new": len(docs)})  # none filed twice (that would be "unchanged")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == len(docs)
    assert pending_count(db) == 0


def test_a_claim_of_a_consumer_that_died_is_taken_over_only_once_stale(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    store = RawStore(tmp_path / "raw")
    Ingestor(db, store).ingest_many(_docs(defer=True))
    dead = IngestQueue(db, store, batch=100)
    assert len(dead.claim()) == len(SEED_SUBJECTS)  # ...and it never files them

    patient = IngestQueue(db, store, stale_after=timedelta(minutes=10))
    assert patient.drain() == Counter()  # claimed a moment ago: not ours to take
    assert pending_count(db) == len(SEED_SUBJECTS)
    taker = IngestQueue(db, store, stale_after=timedelta(0))
    assert taker.drain() == Counter({"new": len(SEED_SUBJECTS)})
    assert pending_count(db) == 0


def test_a_document_that_cannot_be_read_or_parsed_leaves_the_queue_with_its_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    store = RawStore(tmp_path / "raw")
    docs = _docs(defer=True)
    kept = Ingestor(db, store).ingest_many(docs)
    store.path_for(kept[0].sha256).unlink()  # the raw store lost one file
    break_parser_on(monkeypatch, docs[1].url)
    outcomes = IngestQueue(db, store).drain()
    assert outcomes == Counter({"failed": 2, "new": len(docs) - 2})
    assert pending_count(db) == 0  # nothing retried for ever
    with db.session() as s:
        errors = sorted(s.execute(select(CrawlError.url, CrawlError.kind)).all())
        assert errors == sorted([(docs[0].url, "storage"), (docs[1].url, "parse")])
        assert s.scalar(select(func.count()).select_from(RawDocument)) == len(docs)  # every document kept


def test_outcomes_of_a_run_count_what_its_documents_became(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    store = RawStore(tmp_path / "raw")
    Ingestor(db, store).ingest_many(_docs(defer=True, run_id=7))
    assert outcomes_of_run(db, 7) == {"-": Counter({"pending": len(SEED_SUBJECTS)})}
    IngestQueue(db, store, batch=2).run_once()
    assert outcomes_of_run(db, 7) == {"-": Counter({"pending": len(SEED_SUBJECTS) - 2, "new": 2})}


def test_check_and_ingest_file_what_a_killed_crawl_left_waiting(project) -> None:  # type: ignore[no-untyped-def]
    config = project()
    folder = config.parent
    db = Database(f"sqlite:///{folder / 'data' / 'nianbao.db'}")
    Ingestor(db, RawStore(folder / "data" / "raw")).ingest_many(_docs(defer=True)[:2])

    ingest = run_cli("ingest", config=config)
    assert ingest.returncode == 0, ingest.stderr
    assert "documents waiting to be parsed: 2" in ingest.stdout and "new 2" in ingest.stdout

    Ingestor(db, RawStore(folder / "data" / "raw")).ingest_many(_docs(defer=True)[2:])
    check = run_cli("check", "--as-of", "2025-06-30", config=config)
    assert check.returncode == 0, check.stderr
    assert f"parsed first: {len(SEED_SUBJECTS) - 2} fetched document(s)" in check.stdout
    assert f"{len(SEED_SUBJECTS)} report(s) checked" in check.stdout


def test_a_crawl_that_parses_inline_and_one_that_defers_store_the_same(tmp_path: Path) -> None:
    sim = Simulator().start()
    try:
        results = {}
        for workers in (0, 1):
            (tmp_path / f"w{workers}").mkdir()
            config = write_settings(tmp_path / f"w{workers}", sim.sites())
            summary = crawl(with_crawler_settings(config, {"ingest_workers": workers}))
            assert summary["status"] == "finished" and summary["pending"] == 0, summary["_log"][-3000:]
            reports = query(
                config,
                "SELECT a.name, r.report_year, r.format, r.published_on, r.source_url, count(c.id) FROM reports r"
                " JOIN agencies a ON a.id = r.agency_id LEFT JOIN report_cells c ON c.report_id = r.id"
                " GROUP BY r.id ORDER BY r.source_url",
            )
            outcomes = {k: summary[k] for k in ("new", "changed", "unchanged", "not_report", "link_pages", "failed")}
            results[workers] = (reports, outcomes, sorted(query(config, "SELECT url FROM raw_documents")))
            assert query(config, "SELECT count(*) FROM raw_documents WHERE ingest_pending") == [(0,)]
        assert results[1] == results[0]
        assert results[1][1]["new"] == len(sim.expected_reports())
    finally:
        sim.stop()


def test_a_crawl_summary_with_documents_left_to_parse_says_what_files_them(capsys: pytest.CaptureFixture[str]) -> None:
    from nianbao.commands.crawl import print_crawl_summary

    print_crawl_summary({"run_id": 3, "sites": ["trs"], "pending": 4, "finish_reason": "shutdown", "jobdir": "jobs/x"})
    out = capsys.readouterr().out
    assert "not parsed yet: 4 document(s)" in out and "`nianbao ingest` files them" in out
    print_crawl_summary({"run_id": 4, "sites": ["trs"], "pending": 0, "new": 2, "finish_reason": "finished"})
    assert "not parsed yet" not in capsys.readouterr().out
