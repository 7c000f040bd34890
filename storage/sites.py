"""The site registry of settings.yaml mirrored into the database (sites and expected agencies).

Every agency row carries the key of its name (core.agencies.agency_key: the site's region, the
aliases settings declare). Keys are derived, so each sync recomputes them: after a change of the
rules or of the aliases, rows that turn out to be one body are merged into one, reports and
findings with them, and a level declared in settings is set on the row it names.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.agencies import agency_key, agency_level
from core.settings import AgencySpec, Settings
from storage.db import Database
from storage.models import Agency, Finding, Report, ReportCell, Site, report_facts


def sync_sites(db: Database, settings: Settings) -> None:
    """Mirror the sites and expected agencies of ``settings`` into the database."""
    with db.session() as s:
        for spec in settings.sites:
            site = s.get(Site, spec.id) or Site(id=spec.id)
            site.name, site.region, site.level, site.cms = spec.name, spec.region, spec.level, spec.cms
            aliases = spec.agency_aliases()
            if (site.agency_aliases or {}) != aliases:
                site.agency_aliases = aliases
            s.add(site)
        s.flush()
        declared = {spec.id: spec.agencies for spec in settings.sites}
        for site in s.scalars(select(Site)).all():
            _sync_agencies(s, site, declared.get(site.id, []))


def site_agency_key(site: Site, name: str) -> str:
    """The key ``name`` files under on ``site`` (its region and its aliases)."""
    return agency_key(name, site.region or "", site.agency_aliases or {})


def site_agency_level(site: Site, name: str) -> str:
    """The level read from ``name`` on ``site`` (settings may declare another: ``sync_sites``)."""
    return agency_level(name, region=site.region or "", site_name=site.name or "")


def _sync_agencies(s: Session, site: Site, specs: list[AgencySpec]) -> None:
    """Rekey the site's agencies, merge rows that are one body, then set the expected ones."""
    rows = s.execute(
        select(Agency.id, Agency.name, Agency.name_key, Agency.level, Agency.expected).where(Agency.site_id == site.id).order_by(Agency.id)
    ).all()
    groups: dict[str, list[tuple[int, str, str | None, str, bool]]] = defaultdict(list)
    for row in rows:
        groups[site_agency_key(site, row.name)].append(tuple(row))  # type: ignore[arg-type]
    for members in groups.values():
        if len(members) > 1:
            # The expected row stays (it carries the registry's name), else the oldest.
            keep = min(members, key=lambda m: (not m[4], m[0]))
            _merge(s, keep[0], [m[0] for m in members if m[0] != keep[0]])
    by_spec = {site_agency_key(site, spec.name): spec for spec in specs}
    survivors = {key: min(members, key=lambda m: (not m[4], m[0])) for key, members in groups.items()}
    stale = [(m[0], key) for key, m in survivors.items() if m[2] != key]
    # Two steps, so that keys that trade places never meet the unique index half-way.
    for agency_id, _ in stale:
        s.execute(update(Agency).where(Agency.id == agency_id).values(name_key=f"#{agency_id}"))
    for agency_id, key in stale:
        s.execute(update(Agency).where(Agency.id == agency_id).values(name_key=key))
    for key, (agency_id, name, _, level, _) in survivors.items():
        if key not in by_spec:
            inferred = site_agency_level(site, name)
            if inferred != level:
                s.execute(update(Agency).where(Agency.id == agency_id).values(level=inferred))
    for key, spec in by_spec.items():
        found = survivors.get(key)
        agency = s.get(Agency, found[0]) if found else None
        if agency is None:
            agency = Agency(site_id=site.id, name=spec.name, name_key=key)
            s.add(agency)
        agency.name = spec.name  # the registry's name is the one officers read
        agency.level = agency_level(spec.name, spec.level, region=site.region or "", site_name=site.name or "")
        agency.expected = True
        agency.first_year = spec.first_year
    s.flush()


def _merge(s: Session, keep: int, gone: list[int]) -> None:
    """Agencies ``gone`` are the body ``keep`` is: their reports and findings move to ``keep``.

    A document filed under both names (same year and URL) is one report: the copy under ``keep``
    stays and findings about the other point to it. Findings keep their fingerprints, so the next
    check resolves those the merge made moot (a year reported missing under one name)."""
    for other in gone:
        mine = {
            (year, url): rid
            for rid, year, url in s.execute(select(Report.id, Report.report_year, Report.source_url).where(Report.agency_id == keep))
        }
        for rid, year, url in s.execute(select(Report.id, Report.report_year, Report.source_url).where(Report.agency_id == other)).all():
            twin = mine.get((year, url))
            if twin is None:
                continue
            s.execute(update(Finding).where(Finding.report_id == rid).values(report_id=twin))
            s.execute(delete(ReportCell).where(ReportCell.report_id == rid))
            s.execute(delete(report_facts).where(report_facts.c.report_id == rid))
            s.execute(delete(Report).where(Report.id == rid))
        s.execute(update(Report).where(Report.agency_id == other).values(agency_id=keep))
        s.execute(update(Finding).where(Finding.agency_id == other).values(agency_id=keep))
        s.execute(delete(Agency).where(Agency.id == other))
    from storage.ingest import _mark_superseded  # imports the parser: only when there is a merge

    for year in set(s.scalars(select(Report.report_year).where(Report.agency_id == keep))):
        _mark_superseded(s, keep, year)
