"""One body is one agency whatever form its name takes, and its level sets its deadline.

Reports go in through `nianbao import` as a user files them (--site, --agency, --year,
--published), and the findings a compliance officer reads are checked.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from core.agencies import agency_key, agency_level
from core.settings import SettingsError, settings_from_dict
from storage.db import MIGRATIONS, Database
from storage.sites import sync_sites
from tests import pgserver
from tests.conftest import SEEDS, run_cli

PINGLUO = {
    "id": "pingluo",
    "name": "平罗县人民政府",
    "region": "宁夏回族自治区/石嘴山市/平罗县",
    "start_urls": ["http://127.0.0.1:9/pingluo/"],
}
XIXIA = {
    "id": "xixia",
    "name": "银川市西夏区人民政府",
    "region": "宁夏回族自治区/银川市/西夏区",
    "level": "district",
    "start_urls": ["http://127.0.0.1:9/xixia/"],
}
# A zone whose 管委会 is the government of its portal (a made-up zone: no real portal is named).
ZONE = {
    "id": "zone",
    "name": "河东综合实验区管理委员会",
    "region": "甘肃省/河东综合实验区",
    "level": "county",
    "start_urls": ["http://127.0.0.1:9/zone/"],
}
SEED_2020 = next(SEEDS.glob("004_*.txt"))  # 银川市西夏区审批服务管理局, 2020, 〔2019〕60号 format
SEED_2024 = next(SEEDS.glob("002_*.txt"))  # 平罗县审批服务管理局, 2024, 〔2021〕30号 format
SEED_2021 = next(SEEDS.glob("001_*.txt"))  # 平罗县机关事务服务中心, 2021


def _import(cfg: Path, seed: Path, site: str, agency: str, year: int, published: str) -> None:
    out = run_cli(
        "import", str(seed), "--site", site, "--agency", agency, "--year", str(year), "--published", published,
        "--url", f"http://127.0.0.1:9/{site}/{year}/{seed.stem}.html", config=cfg,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def _findings(cfg: Path, as_of: str, status: str = "open") -> list[dict]:
    checked = run_cli("check", "--as-of", as_of, config=cfg)
    assert checked.returncode == 0, checked.stderr
    return json.loads(run_cli("findings", "--format", "json", "--status", status, config=cfg).stdout)


def _reports(cfg: Path) -> list[dict]:
    return json.loads(run_cli("reports", "--format", "json", config=cfg).stdout)


# The key ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "region"),
    [
        ("某市某区人民政府", "某区人民政府", "浙江省/某市/某区"),
        ("县政府办", "平罗县人民政府办公室", PINGLUO["region"]),
        ("平罗县政府办公室", "平罗县人民政府办公室", PINGLUO["region"]),
        ("宁夏回族自治区石嘴山市平罗县人民政府", "平罗县人民政府", PINGLUO["region"]),
        ("宁夏平罗县人民政府", "平罗县 人民政府", PINGLUO["region"]),
        ("平羅縣審批服務管理局", "平罗县审批服务管理局", PINGLUO["region"]),
        ("平罗县人社局", "平罗县人力资源和社会保障局", PINGLUO["region"]),
        ("平罗县人力资源社会保障局", "人力资源和社会保障局", PINGLUO["region"]),
        ("平罗县发展（和）改革局", "平罗县发展(和)改革局", PINGLUO["region"]),
        ("杭州市西湖区教育局", "西湖区教育局", "浙江省杭州市西湖区"),
        ("城关镇", "城关镇人民政府", PINGLUO["region"]),
        ("某某街道", "某某街道办事处", PINGLUO["region"]),
        ("河东综合实验区管委会", "甘肃省河东综合实验区管理委员会", ZONE["region"]),
        ("自治区教育厅", "宁夏回族自治区教育厅", "宁夏回族自治区"),
        ("宁夏教育厅", "教育厅", "宁夏回族自治区"),
        ("浙江西湖区教育局", "区教育局", "浙江省/杭州市/西湖区"),
    ],
)
def test_forms_of_one_name_share_a_key(a: str, b: str, region: str) -> None:
    assert agency_key(a, region) == agency_key(b, region)


@pytest.mark.parametrize(
    ("a", "b", "region"),
    [
        ("石嘴山市人民政府", "平罗县人民政府", PINGLUO["region"]),  # the city is not the county
        ("市教育局", "县教育局", PINGLUO["region"]),
        ("城关镇人民政府", "平罗县人民政府", PINGLUO["region"]),
        ("平罗县人民政府", "平罗县人民政府办公室", PINGLUO["region"]),
        ("平罗县文化旅游广电局", "平罗县文化和旅游局", PINGLUO["region"]),
        ("平罗县市场监督管理局", "平罗县监督管理局", PINGLUO["region"]),
        ("宁夏石嘴山市教育局", "平罗县教育局", PINGLUO["region"]),
        ("区域发展局", "发展局", "浙江省/杭州市/西湖区"),
    ],
)
def test_different_bodies_keep_different_keys(a: str, b: str, region: str) -> None:
    assert agency_key(a, region) != agency_key(b, region)


def test_level_from_name_and_site() -> None:
    pingluo, zone = PINGLUO["region"], ZONE["region"]
    assert agency_level("县政府办", region=pingluo) == "government"
    assert agency_level("平罗县教育体育局", region=pingluo) == "department"
    assert agency_level("城关镇人民政府", region=pingluo) == "township"
    assert agency_level("河东综合实验区管委会", region=zone, site_name=ZONE["name"]) == "government"
    assert agency_level("河东综合实验区教育局", region=zone, site_name=ZONE["name"]) == "department"
    # A zone's 管委会 on a county's portal is not that county's government.
    assert agency_level("平罗县某某开发区管委会", region=pingluo, site_name=PINGLUO["name"]) == "department"
    assert agency_level("某某地区行政公署", region="新疆维吾尔自治区/某某地区") == "government"
    assert agency_level("城关镇人民政府", "department", region=pingluo) == "department"


def test_settings_reject_aliases_that_name_two_bodies(tmp_path: Path) -> None:
    two = {**PINGLUO, "aliases": {"审批局": "平罗县审批服务管理局"}, "agencies": [{"name": "平罗县教育局", "aliases": ["审批局"]}]}
    with pytest.raises(SettingsError, match="审批局"):
        settings_from_dict({"sites": [two]}, base_dir=tmp_path)
    twice = {**PINGLUO, "agencies": [{"name": "县政府办"}, {"name": "平罗县人民政府办公室"}]}
    with pytest.raises(SettingsError, match="one agency"):
        settings_from_dict({"sites": [twice]}, base_dir=tmp_path)
    with pytest.raises(SettingsError, match="empty"):
        settings_from_dict({"sites": [{**PINGLUO, "aliases": {" ": "平罗县教育局"}}]}, base_dir=tmp_path)


# Through the import path ----------------------------------------------------------------------
def test_a_name_that_changes_form_between_years_is_one_agency(project) -> None:
    """2023 under the city-prefixed name, 2024 under the short one: one agency, no year missing,
    and X1 compares the two years."""
    site = {**XIXIA, "agencies": [{"name": "西夏区审批服务管理局", "first_year": 2023}]}
    cfg = project({"sites": [site], "monitor": {"first_year": 2023}})
    _import(cfg, SEED_2020, "xixia", "银川市西夏区审批服务管理局", 2023, "2024-01-20")
    _import(cfg, SEED_2024, "xixia", "西夏区审批服务管理局", 2024, "2025-01-20")
    reports = _reports(cfg)
    assert {(r["agency"], r["report_year"]) for r in reports} == {("西夏区审批服务管理局", 2023), ("西夏区审批服务管理局", 2024)}
    findings = _findings(cfg, "2025-06-30")
    assert not [f for f in findings if f["kind"] == "missing_year"], findings
    x1 = [f for f in findings if f["rule"] == "X1"]
    assert x1 and all(f["agency"] == "西夏区审批服务管理局" and f["report_year"] == 2024 for f in x1)
    assert all("2023 年度报告" in f["detail"] for f in x1)


def test_county_office_short_and_long_names_are_one_agency(project) -> None:
    cfg = project({"sites": [PINGLUO], "monitor": {"first_year": 2023}})
    _import(cfg, SEED_2021, "pingluo", "县政府办", 2023, "2024-03-20")
    _import(cfg, SEED_2024, "pingluo", "平罗县人民政府办公室", 2024, "2025-03-20")
    reports = _reports(cfg)
    assert [r["agency"] for r in reports] == ["县政府办", "县政府办"]
    assert {r["level"] for r in reports} == {"government"}
    findings = _findings(cfg, "2025-06-30")
    # Published in March: on time for the government's report (31 March), and no year missing.
    assert not [f for f in findings if f["kind"] in ("late", "missing_year")], findings


def test_alias_from_settings_joins_two_names_also_after_the_fact(project) -> None:
    """Filed under a local short name before the alias was known: adding the alias to settings
    merges the two rows, and the year reported missing under the official name is resolved."""
    site = {**PINGLUO, "agencies": [{"name": "平罗县审批服务管理局", "first_year": 2023}]}
    cfg = project({"sites": [site], "monitor": {"first_year": 2023}})
    _import(cfg, SEED_2021, "pingluo", "县审管局", 2023, "2024-01-20")
    _import(cfg, SEED_2024, "pingluo", "平罗县审批服务管理局", 2024, "2025-01-20")
    before = _findings(cfg, "2025-06-30")
    missing = [f for f in before if f["kind"] == "missing_year"]
    # Two names, two agencies: each reported missing the year the other published.
    assert sorted((f["agency"], f["report_year"]) for f in missing) == [("县审管局", 2024), ("平罗县审批服务管理局", 2023)]
    assert all("政府部门，截止日期" in f["detail"] for f in missing)

    site["agencies"][0]["aliases"] = ["县审管局"]
    cfg = project({"sites": [site], "monitor": {"first_year": 2023}})
    after = _findings(cfg, "2025-06-30", status="all")
    assert not [f for f in after if f["kind"] == "missing_year" and f["status"] != "resolved"], after
    assert {(r["agency"], r["report_year"]) for r in _reports(cfg)} == {("平罗县审批服务管理局", 2023), ("平罗县审批服务管理局", 2024)}
    assert [f["rule"] for f in after if f["rule"] == "X1"]  # the two years now compared
    # A later import under the alias files under the official agency at once.
    _import(cfg, SEED_2020, "pingluo", "县审管局", 2022, "2023-01-20")
    assert {r["agency"] for r in _reports(cfg)} == {"平罗县审批服务管理局"}


def test_level_sets_the_deadline_and_the_finding_shows_it(project) -> None:
    """Published 1 March 2024 for 2023: on time for the zone's 管委会 (its government: 31 March),
    late for its department (31 January) unless settings declare it a government."""
    site = {**ZONE, "agencies": [{"name": "河东综合实验区管理委员会"}, {"name": "河东综合实验区卫生健康委员会", "level": "government"}]}
    cfg = project({"sites": [site], "monitor": {"first_year": 2023}, "recipients": [{"email": "officer@example.org"}]})
    _import(cfg, SEED_2024, "zone", "河东综合实验区管委会", 2023, "2024-03-01")
    _import(cfg, SEED_2021, "zone", "河东综合实验区教育局", 2023, "2024-03-01")
    _import(cfg, SEED_2020, "zone", "河东综合实验区卫健委", 2023, "2024-03-01")
    levels = {r["agency"]: r["level"] for r in _reports(cfg)}
    assert levels == {
        "河东综合实验区管理委员会": "government",
        "河东综合实验区教育局": "department",
        "河东综合实验区卫生健康委员会": "government",  # declared in settings: wins over the name
    }
    findings = _findings(cfg, "2024-06-30")
    late = [f for f in findings if f["kind"] == "late"]
    assert [f["agency"] for f in late] == ["河东综合实验区教育局"]
    assert "晚于政府部门截止日期 2024-01-31" in late[0]["detail"]
    assert late[0]["evidence"]["deadline_level"] == "政府部门（截止1月31日）"
    # The government's 2024 report is not due yet; as of 2025-06-30 it is missing, as a government's.
    later = _findings(cfg, "2025-06-30")
    gov = [f for f in later if f["kind"] == "missing_year" and f["agency"] == "河东综合实验区管理委员会"]
    assert len(gov) == 1 and "本级政府，截止日期 2025-03-31" in gov[0]["detail"]
    assert gov[0]["evidence"]["deadline_level"] == "本级政府（截止3月31日）"
    digest = run_cli("digest", "--dry-run", "--as-of", "2025-06-30", config=cfg)
    assert digest.returncode == 0, digest.stderr
    assert "未发现河东综合实验区管理委员会2024年度政府信息公开工作年度报告（本级政府，截止日期 2025-03-31）" in digest.stdout


# Stored agencies, after the upgrade --------------------------------------------------------------
def _split_history(url: str) -> None:
    """A database at revision 0006 where one body was stored under two names, each with a report,
    and a finding that its year was missing under one of them."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.execute(sa.text("INSERT INTO sites (id, name, region, level, cms) VALUES ('pingluo', '平罗县人民政府', '宁夏回族自治区/石嘴山市/平罗县', 'county', 'auto')"))
        for agency_id, name in ((1, "平罗县政府办"), (2, "平罗县人民政府办公室")):
            conn.execute(sa.text("INSERT INTO agencies (id, site_id, name, level, expected) VALUES (:i, 'pingluo', :n, 'government', false)"), {"i": agency_id, "n": name})
            conn.execute(sa.text(
                "INSERT INTO raw_documents (id, site_id, url, sha256, media_type, size, headers, hints, fetched_at, first_seen, origin, ingest_pending)"
                " VALUES (:i, 'pingluo', :u, :s, 'text/plain', 1, '{}', '{}', '2025-01-01', '2025-01-01', 'import', false)"
            ), {"i": agency_id, "u": f"http://x/{agency_id}", "s": f"{agency_id:064d}"})  # fmt: skip
            conn.execute(sa.text(
                "INSERT INTO reports (id, site_id, agency_id, raw_document_id, report_year, source_url, dates, first_seen, parse_status,"
                " warnings, problems, sections_present, sections_text, superseded, parsed_at)"
                " VALUES (:i, 'pingluo', :i, :i, :y, :u, '{}', '2025-01-01', 'ok', '[]', '[]', '[]', '{}', false, '2025-01-01')"
            ), {"i": agency_id, "y": 2022 + agency_id, "u": f"http://x/{agency_id}"})  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO findings (fingerprint, kind, rule, severity, status, site_id, agency_id, report_year, detail, evidence, first_seen, last_seen, acknowledged)"
            " VALUES ('missing_year|missing_year|agency:2|2023|', 'missing_year', 'missing_year', 'error', 'open', 'pingluo', 2, 2023, '缺报', '{}', '2025-01-01', '2025-01-01', false)"
        ))  # fmt: skip
    engine.dispose()


def _merged(url: str, tmp_path: Path) -> None:
    _split_history(url)
    db = Database(url)  # upgrades to the newest revision
    settings = settings_from_dict({"database": url, "sites": [PINGLUO]}, base_dir=tmp_path)
    sync_sites(db, settings)
    sync_sites(db, settings)  # a second sync changes nothing
    with db.engine.connect() as conn:
        agencies = conn.execute(sa.text("SELECT id, name, name_key FROM agencies")).all()
        reports = conn.execute(sa.text("SELECT agency_id, report_year FROM reports ORDER BY report_year")).all()
        finding = conn.execute(sa.text("SELECT agency_id FROM findings")).scalar()
    db.dispose()
    assert [tuple(a) for a in agencies] == [(1, "平罗县政府办", "人民政府办公室")]
    assert [tuple(r) for r in reports] == [(1, 2023), (1, 2024)]
    assert finding == 1  # moved with its agency: the next check resolves it (its fingerprint is gone)


def test_stored_agencies_of_one_body_merge_after_upgrade_sqlite(tmp_path: Path) -> None:
    _merged(f"sqlite:///{tmp_path / 'old.db'}", tmp_path)
    with sqlite3.connect(tmp_path / "old.db") as con:
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL server binaries missing: run scripts/install-system-deps")
def test_stored_agencies_of_one_body_merge_after_upgrade_postgresql(tmp_path: Path) -> None:
    with pgserver.postgres_server() as url:
        _merged(url, tmp_path)


# Variants found by the recall audit (issue 10) -------------------------------------------------
COUNTY = "某省/某市/某县"
DISTRICT = "某省/某市/某区"
PREFECTURE = "新疆维吾尔自治区/某地区"


@pytest.mark.parametrize(
    ("a", "b", "region"),
    [
        ("某市某区人民政府办公室", "某区政府办", DISTRICT),
        ("某市某区人民政府办公室", "区政府办", DISTRICT),
        ("某县人民政府", "某县政府", COUNTY),
        ("某县人民政府办公室", "某县人民政府办", COUNTY),  # 办 for 办公室 after the full 人民政府
        ("某县人民政府办公室", "县府办", COUNTY),
        ("某地区行政公署", "某地区行署", PREFECTURE),  # 行署 is short for 行政公署
        ("某地区行政公署办公室", "某地区行署办公室", PREFECTURE),
        ("某县某镇人民政府", "某镇政府", COUNTY),
        ("某县某镇人民政府", "某镇", COUNTY),
        ("某市某区某街道办事处", "某街道办", DISTRICT),
        ("某縣衛生健康局", "某县卫生健康局", COUNTY),
        # 訪, 數, 專 were in the titles' table only: one table now (core.traditional).
        ("某縣信訪局", "某县信访局", COUNTY),
        ("某縣大數據中心", "某县大数据中心", COUNTY),
    ],
)
def test_more_forms_of_one_name_share_a_key(a: str, b: str, region: str) -> None:
    assert agency_key(a, region) == agency_key(b, region)


@pytest.mark.parametrize(
    ("name", "region", "site_name", "level"),
    [
        ("某市某区人民政府办公室", DISTRICT, "", "government"),
        ("某县政府", COUNTY, "", "government"),
        ("某县人民政府办", COUNTY, "", "government"),
        ("某地区行署", PREFECTURE, "", "government"),
        ("某盟行政公署", "内蒙古自治区/某盟", "", "government"),
        ("某经济技术开发区管理委员会", "某省/某市/某经济技术开发区", "某经济技术开发区管理委员会", "government"),
        ("某经济技术开发区管委会", "某省/某市/某经济技术开发区", "某经济技术开发区管委会", "government"),
        ("某新区管委会", "某省/某新区", "某新区", "government"),
        # A zone's committee on its city's portal is not that city's government.
        ("某经济技术开发区管理委员会", "某省/某市", "某市人民政府", "department"),
        # Townships: docs/report-format.md §1 gives them no national deadline; the default is 31 January.
        ("某县某镇人民政府", COUNTY, "", "township"),
        ("某县某镇人民政府办公室", COUNTY, "", "township"),
        ("某民族乡人民政府", COUNTY, "", "township"),
        ("某苏木", "内蒙古自治区/某盟/某旗", "", "township"),
    ],
)
def test_level_of_more_names(name: str, region: str, site_name: str, level: str) -> None:
    assert agency_level(name, region=region, site_name=site_name) == level


def test_a_township_is_due_on_31_january_and_a_prefecture_office_on_31_march() -> None:
    from monitor.deadlines import statutory_deadline

    assert statutory_deadline(2023, agency_level("某县某镇人民政府", region=COUNTY))[0].isoformat() == "2024-01-31"
    assert statutory_deadline(2023, agency_level("某地区行署办公室", region=PREFECTURE))[0].isoformat() == "2024-03-31"
