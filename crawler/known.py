"""What the database already knows about URLs: the incremental crawl's memory.

All of it lives in the database, never only in the spider process, so a shared scheduler
(scrapy-redis) or a resumed crawl sees the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from crawler.discovery import ListEntry
from storage.db import Database
from storage.models import CrawlRun, ListSighting, RawDocument, Report

_CHUNK = 400  # SQLite's parameter limit is 999 on old builds


@dataclass(frozen=True)
class Validators:
    """What the last fetch of a URL left us to revalidate it with."""

    etag: str | None
    last_modified: str | None
    sha256: str


class KnownDocuments:
    """Database look-ups for conditional requests, early stops and list sightings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def validators(self, url: str) -> Validators | None:
        """ETag / Last-Modified / content hash of the newest stored version of ``url``."""
        with self.db.session() as s:
            raw = s.scalars(
                select(RawDocument).where(RawDocument.url == url).order_by(RawDocument.fetched_at.desc(), RawDocument.id.desc()).limit(1)
            ).first()
            if raw is None:
                return None
            headers = raw.headers or {}
            return Validators(headers.get("etag"), headers.get("last-modified"), raw.sha256)

    def seen_before(self, urls: Sequence[str], run_id: int | None) -> set[str]:
        """Those of ``urls`` sighted on a list by an earlier *finished* run.

        Sightings of an interrupted run do not count: its later list pages may never have been
        read, and an early stop on them would leave those pages unread for good.
        """
        found: set[str] = set()
        with self.db.session() as s:
            for chunk in _chunks(urls):
                q = (
                    select(ListSighting.url)
                    .join(CrawlRun, CrawlRun.id == ListSighting.crawl_run_id)
                    .where(ListSighting.url.in_(chunk), CrawlRun.status == "finished")
                )
                if run_id is not None:
                    q = q.where(ListSighting.crawl_run_id != run_id)
                found.update(s.scalars(q.distinct()))
        return found

    def record_sightings(self, run_id: int | None, site_id: str, list_url: str, entries: Iterable[ListEntry], seen_at: datetime) -> None:
        """One ``ListSighting`` per entry: the monitor's evidence of what a list showed, and when."""
        rows = [
            ListSighting(
                crawl_run_id=run_id,
                site_id=site_id,
                list_url=list_url[:2000],
                url=e.url[:2000],
                title=(e.title or "")[:500],
                list_date=e.list_date,
                seen_at=seen_at,
            )
            for e in entries
        ]
        if rows:
            with self.db.session() as s:
                s.add_all(rows)

    def attachments_seen_on(self, page_url: str) -> list[ListEntry]:
        """Links recorded as seen on ``page_url`` (a detail page's attachments), newest title first."""
        with self.db.session() as s:
            rows = s.execute(
                select(ListSighting.url, ListSighting.title, ListSighting.list_date)
                .where(ListSighting.list_url == page_url)
                .order_by(ListSighting.seen_at.desc())
            ).all()
        out: dict[str, ListEntry] = {}
        for url, title, list_date in rows:
            out.setdefault(url, ListEntry(url, title, list_date))
        return list(out.values())

    def last_sighting(self, url: str) -> ListEntry | None:
        """The newest list sighting of ``url`` (for a recrawl of one URL: its list title and date)."""
        with self.db.session() as s:
            row = s.execute(
                select(ListSighting.url, ListSighting.title, ListSighting.list_date)
                .where(ListSighting.url == url)
                .order_by(ListSighting.seen_at.desc())
                .limit(1)
            ).first()
        return ListEntry(row[0], row[1], row[2]) if row else None

    def is_report_source(self, url: str) -> bool:
        """Whether a stored report came from ``url``."""
        with self.db.session() as s:
            return s.scalar(select(Report.id).where(Report.source_url == url).limit(1)) is not None


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    items = list(dict.fromkeys(items))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
