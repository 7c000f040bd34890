"""What the database already knows about URLs: the incremental crawl's memory.

All of it lives in the database, never only in the spider process, so a shared scheduler
(scrapy-redis) or a resumed crawl sees the same state. Look-ups are batched: one query per list
page for all of its entries, never one per entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from crawler.discovery import ListEntry
from crawler.revisit import FetchState
from storage.db import Database
from storage.models import CrawlError, CrawlRun, ListPageVisit, ListSighting, RawDocument, Report

_CHUNK = 400  # SQLite's parameter limit is 999 on old builds


class KnownDocuments:
    """Database look-ups for conditional requests, early stops and list sightings."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def seen_before(self, urls: Sequence[str], run_id: int | None) -> set[str]:
        """Those of ``urls`` known from an earlier *finished* run: sighted on a list there, and,
        if a run asked for the entry, with its document stored (under its URL or where it led).

        Sightings of an interrupted run do not count: its later list pages may never have been
        read, and an early stop on them would leave those pages unread for good. An entry asked
        for but never stored because its last attempt failed (a network error or 5xx, a raw store
        that refused the bytes) is
        not known: the next incremental crawl asks for it again and pages on to reach it.
        Entries never asked for (excluded titles, other sites) stay known by their sighting, and so
        do pages gone or forbidden (``failed``).
        """
        return self.known_and_failed(urls, run_id)[0]

    def known_and_failed(self, urls: Sequence[str], run_id: int | None) -> tuple[set[str], set[str]]:
        """(``seen_before``, the entries among ``urls`` whose last attempt failed: ``failed``)."""
        sighted: set[str] = set()
        followed: set[str] = set()
        with self.db.session() as s:
            for chunk in _chunks(urls):
                q = (
                    select(ListSighting.url, ListSighting.decision)
                    .join(CrawlRun, CrawlRun.id == ListSighting.crawl_run_id)
                    .where(ListSighting.url.in_(chunk), CrawlRun.status == "finished")
                )
                if run_id is not None:
                    q = q.where(ListSighting.crawl_run_id != run_id)
                for url, decision in s.execute(q.distinct()):
                    sighted.add(url)
                    if decision == "followed":
                        followed.add(url)
        failed = self.failed(followed)
        return sighted - failed, failed

    def unstored_in_column(self, site_id: str, column_url: str, run_id: int | None) -> set[str]:
        """Entries asked for by an earlier finished run on a list page of ``column_url`` whose
        document was never stored, its last attempt failed (``failed``).

        Asked only when pagination would stop early: while one is left that this run has not
        reached yet, the pages holding it must be read again, or it would wait for a ``recrawl``.
        """
        with self.db.session() as s:
            q = (
                select(ListSighting.url)
                .join(ListPageVisit, (ListPageVisit.crawl_run_id == ListSighting.crawl_run_id) & (ListPageVisit.url == ListSighting.list_url))
                .join(CrawlRun, CrawlRun.id == ListSighting.crawl_run_id)
                .where(
                    ListPageVisit.site_id == site_id,
                    ListPageVisit.column_url == column_url[:2000],
                    ListSighting.decision == "followed",
                    CrawlRun.status == "finished",
                )
            )
            if run_id is not None:
                q = q.where(ListSighting.crawl_run_id != run_id)
            followed = list(s.scalars(q.distinct()))
        return self.failed(followed)

    def failed(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` (entries a run asked for) with no stored document whose last attempt
        failed for a reason that may pass: a network error, a 5xx/429/408, a raw store that
        refused the bytes, a block. Pages gone (404), moved or forbidden by robots.txt are not
        among them: those are asked again only when their list page is read anyway."""
        urls = list(dict.fromkeys(urls))
        if not urls:
            return set()
        stored = self.fetch_states(urls, set(urls))
        unstored = [u for u in urls if u not in stored]
        out = self._failed_last(unstored)
        # A stored page whose linked file was refused or failed: the page is asked again (a
        # conditional request will do: a 304 leads to the files last seen on it). Only the links
        # seen on these pages that have a crawl error that may pass are read, by index
        # (ix_list_sightings_list_url, ix_crawl_errors_url): the work does not grow with other
        # sites' or other pages' errors.
        links: dict[str, set[str]] = {}
        with self.db.session() as s:
            for chunk in _chunks(list(stored)):
                retried = select(CrawlError.id).where(CrawlError.url == ListSighting.url, CrawlError.kind.in_(_RETRIED_KINDS))
                rows = s.execute(
                    select(ListSighting.list_url, ListSighting.url)
                    .where(ListSighting.list_url.in_(chunk), ListSighting.list_url != ListSighting.url, retried.exists())
                    .distinct()
                )
                for page, link in rows:
                    if link not in stored:
                        links.setdefault(link, set()).add(page)
        if links:
            files_stored = self.fetch_states(list(links))  # once: it queries the database
            for link in self._failed_last([u for u in links if u not in files_stored]):
                out.update(links[link])
        return out

    def _failed_last(self, unstored: Sequence[str]) -> set[str]:
        """Those of ``unstored`` whose newest crawl error may pass (``_may_pass``)."""
        newest: dict[str, tuple[datetime, int, str, str]] = {}
        with self.db.session() as s:
            for chunk in _chunks(unstored):
                rows = s.execute(select(CrawlError.url, CrawlError.at, CrawlError.id, CrawlError.kind, CrawlError.detail).where(CrawlError.url.in_(chunk)))
                for url, at, error_id, kind, detail in rows:
                    if url not in newest or (newest[url][0], newest[url][1]) < (at, error_id):
                        newest[url] = (at, error_id, kind, detail or "")
        return {url for url, (_, _, kind, detail) in newest.items() if _may_pass(kind, detail)}

    def fetch_states(self, urls: Sequence[str], sighted: set[str] | frozenset[str] = frozenset()) -> dict[str, FetchState]:
        """The last fetch of each of ``urls`` that has one (see ``crawler.revisit``).

        A URL with a stored document: its newest version. Else, for URLs in ``sighted`` only (listed
        in an earlier run, so possibly redirected): the document stored under the URL it led to.
        Pages that were gone (404) or moved off the site have no state: they are asked again on
        every run, so the crawl-health check of the latest run keeps showing them.
        """
        states = self._stored(urls)
        rest = [u for u in urls if u not in states and u in sighted]
        if not rest:
            return states
        aliases = self.redirect_targets(rest)
        targets = self._stored(list(set(aliases.values())))
        for url, target in aliases.items():
            if target in targets:
                states[url] = targets[target]
        return states

    def _stored(self, urls: Sequence[str]) -> dict[str, FetchState]:
        """Newest stored version per URL (ties: the higher id)."""
        best: dict[str, tuple[datetime, int, FetchState]] = {}
        with self.db.session() as s:
            for chunk in _chunks(urls):
                rows = s.execute(
                    select(RawDocument.url, RawDocument.fetched_at, RawDocument.id, RawDocument.headers, RawDocument.sha256).where(
                        RawDocument.url.in_(chunk)
                    )
                ).all()
                for url, at, raw_id, headers, sha in rows:
                    if url in best and (best[url][0], best[url][1]) >= (at, raw_id):
                        continue
                    headers = headers or {}
                    best[url] = (at, raw_id, FetchState(url, at, headers.get("etag"), headers.get("last-modified"), sha))
        return {u: v[2] for u, v in best.items()}

    def redirect_targets(self, urls: Sequence[str]) -> dict[str, str]:
        """Listed URL → the URL it redirected to, from ``record_redirect`` sightings."""
        out: dict[str, str] = {}
        with self.db.session() as s:
            for chunk in _chunks(urls):
                rows = s.execute(
                    select(ListSighting.list_url, ListSighting.url, ListSighting.seen_at)
                    .where(ListSighting.list_url.in_(chunk), ListSighting.list_url != ListSighting.url)
                    .order_by(ListSighting.seen_at)
                ).all()
                out.update({listed: target for listed, target, _ in rows})  # the newest wins
        return out

    def record_redirect(self, run_id: int | None, site_id: str, listed: str, target: ListEntry, seen_at: datetime) -> None:
        """A listed detail URL now lands on ``target``: a sighting of ``target`` on ``listed``.

        It is what a meta refresh or a 301 page shows: one link onwards. It lets the next run
        know the listed URL by the document stored under ``target``.
        """
        self.record_sightings(run_id, site_id, listed, [target], seen_at)

    def touch(self, url: str, at: datetime) -> None:
        """Mark the newest stored version of ``url`` as revalidated at ``at`` (a 304 or the same bytes)."""
        with self.db.session() as s:
            raw_id = s.scalar(
                select(RawDocument.id).where(RawDocument.url == url).order_by(RawDocument.fetched_at.desc(), RawDocument.id.desc()).limit(1)
            )
            if raw_id is not None:
                s.execute(update(RawDocument).where(RawDocument.id == raw_id).values(fetched_at=at))

    def record_sightings(self, run_id: int | None, site_id: str, list_url: str, entries: Iterable[ListEntry], seen_at: datetime) -> None:
        """One ``ListSighting`` per entry: the monitor's evidence of what a list showed, and when."""
        self.record_sightings_of_pages(run_id, [(site_id, list_url, entries)], seen_at)

    def record_sightings_of_pages(
        self, run_id: int | None, pages: Iterable[tuple[str, str, Iterable[ListEntry]]], seen_at: datetime
    ) -> None:
        """``record_sightings`` for several pages (site id, page URL, entries) in one transaction."""
        rows = [_sighting(run_id, site_id, page_url, e, seen_at) for site_id, page_url, entries in pages for e in entries]
        if rows:  # Core executemany: one statement per page instead of an ORM object per entry
            with self.db.session() as s:
                s.execute(insert(ListSighting), rows)

    def record_list_page(self, visit: dict[str, Any], sightings: list[dict[str, Any]]) -> None:
        """One list page of a run: its ``ListPageVisit`` row and its entries' sightings with the
        crawl's decisions (``crawler.audit``), in one transaction."""
        with self.db.session() as s:
            s.execute(insert(ListPageVisit), [visit])
            if sightings:
                s.execute(insert(ListSighting), sightings)

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


def _sighting(run_id: int | None, site_id: str, list_url: str, entry: ListEntry, seen_at: datetime) -> dict[str, Any]:
    return {
        "crawl_run_id": run_id,
        "site_id": site_id,
        "list_url": list_url[:2000],
        "url": entry.url[:2000],
        "title": (entry.title or "")[:500],
        "list_date": entry.list_date,
        "seen_at": seen_at,
    }


_RETRIED_KINDS = ("network", "storage", "blocked", "http")  # crawl_errors kinds that may pass


def _may_pass(kind: str, detail: str) -> bool:
    """Whether a crawl error is worth asking again for on the next incremental crawl."""
    if kind in ("network", "storage", "blocked"):
        return True
    if kind == "http":
        status = detail.removeprefix("HTTP ").strip()
        return status.startswith("5") or status in ("429", "408")
    return False


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    items = list(dict.fromkeys(items))
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
