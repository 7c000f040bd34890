"""The opened application: database, raw store, and the site registry synced into the database."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Settings
from storage.db import Database
from storage.rawstore import RawStore
from storage.sites import sync_sites


@dataclass
class App:
    settings: Settings
    db: Database
    store: RawStore


def open_app(settings: Settings) -> App:
    """Open (and migrate) the database, open the raw store, sync the site registry."""
    db = Database(settings.database_url)
    sync_sites(db, settings)
    return App(settings, db, RawStore(settings.storage_dir))

