"""Storage: SQLAlchemy models, database access and the content-addressed raw-document store."""

from storage.db import Database
from storage.rawstore import RawDocumentStore, RawStore, open_raw_store

__all__ = ["Database", "RawDocumentStore", "RawStore", "open_raw_store"]
