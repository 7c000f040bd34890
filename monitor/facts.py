"""``report_facts``: derive each report's facts row from its stored cells and text.

One row per report (storage/models.py): the cell values side by side in grid columns
(storage/cell_grid.py), how many cells and filled-in values each section has, how many cells
are off the grid or hold an irregular number (R7), the two text facts the per-report rules
need (duplicate's clause sketch, text_table's claims), and whether the form or text-vs-table
rules can fire on the report at all (``form_review``, ``text_review``: a check reads only those
reports whole). Checks read this row instead of scanning ~200 cell rows and the full prose of
every report; ``report_cells`` stays the evidence store.

Written by ingest with the cells (``refresh_facts`` for the one report) and, as a safety net,
by every check for current reports whose row is missing or stale (``refresh_stale_facts``):
a row is stale when the report was parsed again (``parsed_at``) or the derivation changed
(``FACTS_VERSION``; bump it when the grid, the sketch, the claims or what the form and
text-vs-table rules fire on change meaning).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.context import CheckContext, chunked
from monitor.rules import form, text_table
from monitor.rules.duplicate import report_sketch
from monitor.rules.text_table import text_claims
from monitor.sketch_codec import sketch_bytes
from core import keys
from storage.cell_grid import GRID_COLUMNS
from storage.models import Report, ReportCell, report_facts

FACTS_VERSION = 2  # 2: form_review, text_review
# Rows of these versions lack only the review flags: brought up to date in place.
FLAGS_ONLY_VERSIONS = frozenset({1}) if FACTS_VERSION == 2 else frozenset()
SECTIONS = (keys.ACTIVE, keys.REQUESTS, keys.APPEALS)
Cell = tuple[str, str, str, Decimal | None]
_NEW_TOTAL = GRID_COLUMNS[(keys.REQUESTS, "new", "total")]
_CARRIED_IN_TOTAL = GRID_COLUMNS[(keys.REQUESTS, "carried_in", "total")]


@dataclass(frozen=True)
class ReportShape:
    """The report's own fields that, beside its cells and prose, decide what the form rules see."""

    format: str | None
    report_year: int
    parse_status: str
    problems: list = field(default_factory=list)
    sections_present: list = field(default_factory=list)


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


def review_facts(shape: ReportShape, cells: dict[str, Any], text: dict[str, Any]) -> dict[str, bool]:
    """Whether the form rules and the text-vs-table rules can fire on the report, from its shape
    and its ``cell_facts`` and ``text_facts``: by the rules' own tests, so a report left out of
    their reading is one they would have passed."""
    seen = SimpleNamespace(
        format=shape.format,
        report_year=shape.report_year,
        parse_status=shape.parse_status or "",
        problems=list(shape.problems or []),
        sections_present=list(shape.sections_present or []),
        requests_has_cells=cells["cells_requests"] > 0,
        requests_has_values=cells["values_requests"] > 0,
        appeals_has_cells=cells["cells_appeals"] > 0,
        appeals_has_values=cells["values_appeals"] > 0,
    )
    claims = json.loads(text["text_claims"]) if text["text_claims"] else None
    return {
        "form_review": form.may_find(seen),
        "text_review": text_table.may_conflict(
            seen.parse_status, claims, _decimal(cells[_NEW_TOTAL]), _decimal(cells[_CARRIED_IN_TOTAL])
        ),
    }


def _decimal(value: Any) -> Decimal | None:
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value))


def facts_row(
    report_id: int,
    parsed_at: datetime,
    cells: Iterable[Cell],
    sections_text: dict[str, Any] | None,
    shape: ReportShape,
) -> dict[str, Any]:
    """The complete ``report_facts`` row of one report."""
    grid = cell_facts(cells)
    text = text_facts(sections_text)
    return {
        "report_id": report_id,
        "parsed_at": parsed_at,
        "version": FACTS_VERSION,
        **grid,
        **text,
        **review_facts(shape, grid, text),
    }


def store_facts(session: Session, report: Report, cells: Iterable[Any]) -> None:
    """(Re)write one report's row at ingest, from the parsed cells just stored with it
    (objects with ``section``, ``row``, ``column`` and ``value``, as ``ParsedReport.cells``)."""
    values = (
        (c.section, c.row, c.column, None if c.value is None else Decimal(str(c.value)))
        for c in cells
    )
    shape = ReportShape(report.format, report.report_year, report.parse_status, report.problems, report.sections_present)
    row = facts_row(report.id, report.parsed_at, values, report.sections_text, shape)
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
            select(
                Report.id,
                Report.parsed_at,
                Report.sections_text,
                Report.format,
                Report.report_year,
                Report.parse_status,
                Report.problems,
                Report.sections_present,
            ).where(Report.id.in_(ids))
        ).all()
        session.execute(delete(report_facts).where(report_facts.c.report_id.in_(ids)))
        rows = [
            facts_row(rid, at, cells.get(rid, ()), text, ReportShape(*shape))
            for rid, at, text, *shape in reports
        ]
        if rows:
            session.execute(insert(report_facts), rows)
        done += len(rows)
    return done


def stale_reports(ctx: CheckContext) -> tuple[list[int], list[int]]:
    """Current reports in scope whose facts row is out of date: those of version 1 that only lack
    the review flags (the report not parsed since), and those to derive again (row missing, the
    report parsed again, or another version)."""
    f = report_facts.c
    q = (
        select(Report.id, f.version, (f.parsed_at == Report.parsed_at).label("same_parse"))
        .outerjoin(report_facts, f.report_id == Report.id)
        .where(
            or_(
                f.report_id.is_(None),
                f.parsed_at != Report.parsed_at,
                f.version != FACTS_VERSION,
            )
        )
    )
    flags_only, derive = [], []
    for rid, version, same_parse in ctx.session.execute(ctx.current_reports(q)):
        (flags_only if version in FLAGS_ONLY_VERSIONS and same_parse else derive).append(rid)
    return flags_only, derive


def add_review_flags(session: Session, report_ids: Sequence[int]) -> int:
    """Bring these version-1 rows to version 2 in place: the flags need only the report's own
    fields and the row's counters, section 三 totals and claims, not its ~200 cells and prose
    (a full re-derivation of a million rows would take half an hour)."""
    f = report_facts.c
    wanted = ("cells_requests", "values_requests", "cells_appeals", "values_appeals", _NEW_TOTAL, _CARRIED_IN_TOTAL)
    done = 0
    for ids in chunked(sorted(set(report_ids))):
        q = select(
            Report.id,
            Report.format,
            Report.report_year,
            Report.parse_status,
            Report.problems,
            Report.sections_present,
            f.text_claims,
            *(f[name] for name in wanted),
        ).join(report_facts, f.report_id == Report.id).where(Report.id.in_(ids))
        updates = []
        for rid, fmt, year, status, problems, present, claims, *values in session.execute(q).all():
            shape = ReportShape(fmt, year, status, problems, present)
            flags = review_facts(shape, dict(zip(wanted, values)), {"text_claims": claims})
            updates.append({"rid": rid, "version": FACTS_VERSION, **flags})
        if updates:
            session.execute(update(report_facts).where(f.report_id == bindparam("rid")), updates)
        done += len(updates)
    return done


def refresh_stale_facts(ctx: CheckContext) -> int:
    """Bring the facts of every current report in scope up to date; how many were rewritten."""
    flags_only, derive = stale_reports(ctx)
    return add_review_flags(ctx.session, flags_only) + refresh_facts(ctx.session, derive)
