"""A report whose text never names its agency is kept (recall first): filed under the site's only
expected agency, flagged with a warning, or, on a site of several, under UNNAMED_AGENCY with one
finding asking which body it belongs to; never under a guessed body."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.ingest import Ingestor
from storage.models import Agency, CrawlError, RawDocument, Report, Site
from storage.rawstore import RawStore

REAL = Path(__file__).with_name("real")
# A real partial report (tests/real/SOURCES.md): preamble, general situation, no title, no agency.
UNNAMED = (REAL / "beijing-mentougou-kxj-2022" / "document.txt").read_bytes()


def _ingestor(tmp_path: Path, expected: list[str]) -> tuple[Database, Ingestor]:
    db = Database(f"sqlite:///{tmp_path / 'nb.db'}")
    with db.session() as s:
        s.add(Site(id="mtg", name="门头沟区人民政府", region="北京市/门头沟区"))
        s.flush()
        for name in expected:
            s.add(Agency(site_id="mtg", name=name, expected=True))
    return db, Ingestor(db, RawStore(tmp_path / "raw"))


def test_report_without_agency_is_filed_under_the_sites_only_expected_agency(tmp_path: Path) -> None:
    db, ingestor = _ingestor(tmp_path, ["北京市门头沟区科学技术和信息化局"])
    result = ingestor.ingest(url="https://example.gov.cn/kxj/2022.html", body=UNNAMED, site_id="mtg",
                             media_type="text/plain")
    assert result.outcome == "new", result.message
    with db.session() as s:
        report = s.get(Report, result.report_id)
        agency = s.get(Agency, report.agency_id)
        assert (agency.name, report.report_year) == ("北京市门头沟区科学技术和信息化局", 2022)
        assert any("agency not named in the document" in w for w in report.warnings)
    db.dispose()


def test_report_without_agency_on_a_site_of_many_is_filed_as_published_under_no_guessed_body(tmp_path: Path) -> None:
    """Recall first: a report is published even when it never says by whom. On a site of several
    expected agencies no body is guessed: it is filed under UNNAMED_AGENCY, counts as published,
    is judged by no deadline rule, and one finding per such report asks an officer which body it
    belongs to, in the officers' digest."""
    from datetime import date

    from core.agencies import UNNAMED_AGENCY
    from monitor.check import run_check
    from monitor.digest import build_digests
    from storage.models import Finding
    from tests.monitor_factory import make_settings

    expected = ["北京市门头沟区科学技术和信息化局", "北京市门头沟区教育委员会"]
    db, ingestor = _ingestor(tmp_path, expected)
    urls = ["https://example.gov.cn/kxj/2022.html", "https://example.gov.cn/jw/2022.html"]
    for url in urls:  # two unnamed reports of one year: two bodies, perhaps; neither hides the other
        result = ingestor.ingest(url=url, body=UNNAMED, site_id="mtg", media_type="text/plain")
        assert result.outcome == "new", result.message
    with db.session() as s:
        reports = s.scalars(select(Report).order_by(Report.id)).all()
        assert [(s.get(Agency, r.agency_id).name, r.report_year, r.superseded) for r in reports] == [
            (UNNAMED_AGENCY, 2022, False),
            (UNNAMED_AGENCY, 2022, False),
        ]
        assert all(any("filed under 未写明发布机构 for review" in w for w in r.warnings) for r in reports)
        assert not s.get(Agency, reports[0].agency_id).expected
        assert s.scalars(select(CrawlError)).all() == []
    settings = make_settings(
        tmp_path, monitor={"first_year": 2022}, recipients=[{"email": "mtg@example.org", "regions": ["北京市"]}]
    )
    run_check(db, settings, date(2023, 6, 30))
    with db.session() as s:
        found = s.scalars(select(Finding).order_by(Finding.id)).all()
        unnamed = s.scalar(select(Agency).where(Agency.name == UNNAMED_AGENCY))
        assert sorted(f.evidence["source_url"] for f in found if f.kind == "unnamed_agency") == sorted(urls)
        # No deadline rule judges the stand-in: no year missing, none late.
        assert not [f for f in found if f.agency_id == unnamed.id and f.kind in ("missing_year", "late")]
        # The expected bodies' own 2022 reports are still missing: which one the report is, is the officer's call.
        assert sorted(f.agency_id for f in found if f.kind == "missing_year") == sorted(
            a.id for a in s.scalars(select(Agency).where(Agency.expected.is_(True)))
        )
    [digest] = build_digests(db, settings, date(2023, 6, 30))
    assert "未写明发布机构" in digest.text and urls[0] in digest.text and "请人工查看原文确认发布机构" in digest.text
    db.dispose()


def test_report_without_agency_or_year_is_kept_for_review(tmp_path: Path) -> None:
    """Without a year there is nothing to file it as: kept raw, the reason recorded."""
    db, ingestor = _ingestor(tmp_path, ["北京市门头沟区科学技术和信息化局", "北京市门头沟区教育委员会"])
    body = "一、总体情况\n我局认真贯彻落实《条例》，做好政府信息公开工作。".encode()
    result = ingestor.ingest(url="https://example.gov.cn/kxj/x.html", body=body, site_id="mtg",
                             media_type="text/plain", hints={"title": "政府信息公开工作年度报告"})
    assert result.outcome in ("failed", "not_report")
    with db.session() as s:
        assert s.scalars(select(Report)).all() == []
        assert s.scalars(select(RawDocument)).one().ingest_outcome == result.outcome
    db.dispose()


def _two_unnamed(database_url: str, tmp_path: Path) -> tuple[Database, list[int]]:
    """The site of two expected bodies with two reports of 2022 that name neither."""
    from storage.sites import site_agency_key

    db = Database(database_url)
    with db.session() as s:
        site = Site(id="mtg", name="门头沟区人民政府", region="北京市/门头沟区")
        s.add(site)
        s.flush()
        for name in ("北京市门头沟区科学技术和信息化局", "北京市门头沟区教育委员会"):
            s.add(Agency(site_id="mtg", name=name, name_key=site_agency_key(site, name), expected=True))
    ingestor = Ingestor(db, RawStore(tmp_path / "raw"))
    ids = []
    for url in ("https://example.gov.cn/kxj/2022.html", "https://example.gov.cn/jw/2022.html"):
        result = ingestor.ingest(url=url, body=UNNAMED, site_id="mtg", media_type="text/plain")
        assert result.outcome == "new", result.message
        ids.append(result.report_id)
    return db, ids


def test_board_shows_the_stand_ins_reports_as_waiting_for_their_body(database_url: str, tmp_path: Path) -> None:
    """The stand-in has no deadline: its cell reads 待认定机构 with the report and its finding, in the
    board the export and the site share; never 按时/逾期/缺报/未到期."""
    from datetime import date

    from core.agencies import UNNAMED_AGENCY
    from monitor.board import build_board
    from monitor.check import run_check
    from monitor.lifecycle import acknowledge
    from monitor.site.board import cell_status
    from monitor.deadlines import DeadlineCalendar
    from storage.models import Finding
    from tests.monitor_factory import make_settings

    db, ids = _two_unnamed(database_url, tmp_path)
    settings = make_settings(tmp_path, monitor={"first_year": 2021})
    run_check(db, settings, date(2023, 3, 1))
    with db.session() as s:
        # This partial report has no tables: a finding about the report itself still sets the status.
        [row] = [r for r in build_board(s, settings, date(2023, 3, 1)).rows if r.agency == UNNAMED_AGENCY]
        assert row.cells[2022].label == "无法读取"
        unreadable = s.scalars(
            select(Finding.id).where(Finding.kind.in_(("tables_unreadable", "image_only", "malformed_table")))
        ).all()
        assert unreadable
    for fid in unreadable:
        acknowledge(db, fid, "原文为节选")
    for as_of in (date(2023, 3, 1), date(2023, 6, 30)):  # before and after the 2022 deadline
        run_check(db, settings, as_of)
        with db.session() as s:
            board = build_board(s, settings, as_of)
            [row] = [r for r in board.rows if r.agency == UNNAMED_AGENCY]
            assert sorted(row.cells) == [2022]  # owes no other year
            cell = row.cells[2022]
            assert (cell.status, cell.label) == ("unassigned", "待认定机构")
            assert cell.report_id in ids
            unnamed = s.scalars(select(Finding).where(Finding.kind == "unnamed_agency")).all()
            assert {f.id for f in unnamed} <= set(cell.finding_ids) and len(unnamed) == 2
            # The site's cell, from the same decision.
            site_cell = cell_status(
                2022, cell.report_id,
                [{"kind": f.kind, "status": f.status, "acknowledged": f.acknowledged} for f in unnamed],
                published_on=date(2023, 6, 1),  # even a date past the deadline reads no 逾期
                deadline=DeadlineCalendar(settings.monitor).deadline(2022, "department", "北京市/门头沟区"),
                as_of=as_of, stand_in=True,
            )
            assert (site_cell.status, site_cell.label, site_cell.counts_on_time) == ("unassigned", "待认定机构", None)
    db.dispose()


def test_assigning_the_body_files_the_report_under_it_and_check_resolves_its_missing_year(
    database_url: str, tmp_path: Path
) -> None:
    from datetime import date

    from core.agencies import UNNAMED_AGENCY
    from monitor.check import run_check
    from monitor.lifecycle import resolve_for_report
    from storage.ingest import assign_agency
    from storage.models import Finding
    from tests.monitor_factory import make_settings

    db, ids = _two_unnamed(database_url, tmp_path)
    settings = make_settings(tmp_path, monitor={"first_year": 2022})
    as_of = date(2023, 6, 30)
    run_check(db, settings, as_of)

    def open_findings(kind: str) -> dict[str, Finding]:
        with db.session() as s:
            rows = s.scalars(select(Finding).where(Finding.kind == kind)).all()
            return {(s.get(Agency, f.agency_id).name, f.report_year, f.report_id): f for f in rows}

    missing = open_findings("missing_year")
    assert {(k[0], k[1], f.status) for k, f in missing.items()} == {
        ("北京市门头沟区科学技术和信息化局", 2022, "new"), ("北京市门头沟区教育委员会", 2022, "new")}
    with db.session() as s:
        # Another form of the body's name finds the declared agency (core.agencies.agency_key).
        report, agency = assign_agency(s, ids[1], "门头沟区教育委员会")
        assert agency.name == "北京市门头沟区教育委员会" and agency.expected
        assert resolve_for_report(s, report.id, "unnamed_agency", "原文页面属教委栏目")
    run_check(db, settings, as_of)
    missing = {(k[0], f.status) for k, f in open_findings("missing_year").items()}
    assert missing == {("北京市门头沟区科学技术和信息化局", "open"), ("北京市门头沟区教育委员会", "resolved")}
    unnamed = {k[2]: f for k, f in open_findings("unnamed_agency").items()}
    assert (unnamed[ids[1]].status, unnamed[ids[1]].ack_reason) == ("resolved", "原文页面属教委栏目")
    assert unnamed[ids[0]].status in ("new", "open")  # the other report still waits
    with db.session() as s:
        assert s.get(Agency, s.get(Report, ids[0]).agency_id).name == UNNAMED_AGENCY
        assert not s.get(Report, ids[1]).superseded
        try:  # not under the stand-in any more
            assign_agency(s, ids[1], "北京市门头沟区科学技术和信息化局")
            raise AssertionError("a report not under the stand-in was moved")
        except ValueError as exc:
            assert "is not filed under 未写明发布机构" in str(exc)
    db.dispose()


def _mentougou(project) -> Path:
    return project({
        "monitor": {"first_year": 2022},
        "sites": [{
            "id": "mtg", "name": "门头沟区人民政府", "region": "北京市/门头沟区",
            "start_urls": ["http://127.0.0.1:9/"],
            "agencies": [{"name": "北京市门头沟区科学技术和信息化局"}, {"name": "北京市门头沟区教育委员会"}],
        }],
    })


def _findings(cfg: Path) -> list[dict]:
    import json

    from tests.conftest import run_cli

    return json.loads(run_cli("findings", "--format", "json", "--status", "all", config=cfg).stdout)


def test_an_acknowledged_finding_follows_its_report_to_the_body_an_officer_names(project) -> None:
    """What an officer does: acknowledges a finding about an unnamed report's content, names the
    report's body, runs the check. The finding is the same one (same id, history, reason) under
    that body, not a new unacknowledged one; the body's 缺报 of the year is resolved; the findings
    table shows the acknowledgement with its reason."""
    from tests.conftest import run_cli

    cfg = _mentougou(project)
    doc = REAL / "beijing-mentougou-kxj-2022" / "document.txt"
    assert run_cli("import", str(doc), "--site", "mtg", "--url", "https://example.gov.cn/jw/2022.html", config=cfg).returncode == 0
    assert run_cli("check", "--as-of", "2023-06-30", config=cfg).returncode == 0
    before = _findings(cfg)
    about_content = {f["id"]: f for f in before if f["report_id"] is not None and f["kind"] != "unnamed_agency"}
    assert about_content and {f["agency"] for f in about_content.values()} == {"未写明发布机构"}
    [section] = [f for f in about_content.values() if f["kind"] == "missing_section"]
    out = run_cli("findings", "ack", str(section["id"]), "--reason", "原文为节选，正文另见附件", config=cfg)
    assert out.returncode == 0, out.stderr

    out = run_cli("assign-agency", "--report", str(section["report_id"]), "--agency", "门头沟区教育委员会", config=cfg)
    assert out.returncode == 0, out.stdout + out.stderr
    assert run_cli("check", "--as-of", "2023-06-30", config=cfg).returncode == 0
    after = {f["id"]: f for f in _findings(cfg)}
    # The same findings, now the body's, seen again (not new), none opened twice.
    for fid, f in about_content.items():
        assert (after[fid]["agency"], after[fid]["status"], after[fid]["first_seen"]) == (
            "北京市门头沟区教育委员会", "open", f["first_seen"]), after[fid]
    assert not [f for f in after.values() if f["status"] == "new"]
    assert (after[section["id"]]["acknowledged"], after[section["id"]]["ack_reason"]) == (True, "原文为节选，正文另见附件")
    assert {(f["agency"], f["status"]) for f in after.values() if f["kind"] == "missing_year"} == {
        ("北京市门头沟区科学技术和信息化局", "open"), ("北京市门头沟区教育委员会", "resolved")}
    table = run_cli("findings", config=cfg).stdout
    [line] = [ln for ln in table.splitlines() if ln.split()[0] == str(section["id"])]
    assert "北京市门头沟区教育委员会" in line and "已确认：原文为节选，正文另见附件" in line
    assert "已确认" not in next(ln for ln in table.splitlines() if "missing_year" in ln)
    # Its page in the officers' site tells the move and keeps the reason.
    site = cfg.parent / "site"
    assert run_cli("site", "--out", str(site), "--as-of", "2023-06-30", config=cfg).returncode == 0
    page = (site / "findings" / f"{section['id']}.html").read_text(encoding="utf-8")
    assert "随报告转至其认定的机关</b>" in page and "机关：北京市门头沟区教育委员会" in page
    assert "理由：原文为节选，正文另见附件" in page and "出现于以下核查（共 2 次）" in page


def test_an_acknowledgement_passes_to_the_bodys_own_finding_of_the_same_problem(project) -> None:
    """The body already has a report of the year with the same finding: that finding stays the
    body's one, takes over the acknowledgement made on the unnamed report's, and the unnamed
    report's finding resolves (one finding per problem, the reason kept)."""
    from tests.conftest import run_cli

    cfg = _mentougou(project)
    doc = str(REAL / "beijing-mentougou-kxj-2022" / "document.txt")
    assert run_cli("import", doc, "--site", "mtg", "--agency", "北京市门头沟区教育委员会",
                   "--url", "https://example.gov.cn/jw/2022-a.html", config=cfg).returncode == 0
    assert run_cli("import", doc, "--site", "mtg", "--url", "https://example.gov.cn/jw/2022-b.html", config=cfg).returncode == 0
    assert run_cli("check", "--as-of", "2023-06-30", config=cfg).returncode == 0
    sections = {f["agency"]: f for f in _findings(cfg) if f["kind"] == "missing_section"}
    assert set(sections) == {"北京市门头沟区教育委员会", "未写明发布机构"}
    assert run_cli("findings", "ack", str(sections["未写明发布机构"]["id"]), "--reason", "节选", config=cfg).returncode == 0
    out = run_cli("assign-agency", "--report", str(sections["未写明发布机构"]["report_id"]),
                  "--agency", "北京市门头沟区教育委员会", config=cfg)
    assert out.returncode == 0, out.stdout + out.stderr
    assert run_cli("check", "--as-of", "2023-06-30", config=cfg).returncode == 0
    after = {f["id"]: f for f in _findings(cfg) if f["kind"] == "missing_section"}
    body, stand_in = after[sections["北京市门头沟区教育委员会"]["id"]], after[sections["未写明发布机构"]["id"]]
    assert (body["status"], body["acknowledged"], body["ack_reason"]) == ("open", True, "节选")
    assert stand_in["status"] == "resolved" and len(after) == 2
