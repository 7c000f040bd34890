"""X1: what a body carried into year Y is what it carried out of year Y−1 (heuristic, warning).

One SQL join of consecutive current reports on their ``report_facts`` rows (the cells side by
side), returning only pairs that differ in some column; the raw text of just those cells is then
read for the evidence. Institutional reform legitimately breaks it, hence a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import aliased

from monitor.context import CheckContext, chunked
from monitor.evidence import cell_name, cell_ref, column_label, plain_number
from monitor.rules.base import FindingDraft, Rule
from core import keys
from storage.cell_grid import GRID_COLUMNS
from storage.models import Report, ReportCell, report_facts

X1 = Rule(
    "X1",
    "carryover",
    "warning",
    "{carried_in_cell} 为 {carried_in}，但 {prev_year} 年度报告 {carried_out_cell} 为 {carried_out}（X1）",
    "本年“上年结转”应等于上年报告“结转下年度继续办理”",
)
CURRENT_FORMATS = (keys.FORMAT_2021, keys.FORMAT_2019)


class CarryOverCheck:
    """X1 per column between consecutive current reports of the same agency."""

    lane = "side"
    rules = (X1,)

    def scan(self, ctx: CheckContext) -> list[Any]:
        """The SQL half, run beside the report stream (monitor/side.py): consecutive current
        reports whose carried-in and carried-out cells differ somewhere."""
        cur, prev = report_facts.alias("cur_facts"), report_facts.alias("prev_facts")
        prev_report = aliased(Report)
        cols = keys.REQUEST_COLUMNS
        ins = [cur.c[GRID_COLUMNS[(keys.REQUESTS, "carried_in", c)]] for c in cols]
        outs = [prev.c[GRID_COLUMNS[(keys.REQUESTS, "carried_out", c)]] for c in cols]
        q = (
            select(
                Report.id,
                Report.agency_id,
                Report.report_year,
                Report.format,
                prev_report.id,
                prev_report.format,
                prev_report.source_url,
                *ins,
                *outs,
            )
            .join(cur, cur.c.report_id == Report.id)
            .join(
                prev_report,
                and_(
                    prev_report.agency_id == Report.agency_id,
                    prev_report.report_year == Report.report_year - 1,
                    prev_report.superseded == false(),
                    prev_report.format.in_(CURRENT_FORMATS),
                ),
            )
            .join(prev, prev.c.report_id == prev_report.id)
            .where(
                Report.format.in_(CURRENT_FORMATS),
                # A blank on either side makes the comparison NULL: not a difference.
                or_(*(i != o for i, o in zip(ins, outs))),
            )
        )
        return sorted(ctx.rows(ctx.current_reports(q)))

    def run(
        self, ctx: CheckContext, scanned: list[Any] | None = None
    ) -> Iterator[FindingDraft]:
        cols = keys.REQUEST_COLUMNS
        pairs = self.scan(ctx) if scanned is None else scanned
        raws = _raw_texts(ctx, [r[0] for r in pairs] + [r[4] for r in pairs])
        rows = []
        for rid, agency_id, year, fmt, prev_id, prev_fmt, prev_url, *values in pairs:
            for col, vin, vout in zip(cols, values[: len(cols)], values[len(cols) :]):
                if vin is None or vout is None or vin == vout:
                    continue
                rin = raws.get((rid, "carried_in", col), "")
                rout = raws.get((prev_id, "carried_out", col), "")
                rows.append(
                    (rid, agency_id, year - 1, fmt, prev_id, prev_fmt, prev_url, col, vin, rin, vout, rout)
                )
        rows.sort(key=lambda r: (r[0], r[7]))  # by report, then column name
        for (
            rid,
            agency_id,
            prev_year,
            fmt,
            prev_id,
            prev_fmt,
            prev_url,
            col,
            vin,
            rin,
            vout,
            rout,
        ) in rows:
            year = prev_year + 1
            info = ctx.agencies.get(agency_id)
            fields = {
                "carried_in_cell": cell_name(keys.REQUESTS, "carried_in", col, fmt),
                "carried_in": plain_number(vin),
                "prev_year": year - 1,
                "carried_out_cell": cell_name(
                    keys.REQUESTS, "carried_out", col, prev_fmt
                ),
                "carried_out": plain_number(vout),
            }
            in_ref = cell_ref(keys.REQUESTS, "carried_in", col, vin, rin, fmt)
            out_ref = {
                **cell_ref(keys.REQUESTS, "carried_out", col, vout, rout, prev_fmt),
                "report_year": year - 1,
                "report_id": prev_id,
            }
            evidence = {
                "column": col,
                "column_label": column_label(keys.REQUESTS, col),
                "equation": f"{year} 年 二、上年结转 = {year - 1} 年 四、结转下年度继续办理",
                "left": plain_number(vin),
                "right": plain_number(vout),
                "previous_report_id": prev_id,
                "previous_source_url": prev_url,
                "note": "机构改革（合并、更名）可能合理导致不一致",
                "cells": [in_ref, out_ref],
            }
            yield X1.draft(
                site_id=info.site_id if info else None,
                agency_id=agency_id,
                report_id=rid,
                report_year=year,
                key=col,
                evidence=evidence,
                **fields,
            )


def _raw_texts(ctx: CheckContext, report_ids: list[int]) -> dict[tuple[int, str, str], str]:
    """``(report, row, column) → raw text`` of the carried-in/out cells of these reports."""
    out: dict[tuple[int, str, str], str] = {}
    c = ReportCell
    for ids in chunked(sorted(set(report_ids))):
        q = select(c.report_id, c.row_key, c.col_key, c.raw).where(
            c.report_id.in_(ids),
            c.section == keys.REQUESTS,
            c.row_key.in_(("carried_in", "carried_out")),
        )
        for rid, row, col, raw in ctx.rows(q):
            out[(rid, row, col)] = raw
    return out
