"""Recorded real portal pages (tests/recorded/), replayed the way a recording proxy replays them.

Each ``tests/recorded/<family>/SOURCES.md`` names, per recorded file, the address it is served at
(``- served at: URL``) and the links a person finds on it, listed by hand (``- report:``,
``- other:``, ``- excluded:``, ``- next:``, ``- attachment:``, ``- column:``; tests/recorded/README.md). A
``ReplayProxy`` is an HTTP proxy on a loopback address: the crawl runs with ``http_proxy`` (and
``https_proxy``) pointing at it, asks for the pages' original URLs, and the proxy answers each
recorded URL with the recorded bytes, unchanged, and every other request with 404 (nothing was
recorded for it), logging each request with its full URL. The crawler sees the original hosts, so
relative and absolute links of a page keep their meaning and no byte of a page is rewritten; no
request leaves the machine (an https request meets a proxy that refuses ``CONNECT``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from core.settings import SiteSpec
from nianbao.demo.server import LoggedRequest, Page, PortalServer, SimRequest

RECORDED = Path(__file__).resolve().parents[1] / "recorded"
LINK_KINDS = ("report", "other", "excluded", "next", "attachment", "column")

_SECTION = re.compile(r"^## (\S+)\s*$")
_SERVED_AT = re.compile(r"^- served at: (\S+)")
_LINK = re.compile(r"^- (" + "|".join(LINK_KINDS) + r"): (\S+)(?: (.*))?$")
_CONTENT_TYPES = {".html": "text/html", ".htm": "text/html", ".xml": "text/xml", ".json": "application/json"}


@dataclass
class Recording:
    """One recorded file and what a person finds on it."""

    family: str
    path: Path
    served_at: str | None  # the original URL it is answered under (None: not served)
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> [(absolute URL, text)]

    def urls(self, *kinds: str) -> set[str]:
        return {url for kind in kinds for url, _ in self.links.get(kind, [])}

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()

    @property
    def content_type(self) -> str:
        # The recordings keep no headers; the type follows the file, without a charset (the page's meta says it).
        return _CONTENT_TYPES.get(self.path.suffix.lower(), "application/octet-stream")


def load_recordings(root: Path = RECORDED) -> list[Recording]:
    """Every recorded file named in a ``SOURCES.md`` under ``root``, its links made absolute
    against the address it is served at."""
    out: list[Recording] = []
    for sources in sorted(root.glob("*/SOURCES.md")):
        current: Recording | None = None
        for line in sources.read_text(encoding="utf-8").splitlines():
            if m := _SECTION.match(line):
                current = Recording(sources.parent.name, sources.parent / m.group(1), None)
                out.append(current)
            elif current is not None and (m := _SERVED_AT.match(line)):
                current.served_at = m.group(1)
            elif current is not None and (m := _LINK.match(line)):
                base = current.served_at or "http://unserved.invalid/"
                current.links.setdefault(m.group(1), []).append((urljoin(base, m.group(2)), (m.group(3) or "").strip()))
    return out


def list_pages(recordings: list[Recording]) -> dict[str, Recording]:
    """The recorded list pages a crawl starts from (served, with entries listed by hand), by site id."""
    return {f"rec-{r.family}-{r.path.stem}"[:40]: r for r in recordings if r.served_at and r.urls("report", "other", "excluded")}


def site_specs(lists: dict[str, Recording]) -> list[SiteSpec]:
    """One site per recorded list page, its start URL the page's original address."""
    return [SiteSpec(id=site_id, name=rec.path.stem, start_urls=[str(rec.served_at)]) for site_id, rec in lists.items()]


class ReplayProxy:
    """A loopback HTTP proxy answering recorded URLs with their bytes and anything else with 404."""

    def __init__(self, recordings: list[Recording], host: str = "127.0.0.1") -> None:
        self.pages: dict[str, Recording] = {}
        for rec in recordings:
            if rec.served_at:
                self.pages[_key(rec.served_at)] = rec
        self.server = PortalServer({}, host=host, fallback=self._answer)

    def _answer(self, request: SimRequest) -> Page | None:
        host = request.headers.get("host", "")
        rec = self.pages.get(_key(f"http://{host}{request.path}"))
        return Page(rec.body, content_type=rec.content_type) if rec is not None else None

    def start(self) -> ReplayProxy:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.base_url

    def env(self) -> dict[str, str]:
        """The environment that sends a crawl's requests, http and https, through this proxy."""
        return {"http_proxy": self.url, "https_proxy": self.url}

    def requests(self) -> list[LoggedRequest]:
        """Every request the proxy saw; ``path`` is the full URL asked for."""
        return self.server.requests()


def _key(url: str) -> str:
    """A URL as the proxy looks it up: scheme-less host (lower case, no default port) and path, a
    folder and its ``index.html`` being one page (as static servers answer them). The query is
    not part of it: no recording is of a page that differs by its query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != 80:
        host += f":{parts.port}"
    path = parts.path or "/"
    return host + (path[: -len("index.html")] if path.endswith("/index.html") else path)
