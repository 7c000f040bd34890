"""The site registry of settings.yaml mirrored into the database (sites and expected agencies).

Every agency row carries the key of its name (core.agencies.agency_key: the site's region, the
aliases settings declare). Keys are derived: after a change of the rules (``RULES_VERSION``) or of
a site's region, name or aliases, the sync keys the site's agencies anew, and rows that turn out
to be one body are merged into one, reports and findings with them. A level declared in settings
is set on the row it names on every sync.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from core.agencies import RULES_VERSION, agency_key, agency_level
from core.settings import AgencySpec, Settings
from storage.db import Database
from storage.models import KEY_WIDTH, Agency, Finding, Report, ReportCell, Site, report_facts


def sync_sites(db: Database, settings: Settings) -> None:
    """Mirror the sites and expected agencies of ``settings`` into the database."""
    with db.session() as s:
        for spec in settings.sites:
            site = s.get(Site, spec.id) or Site(id=spec.id)
            aliases = spec.agency_aliases()
            if (site.name, site.region, site.agency_aliases or {}) != (spec.name, spec.region, aliases):
                site.agency_rules = None  # what the keys and levels are read with changed
            site.name, site.region, site.level, site.cms = spec.name, spec.region, spec.level, spec.cms
            site.agency_aliases = aliases
            s.add(site)
        s.flush()
        declared = {spec.id: spec.agencies for spec in settings.sites}
        for site in s.scalars(select(Site)).all():
            if site.agency_rules != RULES_VERSION:
                _rekey(s, site)
                site.agency_rules = RULES_VERSION
            _sync_expected(s, site, declared.get(site.id, []))


def site_agency_key(site: Site, name: str) -> str:
    """The key ``name`` files under on ``site`` (its region and its aliases)."""
    return agency_key(name, site.region or "", site.agency_aliases or {})[:KEY_WIDTH]


def site_agency_level(site: Site, name: str) -> str:
    """The level read from ``name`` on ``site`` (settings may declare another: ``sync_sites``)."""
    return agency_level(name, region=site.region or "", site_name=site.name or "")


def _rekey(s: Session, site: Site) -> None:
    """Key and level every agency of the site anew, merging rows that turn out to be one body
    (run when the rules, the site's region, name or aliases changed: rows filed since were keyed
    as they were filed)."""
    rows = s.execute(
        select(Agency.id, Agency.name, Agency.name_key, Agency.level, Agency.expected).where(Agency.site_id == site.id).order_by(Agency.id)
    ).all()
    groups: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        groups[site_agency_key(site, row.name)].append(row)
    survivors = {}
    for key, members in groups.items():
        # The expected row stays (it carries the registry's name), else the oldest.
        keep = survivors[key] = min(members, key=lambda m: (not m.expected, m.id))
        if len(members) > 1:
            _merge(s, keep.id, [m.id for m in members if m.id != keep.id])
    stale = [(m.id, key) for key, m in survivors.items() if m.name_key != key]
    # Two steps, so that keys that trade places never meet the unique index half-way.
    for agency_id, _ in stale:
        s.execute(update(Agency).where(Agency.id == agency_id).values(name_key=f"#{agency_id}"))
    for agency_id, key in stale:
        s.execute(update(Agency).where(Agency.id == agency_id).values(name_key=key))
    for m in survivors.values():
        inferred = site_agency_level(site, m.name)
        if not m.expected and inferred != m.level:  # an expected row's level is set from settings
            s.execute(update(Agency).where(Agency.id == m.id).values(level=inferred))


def _sync_expected(s: Session, site: Site, specs: list[AgencySpec]) -> None:
    """The registry's agencies of the site: found by key (created if new), with the registry's
    name, the level settings declare (else the one read from the name) and the first year."""
    for spec in specs:
        key = site_agency_key(site, spec.name)
        agency = s.scalar(select(Agency).where(Agency.site_id == site.id, Agency.name_key == key))
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
