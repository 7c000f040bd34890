"""What every check needs: the session, settings, the check date, the scope and lookups."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from monitor.deadlines import DeadlineCalendar
from core.settings import Settings
from storage.models import Agency, RawDocument, Report, Site
from storage.rawstore import raw_key

CHUNK = (
    500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
)
T = TypeVar("T")


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    site_id: str
    name: str
    level: str
    expected: bool
    first_year: int | None
    site_name: str
    region: str


class CheckContext:
    """One check run: session, settings, ``as_of``, the sites in scope, cached lookups."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        as_of: date,
        site_ids: Sequence[str] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.as_of = as_of
        self.site_ids = list(site_ids) if site_ids else None
        self.calendar = DeadlineCalendar(settings.monitor)
        self._agencies: dict[int, AgencyInfo] | None = None
        self._sites: dict[str, tuple[str, str]] | None = None
        self.reports_checked = 0

    def load_lookups(self) -> None:
        """Load the agencies and sites now (before another thread shares them: ``beside``)."""
        self._agencies, self._sites = self.agencies, self.sites

    def beside(self, session: Session) -> CheckContext:
        """The same check on another session (monitor/side.py), sharing the lookups; they must
        be loaded (``load_lookups``), or this would query the main session from another thread."""
        if self._agencies is None or self._sites is None:
            raise RuntimeError("load_lookups() first")
        other = CheckContext(session, self.settings, self.as_of, self.site_ids)
        other._agencies, other._sites = self._agencies, self._sites
        return other

    def rows(self, stmt: Any) -> Any:
        """Execute on the session's connection (Core): plain rows, without the ORM's result
        machinery, which cost more than the query for the thousands of cells read as evidence."""
        return self.session.connection().execute(stmt)

    # Scope ---------------------------------------------------------------------------------
    def scoped_agency_ids(self) -> Select[Any]:
        q = select(Agency.id)
        if self.site_ids:
            q = q.where(Agency.site_id.in_(self.site_ids))
        return q

    def current_reports(self, stmt: Select[Any]) -> Select[Any]:
        """Restrict a statement over ``Report`` to current reports of agencies in scope."""
        stmt = stmt.where(Report.superseded == false())
        if self.site_ids:
            stmt = stmt.where(Report.agency_id.in_(self.scoped_agency_ids()))
        return stmt

    # Lookups -------------------------------------------------------------------------------
    @property
    def agencies(self) -> dict[int, AgencyInfo]:
        """Every agency in scope with its site's name and region (loaded once)."""
        if self._agencies is None:
            q = select(
                Agency.id,
                Agency.site_id,
                Agency.name,
                Agency.level,
                Agency.expected,
                Agency.first_year,
                Site.name,
                Site.region,
            ).join(Site, Site.id == Agency.site_id)
            if self.site_ids:
                q = q.where(Agency.site_id.in_(self.site_ids))
            self._agencies = {
                row[0]: AgencyInfo(*row) for row in self.session.execute(q)
            }
        return self._agencies

    @property
    def sites(self) -> dict[str, tuple[str, str]]:
        """``site id → (name, region)`` for every site."""
        if self._sites is None:
            self._sites = {
                sid: (name, region or "")
                for sid, name, region in self.session.execute(
                    select(Site.id, Site.name, Site.region)
                )
            }
        return self._sites

    def report_sources(
        self, report_ids: Iterable[int]
    ) -> dict[int, tuple[str, str | None, str | None]]:
        """``report id → (source URL, raw SHA-256, origin)`` for a batch of reports."""
        out: dict[int, tuple[str, str | None, str | None]] = {}
        for ids in chunked(sorted(set(report_ids))):
            q = (
                select(
                    Report.id, Report.source_url, RawDocument.sha256, RawDocument.origin
                )
                .join(
                    RawDocument, RawDocument.id == Report.raw_document_id, isouter=True
                )
                .where(Report.id.in_(ids))
            )
            for rid, url, sha, origin in self.session.execute(q):
                out[rid] = (url, sha, origin)
        return out

    def stored_copy(self, sha256: str | None) -> str | None:
        """Where the raw bytes are kept: relative to the settings file (``data/raw/ab/ab…``), or
        the object's URL (``s3://bucket/prefix/ab/ab…``)."""
        if not sha256:
            return None
        return f"{self.settings.storage.rstrip('/')}/{raw_key(sha256)}"
