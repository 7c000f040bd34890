"""The revisit policy: whether a known detail URL is fetched again, revalidated, or left alone.

A routine crawl reads list pages and asks for detail pages it has never fetched. A detail fetched
(or revalidated) within ``crawler.revisit_days`` is not requested at all; an older one is asked
for conditionally (ETag / Last-Modified, else the content hash of the last version decides).
A listed page that was gone (404) is asked again on every run: it stays visible as an error in
the latest run. ``recrawl`` fetches everything afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Decision = Literal["fetch", "revalidate", "skip"]


@dataclass(frozen=True)
class FetchState:
    """What the database knows about the last fetch of one URL."""

    url: str  # the URL the document was stored under (the redirect target for a moved entry)
    fetched_at: datetime  # last fetch or revalidation
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None

    def validators(self) -> dict[str, str | None]:
        """What a conditional request needs, as it travels in ``request.meta["revisit"]``."""
        return {"etag": self.etag, "last_modified": self.last_modified, "sha256": self.sha256}


class RevisitPolicy:
    """Decides per known URL; one instance per run (``now`` is the run's clock)."""

    def __init__(self, mode: str, revisit_days: float, now: datetime) -> None:
        self.mode = mode
        self.cutoff = now - timedelta(days=revisit_days)

    def decide(self, state: FetchState | None) -> Decision:
        if self.mode == "recrawl" or state is None:
            return "fetch"
        if _aware(state.fetched_at) >= self.cutoff:
            return "skip"
        return "revalidate" if state.sha256 else "fetch"


def _aware(at: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns: they were stored as UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
