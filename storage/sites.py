"""The site registry of settings.yaml mirrored into the database (sites and expected agencies)."""

from __future__ import annotations

from sqlalchemy import select

from core.agencies import agency_level
from core.settings import Settings
from storage.db import Database
from storage.models import Agency, Site


def sync_sites(db: Database, settings: Settings) -> None:
    """Mirror the sites and expected agencies of ``settings`` into the database."""
    with db.session() as s:
        for spec in settings.sites:
            site = s.get(Site, spec.id) or Site(id=spec.id)
            site.name, site.region, site.level, site.cms = spec.name, spec.region, spec.level, spec.cms
            s.add(site)
            s.flush()
            for a in spec.agencies:
                agency = s.scalar(select(Agency).where(Agency.site_id == spec.id, Agency.name == a.name))
                if agency is None:
                    agency = Agency(site_id=spec.id, name=a.name)
                    s.add(agency)
                agency.level = agency_level(a.name, a.level)
                agency.expected = True
                agency.first_year = a.first_year
