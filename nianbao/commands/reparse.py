"""`nianbao reparse`: parse every stored raw document again and say what changed."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from sqlalchemy import func, select

from nianbao.cli import EXIT_OK
from nianbao.commands.context import open_app
from storage.ingest import Ingestor
from core.settings import Settings
from storage.models import RawDocument, Report, ReportCell

CellKey = tuple[str, str, str]


def _cells_by_url(s: Any, url: str) -> dict[CellKey, tuple[Any, str]]:
    rows = s.execute(
        select(ReportCell.section, ReportCell.row_key, ReportCell.col_key, ReportCell.value, ReportCell.raw)
        .join(Report, Report.id == ReportCell.report_id)
        .where(Report.source_url == url)
    )
    return {(a, b, c): (v, raw) for a, b, c, v, raw in rows}


def run(args: argparse.Namespace, settings: Settings) -> int:
    app = open_app(settings)
    ingestor = Ingestor.from_settings(app.db, app.store, settings)
    with app.db.session() as s:
        latest = select(func.max(RawDocument.id)).group_by(RawDocument.url)
        q = select(RawDocument).where(RawDocument.id.in_(latest)).order_by(RawDocument.id)
        if args.site:
            q = q.where(RawDocument.site_id.in_(args.site))
        raws = list(s.scalars(q))
    totals = {"documents": 0, "reports": 0, "cells_added": 0, "cells_changed": 0, "cells_removed": 0, "missing_raw": 0, "failed": 0}
    for raw in raws:
        try:
            stored = app.store.has(raw.sha256)
        except OSError as exc:  # an unreachable object store: this document waits for the next reparse
            totals["failed"] += 1
            print(f"{raw.url}: raw copy {raw.sha256[:12]} cannot be read: {exc}")
            continue
        if not stored:
            totals["missing_raw"] += 1
            print(f"{raw.url}: raw copy {raw.sha256[:12]} is missing from the store")
            continue
        with app.db.session() as s:
            before = _cells_by_url(s, raw.url)
        try:
            result = ingestor.reparse(raw)
        except Exception as exc:  # keep going: one bad document must not stop a reparse
            totals["failed"] += 1
            print(f"{raw.url}: parse failed: {type(exc).__name__}: {exc}")
            continue
        totals["documents"] += 1
        if result.report_id is None:
            continue
        totals["reports"] += 1
        with app.db.session() as s:
            after = _cells_by_url(s, raw.url)
        added = after.keys() - before.keys()
        removed = before.keys() - after.keys()
        changed = [k for k in after.keys() & before.keys() if after[k] != before[k]]
        totals["cells_added"] += len(added)
        totals["cells_removed"] += len(removed)
        totals["cells_changed"] += len(changed)
        if before and (added or removed or changed):
            print(f"{raw.url}: {len(added)} cell(s) added, {len(changed)} changed, {len(removed)} removed")
            for k in sorted(changed)[:10]:
                print(f"  {'/'.join(k)}: {before[k][1]!r} -> {after[k][1]!r}")
    from monitor.check import run_check

    summary = run_check(app.db, settings, args.as_of or date.today(), site_ids=args.site)
    print(
        "reparsed {documents} document(s), {reports} report(s): cells {cells_added} added, {cells_changed} changed, "
        "{cells_removed} removed; {failed} failed, {missing_raw} missing raw copies".format(**totals)
    )
    print(
        "findings: {} opened, {} resolved, {} reopened".format(
            summary.get("new", 0), summary.get("resolved", 0), summary.get("reopened", 0)
        )
    )
    return EXIT_OK
