"""``report_facts``: the schema matches the models, and each row stays consistent with the
report's stored cells and text after ingest, reparse and check, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, update

from monitor.facts import FACTS_VERSION, refresh_facts
from monitor.rules.balance import _r7
from nianbao import keys
from nianbao.ingest import Ingestor
from storage.cell_grid import GRID_CELLS, GRID_COLUMNS
from storage.db import Database
from storage.models import Base, Report, ReportCell, report_facts
from storage.rawstore import RawStore
from tests import pgserver

SEEDS = Path(__file__).with_name("data") / "seeds"


def _databases():
    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL binaries not installed"),
    )


@pytest.fixture(params=list(_databases()))
def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'nb.db'}")
        yield database
        database.dispose()
        return
    with pgserver.postgres_server() as url:
        database = Database(url)
        yield database
        database.dispose()


def _facts(db: Database) -> dict[int, dict]:
    with db.session() as s:
        return {row.report_id: dict(row._mapping) for row in s.execute(select(report_facts))}


def _rederived(db: Database) -> dict[int, dict]:
    """What refresh_facts derives from the stored cells and text, read back the same way."""
    with db.session() as s:
        ids = list(s.scalars(select(Report.id)))
        refresh_facts(s, ids)
    return _facts(db)


def _import_seeds(db: Database, store: RawStore, count: int = 3) -> list[int]:
    ingestor = Ingestor(db, store)
    ids = []
    for path in sorted(SEEDS.glob("*.txt"))[:count]:
        result = ingestor.ingest(url=f"https://example.gov.cn/{path.name}", body=path.read_bytes(),
                                 site_id=None, media_type="text/plain", origin="import")
        assert result.report_id is not None, result.message
        ids.append(result.report_id)
    return ids


def test_migrated_schema_matches_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], "models and migrations differ: add a migration"


def test_grid_covers_every_official_cell_once():
    for fmt in (keys.FORMAT_2021, keys.FORMAT_2019):
        assert set(keys.expected_cells(fmt)) <= set(GRID_CELLS)
    assert len(set(GRID_COLUMNS.values())) == len(GRID_CELLS)


def test_ingest_writes_facts_consistent_with_cells(db, tmp_path):
    ids = _import_seeds(db, RawStore(tmp_path / "raw"))
    stored = _facts(db)
    assert sorted(stored) == sorted(ids)
    with db.session() as s:
        for rid in ids:
            row = stored[rid]
            cells = s.execute(select(ReportCell.section, ReportCell.row_key, ReportCell.col_key, ReportCell.value)
                              .where(ReportCell.report_id == rid)).all()
            assert row["cells_requests"] == sum(1 for c in cells if c[0] == keys.REQUESTS) > 0
            assert row["version"] == FACTS_VERSION
            for section, row_key, col, value in cells:
                name = GRID_COLUMNS.get((section, row_key, col))
                if name is not None:
                    assert row[name] == value, (section, row_key, col)
            assert row["text_sketch"] is not None
    # The row ingest wrote from the parsed cells is the row derived from the stored ones.
    assert _rederived(db) == stored


def test_reparse_rewrites_facts_and_check_refreshes_stale_rows(db, tmp_path):
    from monitor.check import run_check
    from nianbao.settings import settings_from_dict

    store = RawStore(tmp_path / "raw")
    [rid] = _import_seeds(db, store, 1)
    name = GRID_COLUMNS[(keys.REQUESTS, "new", "total")]
    original = _facts(db)[rid][name]
    # What an older parser might have stored: another total, and facts rows of its own time.
    with db.session() as s:
        s.execute(update(ReportCell).where(ReportCell.report_id == rid, ReportCell.section == keys.REQUESTS,
                                           ReportCell.row_key == "new", ReportCell.col_key == "total")
                  .values(value=Decimal(999)))
        s.execute(update(report_facts).values(**{name: Decimal(999)}))
    from storage.models import RawDocument

    with db.session() as s:
        raw = s.scalars(select(RawDocument)).one()
    Ingestor(db, store).reparse(raw)
    assert _facts(db)[rid][name] == original == _rederived(db)[rid][name]

    settings = settings_from_dict({"database": db.url, "storage": str(tmp_path / "raw")}, base_dir=tmp_path)
    as_of = datetime(2025, 6, 30).date()
    assert run_check(db, settings, as_of)["facts_refreshed"] == 0
    # A report re-parsed by a path that did not write its row, and a row of an older derivation.
    with db.session() as s:
        s.execute(update(Report).values(parsed_at=datetime(2030, 1, 1, tzinfo=UTC)))
    assert run_check(db, settings, as_of)["facts_refreshed"] == 1
    with db.session() as s:
        s.execute(update(report_facts).values(version=FACTS_VERSION - 1))
    assert run_check(db, settings, as_of)["facts_refreshed"] == 1
    with db.session() as s:
        s.execute(report_facts.delete())
    assert run_check(db, settings, as_of)["facts_refreshed"] == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(report_facts)) == 1


@pytest.mark.parametrize("col", ["natural_person", "amount_10k_yuan", "change"])
@pytest.mark.parametrize("value", ["3", "0", "-2", "1.5", "-0.5"])
def test_irregular_numbers_counted_as_r7_judges_them(col, value):
    """The facts counter that selects reports for R7 agrees with R7 itself, cell by cell."""
    v = Decimal(value)
    flagged = keys.irregular_number(col, v) is not None
    fires = _r7({(keys.REQUESTS, "new", col): (v, value)}, keys.REQUESTS, "new", col, keys.FORMAT_2021)
    assert flagged == (fires is not None)
