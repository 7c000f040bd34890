"""Write the officer's static site: index board, a page per report, per finding, per comparison.

Pages link to each other by relative paths only, so the folder works opened from ``file://`` and
served under any URL prefix. Every page carries a Content-Security-Policy allowing no remote
source: its one inline stylesheet and script are allowed by hash. A page is written only when its
content changed, and pages no longer produced are removed (only inside the site's own folders).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Sequence
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
from monitor.site.form import carry_over, cell_changes, changes_html, form_sections, text_diff
from monitor.site.load import SiteData, iter_report_bodies, load_site_data
from core.settings import Settings
from storage.rawstore import RawStore

MANAGED = ("reports", "findings", "compare", "raw")  # folders the generator owns and prunes


@dataclass
class BuildStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    pages: Counter[str] = field(default_factory=Counter)


def _static(name: str) -> str:
    return resources.files("monitor.site").joinpath("static", name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


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
    css, js = _static("site.css"), _static("site.js")
    env.filters["when"] = lambda v: (v or "")[:16].replace("T", " ")  # China time, to the minute
    env.globals.update(
        css=css,
        js=js,
        csp="default-src 'none'; img-src 'self' data:; "
        f"style-src {_hash(css)}; script-src {_hash(js)}; base-uri 'none'; form-action 'none'",
        safe_url=safe_url,
        num=plain_number,
        changes_html=changes_html,
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        finding_status_labels=FINDING_STATUS_LABELS,
    )
    return env


class SiteWriter:
    """Writes files under ``out`` only when their bytes differ; remembers what it produced."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.produced: set[Path] = set()
        self.stats = BuildStats()

    def write(self, rel: str, text: str, kind: str) -> None:
        path = self.out / rel
        self.produced.add(path)
        data = text.encode("utf-8")
        self.stats.pages[kind] += 1
        try:
            if path.read_bytes() == data:
                self.stats.unchanged += 1
                return
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.stats.written += 1

    def copy(self, rel: str, source: Path) -> bool:
        """The raw file at ``rel`` (hard link, else copy); False when the store lacks it."""
        path = self.out / rel
        self.produced.add(path)
        if path.exists():
            return True
        if not source.exists():
            self.produced.discard(path)
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, path)
        except OSError:
            shutil.copyfile(source, path)
        self.stats.written += 1
        return True

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
    agencies_by_site: dict[str, list[Any]] = defaultdict(list)
    for a in data.agencies.values():
        agencies_by_site[a.site_id].append(a)
    for site in data.sites:
        rows = []
        for a in sorted(agencies_by_site[site.id], key=lambda a: ({"government": 0, "department": 1}.get(a.level, 2), a.name)):
            cells = []
            for y in years:
                rid = data.current.get((a.id, y))
                cell = cell_status(
                    y, rid, data.by_cell.get((a.id, y), ()),
                    published_on=data.reports[rid].published_on if rid is not None else None,
                    deadline=calendar.deadline(y, a.level, site.region), as_of=as_of,
                )
                cells.append(cell)
                if a.name != UNNAMED_AGENCY:  # no body: its reports are findings, not a rate
                    rates[site.region or "未分区"][y].append(cell)
                    rates[""][y].append(cell)
            if any(c.status != NO_RECORD for c in cells):
                rows.append({"agency": a, "cells": cells})
        regions[site.region or "未分区"].append({"site": site, "rows": rows})
    rate_table = {
        region: [(y, *on_time_rate(by_year.get(y, []))) for y in years] for region, by_year in sorted(rates.items())
    }
    return [{"region": r, "sites": s} for r, s in sorted(regions.items())], years, rate_table


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
    writer = SiteWriter(Path(out))
    store = RawStore(settings.storage_dir)
    data = load_site_data(session, site_ids)
    calendar = DeadlineCalendar(settings.monitor)
    regions, years, rates = _board(data, calendar, as_of)
    site_by_id = {s.id: s for s in data.sites}
    status_counts = Counter(c.status for r in regions for s in r["sites"] for row in s["rows"] for c in row["cells"])
    writer.write(
        "index.html",
        env.get_template("index.html.j2").render(
            root="", regions=regions, years=years, rates=rates, as_of=as_of, status_counts=status_counts,
            levels=sorted({a.level for a in data.agencies.values()}),
        ),
        "index",
    )
    # Report pages in (agency, year) order, so that each comparison finds the year before still
    # in hand: only one agency's bodies are kept at a time.
    report_tpl, compare_tpl = env.get_template("report.html.j2"), env.get_template("compare.html.j2")
    ids = sorted(data.reports, key=lambda i: (data.reports[i].agency_id, data.reports[i].report_year, i))
    prev_of = {
        rid: p
        for rid, rep in data.reports.items()
        if not rep.superseded and (p := data.current.get((rep.agency_id, rep.report_year - 1)))
    }
    held: dict[int, Any] = {}
    held_agency = None
    for rid, body in iter_report_bodies(session, ids):
        rep = data.reports[rid]
        if rep.agency_id != held_agency:
            held, held_agency = {}, rep.agency_id
        if not rep.superseded:
            held[rid] = body
        agency, site = data.agencies[rep.agency_id], site_by_id[rep.site_id]
        findings = data.by_report.get(rid, [])
        raw = None
        if rep.sha256 and writer.copy(raw_name(rep.sha256, rep.media_type), store.path_for(rep.sha256)):
            raw = raw_name(rep.sha256, rep.media_type)
        prev = prev_of.get(rid)
        writer.write(
            f"reports/{rid}.html",
            report_tpl.render(
                root="../", report=rep, agency=agency, site=site, findings=findings, raw=raw,
                sections=form_sections(rep.format, body.cells, findings),
                compare=f"compare/{rid}.html" if prev else None,
                previous=data.reports.get(prev) if prev else None,
            ),
            "report",
        )
        if prev and prev in held:
            before = held[prev]
            writer.write(
                f"compare/{rid}.html",
                compare_tpl.render(
                    root="../", report=rep, previous=data.reports[prev], agency=agency, site=site,
                    changes=cell_changes(rep.format, before.cells, body.cells),
                    carry=carry_over(before.cells, body.cells),
                    diff=text_diff(before.sections_text, body.sections_text),
                ),
                "compare",
            )
    finding_tpl = env.get_template("finding.html.j2")
    for f in data.findings:
        writer.write(
            f"findings/{f['id']}.html",
            finding_tpl.render(
                root="../", f=f, report=data.reports.get(f["report_id"] or -1),
                site=site_by_id.get(f["site"] or ""),
            ),
            "finding",
        )
    writer.prune()
    return writer.stats
