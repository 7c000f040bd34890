"""The same checks on PostgreSQL: the SQL is portable (no SQLite-only functions)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from monitor.check import run_check
from monitor.digest import build_digests
from monitor.lifecycle import finding_to_dict
from core import keys
from storage.db import Database
from storage.models import Finding
from tests import pgserver
from tests.monitor_factory import (
    add_agency,
    add_crawl,
    add_report,
    add_site,
    china,
    make_settings,
)

pytestmark = pytest.mark.skipif(
    not pgserver.available(), reason="PostgreSQL binaries not installed"
)


def test_all_rules_on_postgresql(tmp_path, pg_url):
    url = pg_url  # a database of the session's PostgreSQL server (tests/conftest.py)
    db = Database(url)
    settings = make_settings(
        tmp_path,
        database=url,
        monitor={"first_year": 2023},
        recipients=[{"email": "a@example.org"}],
    )
    site = add_site(db)
    a = add_agency(db, site, "西湖区教育局")
    add_report(db, a, 2023)
    add_report(
        db,
        a,
        2024,
        published_on=date(2025, 2, 6),
        cells={
            (keys.REQUESTS, "results_total", "total"): 13,
            (keys.REQUESTS, "carried_in", "research"): 2,
            (keys.REQUESTS, "new", "research"): 1,
            (keys.APPEALS, "review", "pending"): 1,
            (keys.ACTIVE, "licensing", "decisions"): -1,
            (keys.ACTIVE, "penalty", "decisions"): "2.5",
        },
        sections_text={"一": "本年新收政府信息公开申请99件。"},
    )
    b = add_agency(db, site, "西湖区民政局")
    url_b = "https://xihu.gov.cn/art/b.html"
    add_report(
        db,
        b,
        2024,
        fmt=keys.FORMAT_2019,
        url=url_b,
        published_on=date(2025, 1, 10),
        all_blank=(keys.APPEALS,),
    )
    add_crawl(
        db,
        site,
        china(date(2025, 1, 12)),
        "https://xihu.gov.cn/col/nb/",
        ["https://xihu.gov.cn/art/x.html"],
    )
    add_crawl(
        db, site, china(date(2025, 1, 20)), "https://xihu.gov.cn/col/nb/", [url_b]
    )
    add_agency(db, site, "西湖区卫健委")
    summary = run_check(db, settings, date(2025, 6, 30))
    again = run_check(db, settings, date(2025, 6, 30))
    assert (
        again["changed"] == 0 and again["new"] == 0 and again["resolved"] == 0
    )  # JSON compared as stored text
    with db.session() as s:
        found = [finding_to_dict(f) for f in s.scalars(select(Finding))]
    rules = {f["rule"] for f in found}
    assert {
        "R1",
        "R2",
        "R3",
        "R4",
        "R7",
        "X1",
        "late",
        "missing_year",
        "backdated",
        "outdated_format",
        "blank_table",
        "T2",
    } <= rules
    assert all(f["status"] == "open" for f in found) and summary["new"] == len(
        found
    )
    assert build_digests(db, settings, date(2025, 6, 30))[0].counts["open"] == len(
        found
    )
    db.dispose()
