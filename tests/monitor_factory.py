"""Build sites, agencies and fully populated reports directly through the models (monitor tests)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from core import keys
from core.settings import Settings, settings_from_dict
from storage.db import Database
from storage.models import (
    Agency,
    CrawlRun,
    ListSighting,
    RawDocument,
    Report,
    ReportCell,
    Site,
)

CHINA = ZoneInfo("Asia/Shanghai")
Key = tuple[str, str, str]


def make_db(tmp_path: Path, url: str | None = None) -> Database:
    """The test's database: ``url`` (the ``database_url`` fixture), or SQLite in ``tmp_path``."""
    return Database(url or f"sqlite:///{tmp_path / 'nianbao.db'}")


def make_settings(tmp_path: Path, **extra: Any) -> Settings:
    data = {
        "database": f"sqlite:///{tmp_path / 'nianbao.db'}",
        "storage": "data/raw",
        "outbox": str(tmp_path / "outbox"),
    }
    data.update(extra)
    return settings_from_dict(data, base_dir=tmp_path)


def china(d: date, hour: int = 10) -> datetime:
    """A timestamp at ``hour`` o'clock China time on day ``d``, stored as UTC."""
    return datetime.combine(d, time(hour), tzinfo=CHINA).astimezone(UTC)


def add_site(
    db: Database,
    site_id: str = "xihu",
    name: str = "西湖区人民政府",
    region: str = "浙江省杭州市西湖区",
) -> str:
    with db.session() as s:
        s.add(
            Site(id=site_id, name=name, region=region, level="district", cms="generic")
        )
    return site_id


def add_agency(
    db: Database,
    site_id: str,
    name: str,
    level: str = "department",
    *,
    expected: bool = True,
    first_year: int | None = None,
) -> int:
    with db.session() as s:
        a = Agency(
            site_id=site_id,
            name=name,
            level=level,
            expected=expected,
            first_year=first_year,
        )
        s.add(a)
        s.flush()
        return a.id


def balanced_cells(fmt: str = keys.FORMAT_2021) -> dict[Key, Decimal | None]:
    """A table that satisfies R1–R7: per applicant column 2 new, 1 carried in, 2 disclosed, 1 carried out."""
    cells: dict[Key, Decimal | None] = {}
    for spec in keys.rows_for(keys.ACTIVE, fmt):
        for col in spec.columns:
            cells[(keys.ACTIVE, spec.key, col)] = Decimal(3)
    per_row = {
        "new": 2,
        "carried_in": 1,
        "disclosed": 2,
        "results_total": 2,
        "carried_out": 1,
    }
    for spec in keys.rows_for(keys.REQUESTS, fmt):
        v = per_row.get(spec.key, 0)
        for col in keys.APPLICANT_COLUMNS:
            cells[(keys.REQUESTS, spec.key, col)] = Decimal(v)
        cells[(keys.REQUESTS, spec.key, "total")] = Decimal(
            v * len(keys.APPLICANT_COLUMNS)
        )
    for spec in keys.APPEAL_ROWS:
        for col in spec.columns:
            cells[(keys.APPEALS, spec.key, col)] = Decimal(
                1 if col in ("upheld", "total") and spec.key == "review" else 0
            )
    return cells


def add_report(
    db: Database,
    agency_id: int,
    year: int,
    *,
    cells: dict[Key, Any] | None = None,
    fmt: str = keys.FORMAT_2021,
    published_on: date | None | str = "default",
    published_source: str = "page_meta",
    first_seen: datetime | None = None,
    parse_status: str = "ok",
    problems: list[dict[str, Any]] | None = None,
    sections_present: list[str] | None = None,
    sections_text: dict[str, str] | None = None,
    url: str | None = None,
    origin: str = "crawl",
    all_blank: tuple[str, ...] = (),
    no_cells: bool = False,
) -> int:
    """A full report of ``fmt`` (balanced unless ``cells`` overrides some: value None = blank cell).

    A newer report of the same agency-year supersedes the older ones, as ingestion does.
    """
    if published_on == "default":
        published_on = date(year + 1, 1, 15)
    table = balanced_cells(fmt)
    table.update(
        {k: (None if v is None else Decimal(str(v))) for k, v in (cells or {}).items()}
    )
    for section in all_blank:
        table = {k: (None if k[0] == section else v) for k, v in table.items()}
    with db.session() as s:
        agency = s.get(Agency, agency_id)
        assert agency is not None
        n = s.query(Report).count() + 1
        url = (
            url
            or f"https://{agency.site_id}.gov.cn/art/{year + 1}/1/15/art_{agency_id}_{n}.html"
        )
        seen = first_seen or china(
            published_on if isinstance(published_on, date) else date(year + 1, 1, 15)
        )
        sha = hashlib.sha256(f"{url}#{n}".encode()).hexdigest()
        raw = RawDocument(
            site_id=agency.site_id,
            url=url,
            sha256=sha,
            media_type="text/html",
            size=100,
            headers={},
            hints={},
            fetched_at=seen,
            first_seen=seen,
            origin=origin,
        )
        s.add(raw)
        s.flush()
        s.execute(
            update(Report)
            .where(Report.agency_id == agency_id, Report.report_year == year)
            .values(superseded=True)
        )
        text = (
            sections_text
            if sections_text is not None
            else {
                "一": f"{agency.name}{year}年度总体情况。",
                "五": "存在的问题。",
                "六": "无。",
            }
        )
        report = Report(
            site_id=agency.site_id,
            agency_id=agency_id,
            raw_document_id=raw.id,
            report_year=year,
            format=fmt,
            title=f"{agency.name}{year}年政府信息公开工作年度报告",
            source_url=url,
            published_on=published_on if isinstance(published_on, date) else None,
            published_source=published_source
            if isinstance(published_on, date)
            else None,
            dates={},
            first_seen=seen,
            parse_status=parse_status,
            warnings=[],
            problems=problems or [],
            sections_present=sections_present
            if sections_present is not None
            else ["一", "二", "三", "四", "五", "六"],
            sections_text=text,
            superseded=False,
            parsed_at=seen,
        )
        if not no_cells:
            report.cells = [
                ReportCell(
                    section=sec,
                    row_key=row,
                    col_key=col,
                    value=v,
                    raw="" if v is None else _raw(v),
                )
                for (sec, row, col), v in table.items()
            ]
        s.add(report)
        s.flush()
        return report.id


def add_text_report(
    db: Database, site_id: str, agency: str, text: str, year: int = 2024, **kw: Any
) -> int:
    """A new agency of ``site_id`` and its report of ``year`` whose section 一 reads ``text``."""
    return add_report(
        db, add_agency(db, site_id, agency), year, sections_text={"一": text}, **kw
    )


def add_unbalanced_report(db: Database) -> int:
    """The default site's 西湖区教育局 with a 2024 report whose 三、（七）总计 is 13 (R1/R3 fail)."""
    return add_report(
        db,
        add_agency(db, add_site(db), "西湖区教育局"),
        2024,
        cells={(keys.REQUESTS, "results_total", "total"): 13},
    )


def _raw(v: Decimal) -> str:
    return str(int(v)) if v == v.to_integral_value() else str(v.normalize())


def add_crawl(
    db: Database,
    site_id: str,
    at: datetime,
    list_url: str,
    urls: list[str],
    *,
    status: str = "finished",
) -> int:
    """A crawl run that read ``list_url`` at ``at`` and saw ``urls`` on it."""
    with db.session() as s:
        run = CrawlRun(
            kind="crawl",
            started_at=at,
            finished_at=at,
            sites=[site_id],
            stats={},
            status=status,
        )
        s.add(run)
        s.flush()
        for u in urls:
            s.add(
                ListSighting(
                    crawl_run_id=run.id,
                    site_id=site_id,
                    list_url=list_url,
                    url=u,
                    title="",
                    seen_at=at,
                )
            )
        return run.id
