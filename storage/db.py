"""Open a database by SQLAlchemy URL and bring its schema to the newest Alembic revision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from core.errors import UsageError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class Database:
    """A database: engine, sessions, migrations. The URL is any SQLAlchemy URL."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        url = driver_url(url)
        self.url = url
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            raise UsageError(f"database {url!r}: not a database URL (e.g. sqlite:///data/nianbao.db)") from None
        try:
            if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, future=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
            if migrate:
                self.migrate()
        except (NoSuchModuleError, ImportError):
            raise UsageError(f"database {shown}: unknown database driver") from None
        except (OperationalError, OSError) as exc:  # unreachable server, unwritable folder
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise UsageError(f"database {shown}: cannot open it: {reason}") from None

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def driver_url(url: str) -> str:
    """``url`` with psycopg 3 as the driver of a bare ``postgresql://`` (or ``postgres://``) URL:
    the driver nianbao installs (SQLAlchemy's own default, psycopg2, is not)."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url.removeprefix(bare)
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the crawler write while `nianbao findings` reads; foreign keys as on PostgreSQL.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL is safe with WAL (no corruption; only the last commits can be lost on power failure)
    # and spares an fsync per commit, of which crawl, import and check make many.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
