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
from core import keys
from storage.ingest import Ingestor
from storage.cell_grid import GRID_CELLS, GRID_COLUMNS
from storage.db import Database
from storage.models import Base, Finding, Report, ReportCell, report_facts
from storage.rawstore import RawStore

SEEDS = Path(__file__).with_name("data") / "seeds"


@pytest.fixture
def db(database_url: str):  # type: ignore[no-untyped-def]
    database = Database(database_url)
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
    from core.settings import settings_from_dict

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


def _form_and_text_reports(tmp_path: Path) -> tuple[Database, dict[str, int]]:
    """One report of each kind the form and text-vs-table rules judge, and usual ones beside."""
    from tests.monitor_factory import add_agency, add_report, add_site, make_db

    db = make_db(tmp_path)
    site = add_site(db)
    new = (keys.REQUESTS, "new", "total")

    def report(name: str, **kw) -> int:
        return add_report(db, add_agency(db, site, name), kw.pop("year", 2024), **kw)

    ids = {
        "usual": report("甲局"),
        "usual_2019_format_2020": report("乙局", year=2020, fmt=keys.FORMAT_2019),
        "agreeing_prose": report("丙局", sections_text={"一": "本年新收政府信息公开申请5件。"}, cells={new: 5}),
        "outdated": report("丁局", fmt=keys.FORMAT_2019),
        "image_only": report("戊局", parse_status="image_only", no_cells=True),
        "malformed": report("己局", parse_status="malformed", problems=[{"section": "requests", "reason": "列数不符"}]),
        "missing_section": report("庚局", sections_present=["一", "二", "三", "四", "五"]),
        "blank_appeals": report("辛局", all_blank=(keys.APPEALS,)),
        "count_mismatch": report("壬局", sections_text={"一": "本年新收政府信息公开申请9件。"}, cells={new: 5}),
        "no_requests": report("癸局", sections_text={"一": "本年度未收到政府信息公开申请。"}, cells={new: 2}),
        "no_requests_and_none": report("子局", sections_text={"一": "本年度未收到政府信息公开申请。"}, cells={new: 0}),
    }
    return db, ids


FORM_KINDS = {"blank_table", "missing_section", "outdated_format", "malformed_table", "image_only"}


def test_review_flags_are_exactly_the_reports_form_and_text_rules_fire_on(tmp_path):
    from monitor.check import run_check
    from tests.monitor_factory import make_settings

    db, ids = _form_and_text_reports(tmp_path)
    settings = make_settings(tmp_path)
    summary = run_check(db, settings, datetime(2025, 6, 30).date())
    assert summary["facts_refreshed"] == len(ids)
    with db.session() as s:
        found = s.execute(select(Finding.kind, Finding.report_id)).all()
        flags = {r.report_id: (r.form_review, r.text_review) for r in s.execute(
            select(report_facts.c.report_id, report_facts.c.form_review, report_facts.c.text_review))}
    form_hit = {rid for kind, rid in found if kind in FORM_KINDS}
    text_hit = {rid for kind, rid in found if kind == "text_table"}
    assert form_hit == {ids[k] for k in ("outdated", "image_only", "malformed", "missing_section", "blank_appeals")}
    assert text_hit == {ids["count_mismatch"], ids["no_requests"]}
    assert {rid for rid, (f, _) in flags.items() if f} == form_hit
    assert {rid for rid, (_, t) in flags.items() if t} == text_hit


def test_rows_flagged_by_default_give_the_same_findings(tmp_path):
    """Migration 0004 sets both flags true on existing rows: every report is read whole, as
    before, and nothing changes but the time it takes."""
    from monitor.check import run_check
    from tests.monitor_factory import make_settings

    db, _ = _form_and_text_reports(tmp_path)
    settings = make_settings(tmp_path)
    as_of = datetime(2025, 6, 30).date()
    run_check(db, settings, as_of)

    def fingerprints() -> list[tuple[str, str, str]]:
        with db.session() as s:
            return sorted(tuple(r) for r in s.execute(select(Finding.fingerprint, Finding.status, Finding.detail)))

    before = fingerprints()
    flags = _flags(db)
    with db.session() as s:
        s.execute(update(report_facts).values(form_review=True, text_review=True))
    again = run_check(db, settings, as_of)
    assert again["facts_refreshed"] == 0 and again["new"] == again["resolved"] == 0
    assert [(f, d) for f, _, d in fingerprints()] == [(f, d) for f, _, d in before]
    # A database upgraded from version-1 rows: the flags are derived in place, cells unread.
    with db.session() as s:
        s.execute(update(report_facts).values(version=1))
        s.execute(update(ReportCell).values(value=Decimal(777)))  # would show if they were read
    upgraded = run_check(db, settings, as_of)
    assert upgraded["facts_refreshed"] == len(flags)
    assert _flags(db) == flags


def _flags(db: Database) -> dict[int, tuple[int, bool, bool]]:
    name = GRID_COLUMNS[(keys.REQUESTS, "new", "total")]
    with db.session() as s:
        f = report_facts.c
        return {r[0]: tuple(r[1:]) for r in s.execute(select(f.report_id, f.version, f.form_review, f.text_review, f[name]))}
