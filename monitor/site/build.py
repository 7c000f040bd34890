"""Write the officer's static site: index board, a page per report, per finding, per comparison.

Pages link to each other by relative paths only, so the folder works opened from ``file://`` and
served under any URL prefix. Every page carries a Content-Security-Policy allowing no remote
source: it links the site's one stylesheet and script (``static/``, written once), allowed as
'self'. A page is written only when its content changed, and pages no longer produced are removed
(only inside the site's own folders); a first generation into an empty folder writes each page in
place, a later one beside and renamed over, so that a served site never shows half a page.

Regeneration (``nianbao serve`` after each check) renders only what may have changed: the folder
keeps a manifest (``.nianbao-site.json``) of each report and comparison page's fingerprint, made
from what the page shows (the report's listing, its ``parsed_at``, since cells and prose change
only when a report is parsed again, its findings, its agency and site) and the generator's own
version (templates, styles, script, the rendering code). A page whose fingerprint is unchanged
and whose file exists is kept without reading its cells or rendering it. The index, the
region comparisons and the finding pages are small and always rendered.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from core.agencies import UNNAMED_AGENCY
from core.mediatype import document_type
from monitor.links import is_web_url
from monitor.deadlines import DeadlineCalendar
from monitor.evidence import plain_number
from monitor.kinds import LEVEL_LABELS, STATUS_LABELS as FINDING_STATUS_LABELS
from monitor.board import NO_RECORD, STATUS_LABELS
from monitor.site.board import BoardCell, cell_status, on_time_rate
from monitor.site.form import carry_over, cell_changes, changes_html, diff_html, form_sections, text_diff
from monitor.site.history import load_history
from monitor.site.load import SiteData, iter_report_bodies, load_cells, load_site_data
from monitor.site.region import (
    FIGURE_CELLS, FIGURES, compared, region_page, region_rows, region_slug, region_years, table_head, totals,
)
from core.settings import Settings
from storage.rawstore import RawDocumentStore, open_raw_store

log = logging.getLogger(__name__)

MANAGED = ("reports", "findings", "compare", "regions", "raw", "static")  # folders the generator owns and prunes
STATIC = ("site.css", "site.js")  # written once to static/, linked by every page
MANIFEST = ".nianbao-site.json"


@dataclass
class BuildStats:
    written: int = 0
    unchanged: int = 0  # pages whose bytes were already there, rendered or not
    removed: int = 0
    reused: int = 0  # of the unchanged: kept by fingerprint, not even rendered
    pages: Counter[str] = field(default_factory=Counter)


def generator_version() -> str:
    """A digest of everything that shapes a page besides the data: templates, static files and
    the site's Python modules. A new version renders every page again."""
    h = hashlib.sha256()
    pkg = resources.files("monitor.site")
    for folder in ("templates", "static"):
        for entry in sorted(pkg.joinpath(folder).iterdir(), key=lambda e: e.name):
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    for entry in sorted(pkg.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()[:16]


def fingerprint(*parts: Any) -> str:
    """A short digest of a page's inputs (anything ``json`` can write, dates as text)."""
    data = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:24]


def _static(name: str) -> str:
    return resources.files("monitor.site").joinpath("static", name).read_text(encoding="utf-8")


def safe_url(url: Any) -> str | None:
    """``url`` when it may become a link (http or https), else None (shown as text)."""
    text = str(url or "").strip()
    return text if is_web_url(text) else None


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = lambda v: (v or "")[:16].replace("T", " ")  # China time, to the minute
    env.globals.update(
        # The stylesheet and script are files of the site (static/), linked relatively, not
        # inlined: a fifth of the bytes of every page otherwise. 'self' allows them from file://
        # (Chromium: a file: page's 'self' matches file: URLs) and under any URL prefix.
        csp="default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "base-uri 'none'; form-action 'none'",
        safe_url=safe_url,
        num=plain_number,
        changes_html=changes_html,
        diff_html=diff_html,
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        finding_status_labels=FINDING_STATUS_LABELS,
    )
    return env


class SiteWriter:
    """Writes files under ``out`` only when their bytes differ; remembers what it produced."""

    def __init__(self, out: Path, version: str = "") -> None:
        self.out = out
        self.produced: set[Path] = set()
        self.stats = BuildStats()
        self.version = version
        self.previous: dict[str, str] = {}  # page → fingerprint, from the last build's manifest
        self.fingerprints: dict[str, str] = {}
        self._names: dict[Path, set[str]] = {}  # folder → its files' names, read once
        # A first generation into a missing or empty folder has no reader yet: its pages are
        # written in place, not beside and renamed over (one rename per page less).
        self.fresh = not out.is_dir() or not any(out.iterdir())
        try:
            manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            if manifest.get("version") == version:
                self.previous = dict(manifest.get("pages") or {})
        except (OSError, ValueError, AttributeError):
            pass  # no manifest, or not ours: every page is rendered

    def keep(self, rel: str, print_: str, kind: str) -> bool:
        """True (and the page counted as produced, unchanged) when the last build wrote ``rel``
        from inputs with this fingerprint and the file is still there; else it must be rendered."""
        if self.previous.get(rel) != print_:
            return False
        path = self.out / rel
        if not path.is_file():
            return False
        self.produced.add(path)
        self.fingerprints[rel] = print_
        self.stats.pages[kind] += 1
        self.stats.unchanged += 1
        self.stats.reused += 1
        return True

    def _existing(self, folder: Path) -> set[str]:
        """The names of the files in ``folder`` when the build began (made if missing): a page
        not among them is written without first trying to read it (a first build's case)."""
        names = self._names.get(folder)
        if names is None:
            try:
                names = {e.name for e in os.scandir(folder)}
            except FileNotFoundError:
                folder.mkdir(parents=True, exist_ok=True)
                names = set()
            self._names[folder] = names
        return names

    def write(self, rel: str, text: str, kind: str, print_: str | None = None) -> None:
        path = self.out / rel
        self.produced.add(path)
        if print_ is not None:
            self.fingerprints[rel] = print_
        data = text.encode("utf-8")
        self.stats.pages[kind] += 1
        if path.name in self._existing(path.parent):
            try:
                if path.read_bytes() == data:
                    self.stats.unchanged += 1
                    return
            except FileNotFoundError:
                path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed over, so that a served site never shows half a page.
        tmp = str(path) if self.fresh else str(path) + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        if not self.fresh:
            os.replace(tmp, path)
        self.stats.written += 1

    def copy(self, rel: str, store: RawDocumentStore, sha256: str) -> bool:
        """The stored copy of ``sha256`` at ``rel``, so the site works offline whatever the
        backend (a hard link or copy from a folder, a download from an object store, once);
        False when the store lacks it or cannot be read (the page then says it was not found)."""
        path = self.out / rel
        self.produced.add(path)
        if path.exists():
            return True
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            copied = store.copy_to(sha256, path)
        except OSError as exc:  # an unreachable object store costs this link, not the site
            log.error("stored copy %s from %s: %s", sha256[:12], store.location, exc)
            copied = False
        if not copied:
            self.produced.discard(path)
            return False
        self.stats.written += 1
        return True

    def save_manifest(self) -> None:
        data = {"version": self.version, "pages": dict(sorted(self.fingerprints.items()))}
        path = self.out / MANIFEST
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)

    def prune(self) -> None:
        for folder in MANAGED:
            root = self.out / folder
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                if path.is_file() and path not in self.produced:
                    path.unlink()
                    self.stats.removed += 1


def raw_name(sha256: str, media_type: str | None) -> str:
    dt = document_type(media_type)
    return f"raw/{sha256}.{dt.extensions[0] if dt else 'bin'}"


def _board(data: SiteData, calendar: DeadlineCalendar, as_of: date) -> tuple[list[dict[str, Any]], list[int], dict[str, Any]]:
    """Regions → sites → agency rows of cells; the years shown; on-time rates."""
    years_seen = {y for (_, y) in data.current} | {y for (_, y) in data.by_cell}
    last_due = as_of.year - 1
    years = sorted(years_seen | ({last_due} if years_seen else set()))
    if years:
        years = list(range(years[0], max(years[-1], last_due) + 1))
    regions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rates: dict[str, dict[int, list[BoardCell]]] = defaultdict(lambda: defaultdict(list))
    agencies_by_site = _agencies_by_site(data)
    for site in data.sites:
        rows = []
        for a in agencies_by_site[site.id]:
            cells = []
            for y in years:
                rid = data.current.get((a.id, y))
                cell = cell_status(
                    y, rid, data.by_cell.get((a.id, y), ()),
                    published_on=data.reports[rid].published_on if rid is not None else None,
                    deadline=calendar.deadline(y, a.level, site.region), as_of=as_of,
                    stand_in=a.name == UNNAMED_AGENCY,
                )
                cells.append(cell)
                if a.name != UNNAMED_AGENCY:  # no body: its reports are findings, not a rate
                    rates[region_label(site)][y].append(cell)
                    rates[""][y].append(cell)
            if any(c.status != NO_RECORD for c in cells):
                rows.append({"agency": a, "cells": cells})
        regions[region_label(site)].append({"site": site, "rows": rows})
    rate_table = {
        region: [(y, *on_time_rate(by_year.get(y, []))) for y in years] for region, by_year in sorted(rates.items())
    }
    return [{"region": r, "sites": s} for r, s in sorted(regions.items())], years, rate_table


def _region_years(
    regions: list[dict[str, Any]], years: list[int], data: SiteData, by_site: dict[str, list[Any]]
) -> dict[str, list[int]]:
    """Per region, the years Y whose page compares Y−1 with Y (``region.region_years``)."""
    return {
        r["region"]: region_years([(a.id, a.name) for s in r["sites"] for a in by_site[s["site"].id]], years, data.current)
        for r in regions
    }


def region_label(site: Any) -> str:
    """The region a site is shown under (sites without one share 未分区)."""
    return site.region or "未分区"


def _agencies_by_site(data: SiteData) -> dict[str, list[Any]]:
    """Each site's agencies in the board's order: the government first, then departments, by name."""
    out: dict[str, list[Any]] = defaultdict(list)
    for a in data.agencies.values():
        out[a.site_id].append(a)
    for agencies in out.values():
        agencies.sort(key=lambda a: ({"government": 0, "department": 1}.get(a.level, 2), a.name))
    return out


def _write_regions(
    writer: SiteWriter, env: Environment, data: SiteData, regions: list[dict[str, Any]],
    region_years: dict[str, list[int]], by_site: dict[str, list[Any]], figures_of: dict[int, Any],
) -> None:
    tpl = env.get_template("region.html.j2")
    for r in regions:
        region, pairs = r["region"], region_years[r["region"]]
        agencies = [(a.id, a.name, a.level, s["site"].name) for s in r["sites"] for a in by_site[s["site"].id]]
        for year in pairs:
            rows = region_rows(agencies, year, data.current, figures_of)
            writer.write(
                region_page(region, year),
                tpl.render(
                    root="../", region=region, slug=region_slug(region), year=year, rows=rows, sums=totals(rows),
                    head=table_head(year),
                    figures=FIGURES, other_years=[y for y in pairs if y != year],
                    page_of=lambda y, region=region: region_page(region, y),
                ),
                "region",
            )


def _collector_paused(build: Callable[..., BuildStats]) -> Callable[..., BuildStats]:
    """The build holds a few hundred thousand long-lived objects (the site's data) and makes
    millions of short-lived acyclic ones (cells, strings): the cycle collector would traverse the
    former again and again for nothing (~13 % of the time). It is paused for the build and run
    once after; reference counting still frees everything as it goes."""

    @functools.wraps(build)
    def paused(*args: Any, **kwargs: Any) -> BuildStats:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return build(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
                gc.collect()

    return paused


@_collector_paused
def build_site(
    session: Session,
    settings: Settings,
    out: Path,
    *,
    as_of: date | None = None,
    site_ids: Sequence[str] | None = None,
) -> BuildStats:
    """Generate the site under ``out`` from the database as of ``as_of`` (default today)."""
    as_of = as_of or date.today()
    env = environment()
    writer = SiteWriter(Path(out), generator_version())
    store = open_raw_store(settings)
    data = load_site_data(session, site_ids)
    calendar = DeadlineCalendar(settings.monitor)
    regions, years, rates = _board(data, calendar, as_of)
    site_by_id = {s.id: s for s in data.sites}
    status_counts = Counter(c.status for r in regions for s in r["sites"] for row in s["rows"] for c in row["cells"])
    by_site = _agencies_by_site(data)
    region_years = _region_years(regions, years, data, by_site)
    for name in STATIC:
        writer.write(f"static/{name}", _static(name), "static")
    writer.write(
        "index.html",
        env.get_template("index.html.j2").render(
            root="", regions=regions, years=years, rates=rates, as_of=as_of, status_counts=status_counts,
            levels=sorted({a.level for a in data.agencies.values()}), region_years=region_years,
            region_page=region_page, region_slug=region_slug,
        ),
        "index",
    )
    figures_of = load_cells(session, sorted(data.current.values()), FIGURE_CELLS)
    _write_regions(writer, env, data, regions, region_years, by_site, figures_of)
    # Report pages in (agency, year) order, so that each comparison finds the year before still
    # in hand: only one agency's bodies are kept at a time.
    report_tpl, compare_tpl = env.get_template("report.html.j2"), env.get_template("compare.html.j2")
    ids = sorted(data.reports, key=lambda i: (data.reports[i].agency_id, data.reports[i].report_year, i))
    prev_of = {
        rid: p
        for rid, rep in data.reports.items()
        if not rep.superseded and (p := data.current.get((rep.agency_id, rep.report_year - 1)))
        and compared(data.agencies[rep.agency_id].name)  # the stand-in's two years may be two bodies'
    }
    # What each page shows, as a fingerprint; pages whose fingerprint the last build recorded
    # are kept as they are, and only the reports the others need are read.
    need: set[int] = set()
    todo: dict[int, tuple[str | None, str | None, str | None]] = {}
    for rid in ids:
        rep = data.reports[rid]
        agency, site = data.agencies[rep.agency_id], site_by_id[rep.site_id]
        raw = None
        if rep.sha256 and writer.copy(raw_name(rep.sha256, rep.media_type), store, rep.sha256):
            raw = raw_name(rep.sha256, rep.media_type)
        prev = prev_of.get(rid)
        before = data.reports.get(prev) if prev else None
        # A report page shows of the year before only its year and the link to the comparison.
        report_print = fingerprint(
            rep, agency, site, data.by_report.get(rid, []), raw, (before.id, before.report_year) if before else None
        )
        compare_print = fingerprint(rep, before, agency, site) if before else None
        stale_report = not writer.keep(f"reports/{rid}.html", report_print, "report")
        stale_compare = compare_print is not None and not writer.keep(f"compare/{rid}.html", compare_print, "compare")
        if stale_report or stale_compare:
            need.add(rid)
            todo[rid] = (raw, report_print if stale_report else None, compare_print if stale_compare else None)
            if stale_compare and prev is not None:
                need.add(prev)
    held: dict[int, Any] = {}
    held_agency = None
    for rid, body in iter_report_bodies(session, [i for i in ids if i in need]):
        rep = data.reports[rid]
        if rep.agency_id != held_agency:
            held, held_agency = {}, rep.agency_id
        if not rep.superseded:
            held[rid] = body
        if rid not in todo:
            continue  # read only as the year before of a comparison
        raw, report_print, compare_print = todo[rid]
        agency, site = data.agencies[rep.agency_id], site_by_id[rep.site_id]
        findings = data.by_report.get(rid, [])
        prev = prev_of.get(rid)
        if report_print is not None:
            writer.write(
                f"reports/{rid}.html",
                report_tpl.render(
                    root="../", report=rep, agency=agency, site=site, findings=findings, raw=raw,
                    sections=form_sections(rep.format, body.cells, findings),
                    compare=f"compare/{rid}.html" if prev else None,
                    previous=data.reports.get(prev) if prev else None,
                ),
                "report",
                report_print,
            )
        if compare_print is not None and prev in held:
            before = held[prev]
            writer.write(
                f"compare/{rid}.html",
                compare_tpl.render(
                    root="../", report=rep, previous=data.reports[prev], agency=agency, site=site,
                    region_page=region_page(region_label(site), rep.report_year), region=region_label(site),
                    changes=cell_changes(rep.format, before.cells, body.cells),
                    carry=carry_over(before.cells, body.cells),
                    diff=text_diff(before.sections_text, body.sections_text),
                ),
                "compare",
                compare_print,
            )
    finding_tpl = env.get_template("finding.html.j2")
    history = load_history(session, [f["id"] for f in data.findings])
    for f in data.findings:
        writer.write(
            f"findings/{f['id']}.html",
            finding_tpl.render(
                root="../", f=f, report=data.reports.get(f["report_id"] or -1),
                site=site_by_id.get(f["site"] or ""),
                timeline=history.timeline(f["id"]), seen=history.seen_by(f["id"], f["site"]),
            ),
            "finding",
        )
    writer.prune()
    writer.save_manifest()
    return writer.stats
