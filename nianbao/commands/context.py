"""The opened application: database, raw store, and the site registry synced into the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import UsageError
from core.settings import Settings
from storage.db import Database
from storage.rawstore import RawDocumentStore, open_raw_store
from storage.sites import sync_sites


@dataclass
class App:
    settings: Settings
    db: Database
    store: RawDocumentStore


def open_app(settings: Settings) -> App:
    """Open (and migrate) the database, open the raw store, sync the site registry. A SQLite
    database named in the settings (not the default) whose folder is missing is refused: a typo
    in the path would otherwise start an empty database."""
    url = settings.database_url
    if settings.database != Settings.model_fields["database"].default and url.startswith("sqlite:///"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        if not url.startswith("sqlite:///:memory:") and not folder.is_dir():
            raise UsageError(f"database {url}: folder {folder} does not exist (create it, or correct `database`)")
    db = Database(settings.database_url)
    sync_sites(db, settings)
    return App(settings, db, open_raw_store(settings))

