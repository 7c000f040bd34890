"""The crawl's writes in a process of their own (Scrapy setting ``NIANBAO_WRITER_PROCESS``).

The writer thread (``crawler.writer.DatabaseWriter``) then only hands each call over a pipe and
waits for the answer (the wait releases the GIL); the child process does the keeping itself
(hashing, the raw-store file, the ``raw_documents`` rows, list sightings, 304 revalidations)
with its own database connection and raw store, on the other core, so the crawl's interpreter
is not shared with it. Calls are answered in order, one at a time, as on the thread: a batch is
answered only once it is committed, so an item is still done only then.

The child ignores Ctrl-C and SIGTERM sent to the process group (the crawl decides when it ends:
a graceful stop finishes its batches and then closes the pipe) and ends when the pipe closes,
so a killed crawl leaves no writer behind; the batch it was storing is committed or rolled back,
and the crawl counts what it had not heard back of as lost: fetched again by the next crawl.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from crawler.discovery import ListEntry
from crawler.ingest_job import IngestOutcome
from crawler.items import FetchedDocument
from crawler.writer import CrawlWrites

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)


class WriterGone(RuntimeError):
    """The writer process ended or its pipe broke."""


class WriterProcess:
    """``CrawlWrites`` answered by a child process. Calls come from the writer thread only."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        """Start the child (idempotent); it imports the parser while the crawl starts."""
        if self._process is not None:
            return
        ctx = multiprocessing.get_context("spawn")  # no copy of the crawl's reactor, threads, sockets
        ours, theirs = ctx.Pipe()
        self._process = ctx.Process(target=serve, args=(theirs, self.settings), name="nianbao-writer", daemon=True)
        self._process.start()
        theirs.close()  # the child's end lives in the child only: its death is our EOF
        self._conn = ours

    def keep(self, docs: list[FetchedDocument], run_id: int | None, defer: bool) -> list[IngestOutcome]:
        """``CrawlWrites.keep`` in the child. If the child is gone, nothing of ``docs`` is stored."""
        try:
            return self._call("keep", docs, run_id, defer)
        except WriterGone as exc:
            return [IngestOutcome("failed", error=str(exc)) for _ in docs]

    def revalidated(self, doc: FetchedDocument) -> tuple[str, list[ListEntry]]:
        return self._call("revalidated", doc)

    def record_list_page(self, visit: dict[str, Any], sightings: list[dict[str, Any]]) -> None:
        self._call("record_list_page", visit, sightings)

    def stop(self) -> None:
        """Close the pipe and wait for the child, which has answered every call by then."""
        conn, process, self._conn, self._process = self._conn, self._process, None, None
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join()

    def _call(self, name: str, *args: Any) -> Any:
        self.start()
        assert self._conn is not None
        try:
            self._conn.send((name, args))
            ok, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise WriterGone(f"the crawl's writer process ended ({type(exc).__name__})") from None
        if not ok:
            raise RuntimeError(f"the writer process failed: {value}")
        return value


def serve(conn: Connection, settings: Settings) -> None:
    """Body of the writer process: answer calls until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s writer: %(message)s")
    from crawler.known import KnownDocuments
    from storage.db import Database
    from storage.ingest import Ingestor  # imports the parser, before the first document arrives
    from storage.rawstore import open_raw_store

    db = Database(settings.database_url, migrate=False)  # the crawl brought it up to date
    ingestor = Ingestor.from_settings(db, open_raw_store(settings), settings)
    writes = CrawlWrites(KnownDocuments(db), lambda: ingestor)
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):
            break
        try:
            answer = (True, getattr(writes, name)(*args))
        except Exception as exc:
            log.exception("%s failed", name)
            answer = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(answer)
        except OSError:
            break
    db.dispose()
