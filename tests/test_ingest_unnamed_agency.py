"""A report whose text never names its agency is kept (recall first): filed under the site's only
expected agency, flagged with a warning, or kept raw with the reason recorded for review."""

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


def test_report_without_agency_on_a_site_of_many_is_kept_for_review(tmp_path: Path) -> None:
    db, ingestor = _ingestor(tmp_path, ["北京市门头沟区科学技术和信息化局", "北京市门头沟区教育委员会"])
    result = ingestor.ingest(url="https://example.gov.cn/kxj/2022.html", body=UNNAMED, site_id="mtg",
                             media_type="text/plain")
    assert result.outcome == "failed" and result.parsed is not None and result.parsed.kind == "report"
    with db.session() as s:
        assert s.scalars(select(Report)).all() == []
        raw = s.scalars(select(RawDocument)).one()  # the document itself is kept
        assert raw.ingest_outcome == "failed"
        errors = [e.detail for e in s.scalars(select(CrawlError))]
        assert errors == ["report without agency: kept raw for review, not filed"]
    assert ingestor.store.get(raw.sha256) == UNNAMED
    db.dispose()
