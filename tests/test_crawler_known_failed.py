"""``KnownDocuments.failed`` on a real database: which listed entries the next incremental crawl
asks for again, and that answering it for one list page costs the same whatever other sites'
crawl errors the database holds (it runs on every list page that holds a stored entry)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert

from crawler.known import KnownDocuments
from storage.db import Database
from storage.models import CrawlError, CrawlRun, ListSighting, RawDocument, Site

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
A = "http://a.example.gov.cn/nb/"
B = "http://b.example.gov.cn/nb/"
FOREIGN = 1000  # crawl errors of another site


def _page(url: str, site: str, at: datetime = T0) -> dict:
    return {"site_id": site, "url": url, "sha256": hashlib.sha256(url.encode()).hexdigest(), "media_type": "text/html", "size": 1,
            "headers": {}, "hints": {}, "fetched_at": at, "first_seen": at, "origin": "crawl"}  # fmt: skip


def _link(page: str, url: str, site: str, run_id: int) -> dict:
    return {"crawl_run_id": run_id, "site_id": site, "list_url": page, "url": url, "title": "", "seen_at": T0}


def _error(url: str, site: str, kind: str, detail: str, minutes: int = 0) -> dict:
    return {"site_id": site, "url": url, "kind": kind, "detail": detail, "at": T0 + timedelta(minutes=minutes)}


@pytest.fixture
def known(database_url: str) -> Iterator[KnownDocuments]:
    """Site ``a``: stored detail pages whose attached files failed in different ways, and
    unstored entries with and without errors."""
    db = Database(database_url)
    with db.session() as s:
        s.add_all([Site(id="a", name="甲县人民政府"), Site(id="b", name="乙县人民政府")])
        s.flush()
        run = CrawlRun(kind="crawl", started_at=T0, finished_at=T0, sites=["a"], stats={}, status="finished")
        s.add(run)
        s.flush()
        s.execute(insert(RawDocument), [_page(A + f"p{i}.html", "a") for i in range(1, 6)] + [_page(A + "f3.pdf", "a", T0 + timedelta(hours=1))])
        s.execute(insert(ListSighting), [_link(A + f"p{i}.html", A + f"f{i}.pdf", "a", run.id) for i in range(1, 6)])
        s.execute(
            insert(CrawlError),
            [
                _error(A + "f1.pdf", "a", "http", "HTTP 503"),  # may pass: p1 is asked again
                _error(A + "f2.pdf", "a", "gone", "HTTP 404"),  # gone: p2 is not
                _error(A + "f3.pdf", "a", "network", "timeout"),  # stored since: p3 is not
                _error(A + "f4.pdf", "a", "network", "timeout"),
                _error(A + "f4.pdf", "a", "http", "HTTP 404", minutes=5),  # the newest says gone: p4 is not
                _error(A + "f5.pdf", "a", "storage", "raw store refused the bytes"),  # may pass: p5 is asked again
                _error(A + "e1.html", "a", "http", "HTTP 502"),  # an unstored entry that may pass
                _error(A + "e2.html", "a", "gone", "HTTP 404"),  # an unstored entry gone
            ],
        )
    yield KnownDocuments(db)
    db.dispose()


LISTED = [A + f"p{i}.html" for i in range(1, 6)] + [A + "e1.html", A + "e2.html", A + "e3.html"]
DECIDED = {A + "p1.html", A + "p5.html", A + "e1.html"}


def _add_foreign_errors(known: KnownDocuments) -> None:
    """Site ``b``: 1,000 stored pages, each with an attached file whose fetch failed with a 503."""
    with known.db.session() as s:
        run = CrawlRun(kind="crawl", started_at=T0, finished_at=T0, sites=["b"], stats={}, status="finished")
        s.add(run)
        s.flush()
        s.execute(insert(RawDocument), [_page(B + f"p{i}.html", "b") for i in range(FOREIGN)])
        s.execute(insert(ListSighting), [_link(B + f"p{i}.html", B + f"f{i}.pdf", "b", run.id) for i in range(FOREIGN)])
        s.execute(insert(CrawlError), [_error(B + f"f{i}.pdf", "b", "http", "HTTP 503") for i in range(FOREIGN)])


class _Cost:
    """Statements a block sends and, on SQLite, the virtual-machine steps they take (rows read)."""

    def __init__(self, db: Database, *, plans: bool = False) -> None:
        self.db, self.statements, self.steps = db, 0, 0
        self.plans: list[str] | None = [] if plans else None  # SQLite's query plans, if asked

    def _count(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        self.statements += 1
        if self.plans is not None and statement.lstrip().upper().startswith("SELECT"):
            plan = conn.connection.dbapi_connection.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
            self.plans.append(" / ".join(row[-1] for row in plan))

    def _step(self) -> int:  # called by SQLite once per virtual-machine instruction
        self.steps += 1
        return 0

    def _checkout(self, dbapi_conn, record, proxy) -> None:  # type: ignore[no-untyped-def]
        if self.db.engine.dialect.name == "sqlite" and self.plans is None:
            dbapi_conn.set_progress_handler(self._step, 1)

    def __enter__(self) -> _Cost:
        self.db.engine.dispose()  # fresh connections, each counted from checkout on
        event.listen(self.db.engine, "before_cursor_execute", self._count)
        event.listen(self.db.engine, "checkout", self._checkout)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.db.engine, "before_cursor_execute", self._count)
        event.remove(self.db.engine, "checkout", self._checkout)
        self.db.engine.dispose()


def test_failed_asks_again_for_what_may_pass_and_only_that(known: KnownDocuments) -> None:
    assert known.failed(LISTED) == DECIDED
    assert known.failed([A + "p2.html", A + "p3.html", A + "e3.html"]) == set()


def test_other_sites_errors_change_neither_the_answer_nor_its_cost(known: KnownDocuments) -> None:
    with _Cost(known.db) as before:
        assert known.failed(LISTED) == DECIDED
    _add_foreign_errors(known)
    with _Cost(known.db) as after:
        assert known.failed(LISTED) == DECIDED
    assert after.statements == before.statements
    # SQLite: about the same rows read (a deeper B-tree costs a few steps; a scan of the other
    # site's rows costs tens of thousands). PostgreSQL: not counted, 0 == 0.
    assert after.steps <= before.steps * 1.05
    # The other site's pages and files are still decided as before.
    assert known.failed([B + "p7.html", B + "f8.pdf"]) == {B + "p7.html", B + "f8.pdf"}


def test_the_look_ups_are_served_by_indexes(tmp_path) -> None:
    """No statement of ``failed`` scans crawl_errors, list_sightings or raw_documents (SQLite's
    plan, without ANALYZE statistics: a table of a few rows would rightly be scanned)."""
    db = Database(f"sqlite:///{tmp_path / 'nianbao.db'}")
    try:
        known = KnownDocuments(db)
        with db.session() as s:
            s.add(Site(id="a", name="甲县人民政府"))
            s.flush()
            s.execute(insert(RawDocument), [_page(A + "p1.html", "a")])
        with _Cost(db, plans=True) as cost:
            known.failed([A + "p1.html", A + "e1.html"])
        assert cost.plans
        scans = [p for p in cost.plans if any(f"SCAN {t}" in p for t in ("crawl_errors", "list_sightings", "raw_documents"))]
        assert scans == [], cost.plans
    finally:
        db.dispose()
