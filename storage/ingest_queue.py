"""The ingest queue: raw documents kept but not yet parsed, and the consumers that file them.

A crawl keeps what it fetches (bytes in the raw store, a ``raw_documents`` row marked
``ingest_pending``) and goes on fetching; parsing and filing a report costs ten times what fetching
it does, so it happens here, in another process (``IngestWorker``, started by ``crawler.run``) or
by ``nianbao ingest``. The queue is the database itself: no state lives in one process, any number
of consumers on any number of machines can share it, and a document kept by a crawl that was then
killed is filed by the next consumer.

A consumer claims a batch with one portable ``UPDATE`` (claim token and time; the conditions are
repeated outside the sub-select so that, on PostgreSQL, a row another consumer claimed meanwhile is
re-checked and skipped), files it through ``Ingestor.file_many`` (which marks each row done with its
outcome) and takes the next. A claim older than ``stale_after`` belongs to a consumer that died:
it is taken over; so is, at once, a claim whose consumer ran on this host and is gone (the claim
token names host and pid).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, or_, select, update

from core.process_memory import peak_rss_mb
from core.registry import load_objects
from core.settings import DEFAULT_READERS, Settings
from storage.db import Database
from storage.liveness import holder_gone, this_host
from storage.models import RawDocument
from storage.rawstore import RawStore

if TYPE_CHECKING:
    from storage.ingest import KeptDocument

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)
BATCH = 8


def pending_count(db: Database, run_id: int | None = None) -> int:
    """Documents waiting to be parsed (of one crawl run, or all)."""
    q = select(func.count()).select_from(RawDocument).where(RawDocument.ingest_pending.is_(True))
    if run_id is not None:
        q = q.where(RawDocument.crawl_run_id == run_id)
    with db.session() as s:
        return int(s.scalar(q) or 0)


def outcomes_of_run(db: Database, run_id: int) -> dict[str, Counter[str]]:
    """What became of the documents a crawl run fetched, per site: outcome → count (``pending``
    for those not filed yet)."""
    # A row kept again keeps its last outcome until it is filed again: pending wins.
    outcome = case((RawDocument.ingest_pending.is_(True), "pending"), else_=RawDocument.ingest_outcome)
    q = (
        select(RawDocument.site_id, outcome, func.count())
        .where(RawDocument.crawl_run_id == run_id)
        .group_by(RawDocument.site_id, outcome)
    )
    out: dict[str, Counter[str]] = {}
    with db.session() as s:
        for site_id, name, n in s.execute(q):
            out.setdefault(site_id or "-", Counter())[name] += n
    return out


def components(settings: Settings) -> dict[str, Any]:
    """What a consumer files with, as settings name it: ``filed_hooks``, ``readers`` (dotted
    paths, so that they cross into a worker process as they are) and ``limits`` (overrides)."""
    return {"filed_hooks": settings.ingest.filed_hooks, "readers": settings.parser.reader_paths,
            "limits": settings.parser.limits.overrides()}


class IngestQueue:
    """One consumer of the queue: claims pending documents a batch at a time and files them."""

    def __init__(
        self,
        db: Database,
        store: RawStore,
        *,
        batch: int = BATCH,
        stale_after: timedelta = STALE_CLAIM,
        filed_hooks: list[str] | None = None,
        readers: dict[str, str] | None = None,
        limits: dict[str, Any] | None = None,
    ) -> None:
        """``filed_hooks`` and ``readers``: dotted paths as settings give them
        (``ingest.filed_hooks``, ``parser.reader_paths``); None: the built-ins. ``limits``:
        overrides of the document limits (``parser.limits``)."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.db = db
        self.store = store
        self.batch = batch
        self.stale_after = stale_after
        from storage.ingest import Ingestor  # imports the parser: only where documents are filed

        from parser.limits import DEFAULT_LIMITS
        from parser.readers import Readers

        hooks = None if filed_hooks is None else load_objects(filed_hooks, "ingest.filed_hooks")
        in_use = None  # the parser's built-in readers and limits
        if readers is not None or limits:
            in_use = Readers.from_paths(readers if readers is not None else DEFAULT_READERS,
                                        limits=DEFAULT_LIMITS.with_overrides(limits))
        self.ingestor = Ingestor(db, store, hooks, in_use)
        self.token = f"{this_host()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"

    def claim(self) -> list[RawDocument]:
        """Claim up to ``batch`` pending documents, oldest first (none: the queue is empty)."""
        now = datetime.now(UTC)
        free = or_(RawDocument.ingest_claim.is_(None), RawDocument.claimed_at < now - self.stale_after)
        dead = self._dead_claims()
        if dead:
            free = or_(free, RawDocument.ingest_claim.in_(dead))
        oldest = (
            select(RawDocument.id).where(RawDocument.ingest_pending.is_(True), free).order_by(RawDocument.id).limit(self.batch)
        )
        with self.db.session() as s:  # committed on leaving: other consumers see the claim
            s.execute(
                update(RawDocument)
                .where(RawDocument.id.in_(oldest), RawDocument.ingest_pending.is_(True), free)
                .values(ingest_claim=self.token, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            rows = s.scalars(
                select(RawDocument)
                .where(RawDocument.ingest_claim == self.token, RawDocument.ingest_pending.is_(True))
                .order_by(RawDocument.id)
            ).all()
            s.expunge_all()
        return list(rows)

    def _dead_claims(self) -> list[str]:
        """Claim tokens of consumers on this host that are no longer running."""
        with self.db.session() as s:
            tokens = s.scalars(
                select(RawDocument.ingest_claim)
                .where(RawDocument.ingest_pending.is_(True), RawDocument.ingest_claim.like(f"{this_host()}:%"))
                .distinct()
            ).all()
        return [t for t in tokens if t != self.token and holder_gone(t)]

    def run_once(self) -> Counter[str]:
        """Claim one batch and file it: outcome → count (empty: nothing was pending)."""
        rows = self.claim()
        kept: list[KeptDocument] = []
        outcomes: Counter[str] = Counter()
        for row in rows:
            try:
                body = self.store.get(row.sha256)
            except OSError as exc:  # the raw store lost the bytes: nothing to parse, say so
                log.error("raw document %s (%s) is missing from the raw store: %s", row.id, row.url, exc)
                self.ingestor.give_up(_kept(row, b""), exc)
                outcomes["failed"] += 1
                continue
            kept.append(_kept(row, body))
        for result in self.ingestor.file_many(kept):
            outcomes["failed" if isinstance(result, Exception) else result.outcome] += 1
        return outcomes

    def drain(self, *, stop: Callable[[], bool] = lambda: False) -> Counter[str]:
        """File batches until the queue is empty (or ``stop()`` says so between batches)."""
        total: Counter[str] = Counter()
        while not stop():
            done = self.run_once()
            if not done:
                break
            total.update(done)
        return total


def _kept(row: RawDocument, body: bytes) -> KeptDocument:
    from storage.ingest import IncomingDocument, KeptDocument

    doc = IncomingDocument(
        url=row.url,
        body=body,
        site_id=row.site_id,
        media_type=row.media_type,
        headers=row.headers,
        status=row.http_status,
        hints=row.hints,
        origin=row.origin,
        crawl_run_id=row.crawl_run_id,
        fetched_at=row.fetched_at,
    )
    k = KeptDocument.of(doc, row.sha256)
    k.raw_id = row.id
    # The row was upserted when the document was kept: a report already filed from this very row
    # is unchanged, exactly as when the crawl itself parsed a document whose bytes it knew.
    k.known_content = True
    return k


# A consumer process beside the crawl ----------------------------------------------------------
@dataclass
class WorkerStats:
    """What a worker process did (sent back when it ends)."""

    outcomes: dict[str, int]
    seconds: float
    peak_rss_mb: float | None = None


def consume(
    database_url: str,
    storage_dir: str,
    finishing: Any,
    drain_on_finish: Any,
    results: Any,
    filed_hooks: list[str] | None = None,
    poll: float = 0.2,
    readers: dict[str, str] | None = None,
    limits: dict[str, Any] | None = None,
    parent: int | None = None,
) -> None:
    """Body of the worker process: file pending documents until told to finish; then, if asked,
    until the queue is empty; or until ``parent`` (the crawl's pid) is no longer its parent
    (the crawl was killed: nobody will tell it to finish). Runs at a lower CPU priority than the crawl it serves: fetching
    on time (politeness, timeouts) matters more than filing at once."""
    try:
        os.nice(19)
    except OSError:
        pass
    # The crawl decides when the worker ends: Ctrl-C in a terminal reaches the whole process group,
    # and a worker killed mid-batch would leave its claim for others to wait out. SIGTERM sent to
    # the worker itself (a service manager stopping the group): finish the batch, then stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    # The pid the crawl passed, not getppid() now: the crawl may have died while this one started.
    parent = os.getppid() if parent is None else parent
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s ingest: %(message)s")
    started = time.monotonic()
    queue = IngestQueue(
        Database(database_url, migrate=False), RawStore(storage_dir), filed_hooks=filed_hooks, readers=readers,
        limits=limits,
    )
    total: Counter[str] = Counter()
    while not stopped.is_set() and os.getppid() == parent:  # else told to stop, or the crawl was killed
        # Read before looking at the queue: the crawl commits all it kept before it says it is over,
        # so an empty queue seen after that is really empty.
        crawl_over = finishing.is_set()
        if crawl_over and not drain_on_finish.value:
            break  # an interrupted crawl: what is left waits for the next consumer
        done = queue.run_once()
        total.update(done)
        if not done:
            if crawl_over:
                break
            finishing.wait(poll)
    results.put(WorkerStats(dict(total), round(time.monotonic() - started, 3), peak_rss_mb()))



class IngestWorker:
    """An ingest consumer in a child process, for the length of a crawl (``crawler.run``)."""

    def __init__(
        self,
        database_url: str,
        storage_dir: str,
        filed_hooks: list[str] | None = None,
        readers: dict[str, str] | None = None,
        limits: dict[str, Any] | None = None,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")  # no copy of the crawl's reactor, threads, sockets
        self._finishing = ctx.Event()
        self._drain = ctx.Value("b", 1)
        self._results = ctx.Queue()
        self._process = ctx.Process(
            target=consume,
            args=(database_url, storage_dir, self._finishing, self._drain, self._results, filed_hooks),
            kwargs={"readers": readers, "limits": limits, "parent": os.getpid()},
            name="nianbao-ingest",
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()

    def finish(self, *, drain: bool = True, timeout: float | None = None) -> WorkerStats | None:
        """Tell the worker the crawl is over; wait until it has filed everything pending
        (``drain``) or only its current batch. None if it died (pending rows stay pending)."""
        self._drain.value = 1 if drain else 0
        self._finishing.set()
        stats = None
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._process.is_alive() or not self._results.empty():
            try:
                stats = self._results.get(timeout=0.5)
                break
            except Exception:  # queue.Empty: still working
                if deadline is not None and time.monotonic() > deadline:
                    break
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        if stats is None:
            log.error("the ingest worker ended without a report (exit code %s): unparsed documents stay queued", self._process.exitcode)
        return stats
