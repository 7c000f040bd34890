"""Findings across runs: new → open → resolved → reopened, acknowledgement kept, scoping."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from monitor.check import run_check
from monitor.lifecycle import acknowledge, finding_to_dict
from core import keys
from storage.models import Finding
from tests.monitor_factory import (
    add_agency,
    add_report,
    add_site,
    make_db,
    make_settings,
)

BAD = {(keys.REQUESTS, "results_total", "total"): 13}


def all_findings(db):
    with db.session() as s:
        return [
            finding_to_dict(f) for f in s.scalars(select(Finding).order_by(Finding.id))
        ]


def test_lifecycle_with_corrected_report_and_ack(tmp_path, database_url):
    db = make_db(tmp_path, database_url)
    settings = make_settings(tmp_path, database=database_url, monitor={"first_year": 2024})
    site = add_site(db)
    a = add_agency(db, site, "西湖区教育局")
    add_report(db, a, 2024, cells=BAD)

    s1 = run_check(db, settings, date(2025, 3, 1))
    [f] = [f for f in all_findings(db) if f["rule"] == "R1"]
    assert f["status"] == "new" and s1["new"] >= 1
    acknowledge(db, f["id"], "已电话核实，系排版错误")

    s2 = run_check(db, settings, date(2025, 3, 8))
    [g] = [x for x in all_findings(db) if x["id"] == f["id"]]
    assert (
        g["status"] == "open"
        and g["acknowledged"]
        and g["first_seen"] == f["first_seen"]
    )
    assert s2["new"] == 0 and s2["open"] == s1["new"] and s2["resolved"] == 0

    add_report(db, a, 2024)  # corrected report supersedes the first
    s3 = run_check(db, settings, date(2025, 3, 15))
    [g] = [x for x in all_findings(db) if x["id"] == f["id"]]
    assert (
        g["status"] == "resolved"
        and g["resolved_at"]
        and g["ack_reason"] == "已电话核实，系排版错误"
    )
    assert s3["resolved"] >= 1

    add_report(db, a, 2024, cells=BAD)  # and a wrong one again
    s4 = run_check(db, settings, date(2025, 3, 22))
    [g] = [x for x in all_findings(db) if x["id"] == f["id"]]
    assert g["status"] == "reopened" and g["acknowledged"] and g["resolved_at"] is None
    assert s4["reopened"] >= 1

    run_check(db, settings, date(2025, 3, 29))
    [g] = [x for x in all_findings(db) if x["id"] == f["id"]]
    assert g["status"] == "open"


def test_check_is_idempotent(tmp_path, database_url):
    db = make_db(tmp_path, database_url)
    settings = make_settings(tmp_path, database=database_url, monitor={"first_year": 2022})
    site = add_site(db)
    a = add_agency(db, site, "西湖区教育局")
    add_report(db, a, 2023, cells=BAD, published_on=date(2024, 3, 1))
    run_check(db, settings, date(2025, 6, 30))
    run_check(db, settings, date(2025, 6, 30))
    before = {f["fingerprint"]: f for f in all_findings(db)}
    summary = run_check(db, settings, date(2025, 6, 30))
    assert (
        summary["changed"] == 0
        and summary["new"] == 0
        and summary["open"] == len(before)
    )
    after = {f["fingerprint"]: f for f in all_findings(db)}
    assert (
        before.keys() == after.keys() and len(after) >= 4
    )  # R1, R3, late 2023, missing 2022 and 2024
    for fp, f in after.items():
        b = before[fp]
        assert {k: v for k, v in f.items() if k != "last_seen"} == {
            k: v for k, v in b.items() if k != "last_seen"
        }
        assert f["status"] == "open"


def test_missing_year_resolved_when_report_appears(tmp_path, database_url):
    db = make_db(tmp_path, database_url)
    settings = make_settings(tmp_path, database=database_url, monitor={"first_year": 2024})
    site = add_site(db)
    a = add_agency(db, site, "西湖区教育局")
    run_check(db, settings, date(2025, 2, 10))
    [m] = all_findings(db)
    assert m["kind"] == "missing_year" and m["status"] == "new"
    add_report(db, a, 2024, published_on=date(2025, 2, 12))
    run_check(db, settings, date(2025, 2, 20))
    by_kind = {f["kind"]: f for f in all_findings(db)}
    assert by_kind["missing_year"]["status"] == "resolved"
    assert by_kind["late"]["status"] == "new"


def test_scope_only_resolves_its_sites(tmp_path, database_url):
    db = make_db(tmp_path, database_url)
    settings = make_settings(tmp_path, database=database_url, monitor={"first_year": 2024})
    s1 = add_site(db, "xihu", "西湖区人民政府", "浙江省杭州市西湖区")
    s2 = add_site(db, "binjiang", "滨江区人民政府", "浙江省杭州市滨江区")
    add_agency(db, s1, "西湖区教育局")
    add_agency(db, s2, "滨江区教育局")
    run_check(db, settings, date(2025, 6, 30))
    assert {f["site"] for f in all_findings(db)} == {"xihu", "binjiang"}
    summary = run_check(db, settings, date(2025, 6, 30), site_ids=["xihu"])
    assert summary["resolved"] == 0
    assert all(f["status"] != "resolved" for f in all_findings(db))
    statuses = {f["site"]: f["status"] for f in all_findings(db)}
    assert statuses == {"xihu": "open", "binjiang": "new"}


def test_acknowledge_unknown_id(tmp_path, database_url):
    db = make_db(tmp_path, database_url)
    with pytest.raises(LookupError):
        acknowledge(db, 999, "x")


def test_finding_to_dict_keys(tmp_path, database_url):
    db = make_db(tmp_path, database_url)
    settings = make_settings(tmp_path, database=database_url, monitor={"first_year": 2024})
    site = add_site(db)
    add_report(db, add_agency(db, site, "西湖区教育局"), 2024, cells=BAD)
    run_check(db, settings, date(2025, 6, 30))
    f = next(f for f in all_findings(db) if f["rule"] == "R1")
    for k in (
        "id",
        "kind",
        "rule",
        "severity",
        "status",
        "site",
        "agency",
        "report_year",
        "detail",
        "cells",
        "evidence",
        "first_seen",
        "last_seen",
        "acknowledged",
        "source_url",
    ):
        assert k in f
    assert f["stored_copy"].startswith("data/raw/") and f["cells"][0].keys() >= {
        "section",
        "row",
        "column",
        "label",
        "value",
        "raw",
    }
