"""``report_facts``: derive each report's facts row from its stored cells and text.

One row per report (storage/models.py): the cell values side by side in grid columns
(storage/cell_grid.py), how many cells and filled-in values each section has, how many cells
are off the grid or hold an irregular number (R7), and the two text facts the per-report rules
need (duplicate's clause sketch, text_table's claims). Checks read this row instead of scanning
~200 cell rows and the full prose of every report; ``report_cells`` stays the evidence store.

Written by ingest with the cells (``refresh_facts`` for the one report) and, as a safety net,
by every check for current reports whose row is missing or stale (``refresh_stale_facts``):
a row is stale when the report was parsed again (``parsed_at``) or the derivation changed
(``FACTS_VERSION``; bump it when the grid, the sketch or the claims change meaning).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from monitor.context import CheckContext, chunked
from monitor.rules.duplicate import report_sketch
from monitor.rules.text_table import text_claims
from monitor.sketch_codec import sketch_bytes
from nianbao import keys
from storage.cell_grid import GRID_COLUMNS
from storage.models import Report, ReportCell, report_facts

FACTS_VERSION = 1
SECTIONS = (keys.ACTIVE, keys.REQUESTS, keys.APPEALS)
Cell = tuple[str, str, str, Decimal | None]


def cell_facts(cells: Iterable[Cell]) -> dict[str, Any]:
    """The grid values and counters of one report's cells."""
    row: dict[str, Any] = dict.fromkeys(GRID_COLUMNS.values())
    counts = dict.fromkeys(
        [f"{kind}_{s}" for kind in ("cells", "values") for s in SECTIONS], 0
    )
    off_grid = irregular = 0
    for section, row_key, col, value in cells:
        name = GRID_COLUMNS.get((section, row_key, col))
        if name is None:
            off_grid += 1
        else:
            row[name] = value
        if section in SECTIONS:
            counts[f"cells_{section}"] += 1
            if value is not None:
                counts[f"values_{section}"] += 1
        if value is not None and keys.irregular_number(col, value) is not None:
            irregular += 1
    row.update(counts, off_grid_cells=off_grid, irregular_numbers=irregular)
    return row


def text_facts(sections_text: dict[str, Any] | None) -> dict[str, Any]:
    """The sketch and claims of one report's prose."""
    text = sections_text or {}
    claims = text_claims(text)
    return {
        "text_sketch": sketch_bytes(report_sketch(text)),
        "text_claims": None if claims is None else json.dumps(claims, ensure_ascii=False),
    }


def facts_row(
    report_id: int,
    parsed_at: datetime,
    cells: Iterable[Cell],
    sections_text: dict[str, Any] | None,
) -> dict[str, Any]:
    """The complete ``report_facts`` row of one report."""
    return {
        "report_id": report_id,
        "parsed_at": parsed_at,
        "version": FACTS_VERSION,
        **cell_facts(cells),
        **text_facts(sections_text),
    }


def store_facts(session: Session, report: Report, cells: Iterable[Any]) -> None:
    """(Re)write one report's row at ingest, from the parsed cells just stored with it
    (objects with ``section``, ``row``, ``column`` and ``value``, as ``ParsedReport.cells``)."""
    values = (
        (c.section, c.row, c.column, None if c.value is None else Decimal(str(c.value)))
        for c in cells
    )
    row = facts_row(report.id, report.parsed_at, values, report.sections_text)
    session.execute(delete(report_facts).where(report_facts.c.report_id == report.id))
    session.execute(insert(report_facts), [row])


def refresh_facts(session: Session, report_ids: Sequence[int]) -> int:
    """(Re)write the facts rows of these reports from their stored cells and text."""
    done = 0
    for ids in chunked(sorted(set(report_ids))):
        cells: dict[int, list[Cell]] = defaultdict(list)
        q = select(
            ReportCell.report_id,
            ReportCell.section,
            ReportCell.row_key,
            ReportCell.col_key,
            ReportCell.value,
        ).where(ReportCell.report_id.in_(ids))
        for rid, *cell in session.execute(q):
            cells[rid].append(tuple(cell))  # type: ignore[arg-type]
        reports = session.execute(
            select(Report.id, Report.parsed_at, Report.sections_text).where(
                Report.id.in_(ids)
            )
        ).all()
        session.execute(delete(report_facts).where(report_facts.c.report_id.in_(ids)))
        rows = [facts_row(rid, at, cells.get(rid, ()), text) for rid, at, text in reports]
        if rows:
            session.execute(insert(report_facts), rows)
        done += len(rows)
    return done


def stale_report_ids(ctx: CheckContext) -> list[int]:
    """Current reports in scope whose facts row is missing or out of date."""
    f = report_facts.c
    q = (
        select(Report.id)
        .outerjoin(report_facts, f.report_id == Report.id)
        .where(
            or_(
                f.report_id.is_(None),
                f.parsed_at != Report.parsed_at,
                f.version != FACTS_VERSION,
            )
        )
    )
    return list(ctx.session.scalars(ctx.current_reports(q)))


def refresh_stale_facts(ctx: CheckContext) -> int:
    """Bring the facts of every current report in scope up to date; how many were rewritten."""
    return refresh_facts(ctx.session, stale_report_ids(ctx))
