"""Storage: SQLAlchemy models, database access and the content-addressed raw-document store."""

from storage.db import Database
from storage.rawstore import RawStore

__all__ = ["Database", "RawStore"]
