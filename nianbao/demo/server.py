"""A threaded loopback HTTP server that serves simulated portal pages and records every request.

Routes map a URL path (no query string) to a ``Page`` or to a function of the request returning
one, so a route can look at the query, the form body or the headers (Hanweb's ``dataproxy.jsp``,
VSB's ``download.jsp`` that wants a Referer). Conditional GET is answered like a real server:
``ETag``/``Last-Modified`` on every page, 304 when the client's validators match.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

Conditional = Literal["both", "etag", "last_modified", "none"]


@dataclass
class Page:
    """One answer of the server."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None  # sent as Last-Modified (when the server does)
    delay: float = 0.0  # seconds to wait before answering: a slow county server


@dataclass
class SimRequest:
    """What a route handler sees of a request."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]  # lower-case names


Handler = Page | Callable[[SimRequest], Page]


@dataclass
class LoggedRequest:
    """One request as the server received it."""

    server: str  # host:port that answered
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    status: int
    started: float
    finished: float


NOT_FOUND = Page(
    body="<html><head><title>页面不存在</title></head><body><p>对不起，您访问的页面不存在或已被删除！</p></body></html>".encode(),
    status=404,
)


class PortalServer:
    """Serves ``routes`` on ``host:port`` (port 0 picks a free one) in a background thread."""

    def __init__(
        self,
        routes: dict[str, Handler] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        conditional: Conditional = "both",
        fallback: Callable[[SimRequest], Page | None] | None = None,
    ) -> None:
        self.routes: dict[str, Handler] = dict(routes or {})
        self.fallback = fallback  # pages generated on demand (large simulated sites); None: 404
        self.host = host
        self.port = port
        self.conditional = conditional
        self.log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle ---------------------------------------------------------------------------
    def start(self) -> PortalServer:
        """Bind and serve in a daemon thread; returns self."""
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"portal-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Request log -------------------------------------------------------------------------
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self.log)

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)

    # Answering ---------------------------------------------------------------------------
    def answer(self, request: SimRequest) -> Page:
        handler = self.routes.get(request.path)
        if handler is None and request.path.endswith("/"):
            handler = self.routes.get(request.path + "index.html")
        if handler is None:
            generated = self.fallback(request) if self.fallback else None
            if generated is None:
                return NOT_FOUND
            handler = generated
        page = handler(request) if callable(handler) else handler
        if page.status == 200 and request.method == "GET" and self._not_modified(page, request.headers):
            return Page(b"", content_type=page.content_type, status=304, headers=self._validators(page))
        return page

    def _validators(self, page: Page) -> dict[str, str]:
        headers: dict[str, str] = {}
        if page.status != 200:
            return headers
        if self.conditional in ("both", "etag"):
            headers["ETag"] = _etag(page.body)
        if self.conditional in ("both", "last_modified") and page.last_modified is not None:
            headers["Last-Modified"] = format_datetime(page.last_modified.astimezone(UTC), usegmt=True)
        return headers

    def _not_modified(self, page: Page, headers: dict[str, str]) -> bool:
        validators = self._validators(page)
        inm = headers.get("if-none-match")
        if inm and "ETag" in validators:
            return validators["ETag"] in [t.strip() for t in inm.split(",")]
        ims = headers.get("if-modified-since")
        if ims and page.last_modified is not None and "Last-Modified" in validators:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            return page.last_modified.replace(microsecond=0) <= since
        return False


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


def _make_handler(server: PortalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        server_version = "nginx"
        sys_version = ""
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers: every answer has a length

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._serve("GET")

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve("HEAD")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            started = time.monotonic()
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            form = dict(parse_qsl(body.decode("utf-8", "replace"))) if method == "POST" else {}
            request = SimRequest(method, unquote(parts.path), dict(parse_qsl(parts.query)), form, headers)
            try:
                page = server.answer(request)
            except Exception as exc:  # a broken route must show up as a 500, not a hung client
                page = Page(f"<html><body>500 {type(exc).__name__}: {exc}</body></html>".encode(), status=500)
            if page.delay:
                time.sleep(page.delay)
            out_headers = {"Content-Type": page.content_type, **server._validators(page), **page.headers}
            try:
                self.send_response(page.status)
                for name, value in out_headers.items():
                    self.send_header(name, value)
                if page.status != 304:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                if method != "HEAD" and page.status != 304:
                    self.wfile.write(page.body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                server._record(
                    LoggedRequest(f"{server.host}:{server.port}", method, self.path, headers, page.status, started, time.monotonic())
                )

        def log_message(self, format: str, *args: object) -> None:  # quiet: the log is kept in memory
            return

    return _Handler
