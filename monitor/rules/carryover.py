"""X1: what a body carried into year Y is what it carried out of year Y−1 (heuristic, warning).

One SQL join of the two years' cells; institutional reform legitimately breaks it, hence a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, case, func, select

from monitor.context import CheckContext
from monitor.evidence import cell_name, cell_ref, column_label, plain_number
from monitor.rules.base import FindingDraft, Rule
from nianbao import keys
from storage.models import Report, ReportCell

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

    rules = (X1,)

    def run(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        # One pass, no self-join: each carried_in cell is grouped with the carried_out cell of the
        # year before (same agency, same column) by keying both on the year they link.
        c = ReportCell
        is_in = c.row_key == "carried_in"
        is_out = c.row_key == "carried_out"
        link_year = case((is_in, Report.report_year - 1), else_=Report.report_year)

        def pick(cond: Any, col: Any) -> Any:
            """The value of ``col`` on the one row of the group matching ``cond``."""
            return func.max(case((cond, col), else_=None))

        vin, vout = pick(is_in, c.value), pick(is_out, c.value)
        q = (
            select(
                pick(is_in, Report.id),
                Report.agency_id,
                link_year,
                pick(is_in, Report.format),
                pick(is_out, Report.id),
                pick(is_out, Report.format),
                pick(is_out, Report.source_url),
                c.col_key,
                vin,
                pick(is_in, c.raw),
                vout,
                pick(is_out, c.raw),
            )
            .join(Report, Report.id == c.report_id)
            .where(
                c.section == keys.REQUESTS,
                c.row_key.in_(("carried_in", "carried_out")),
                Report.format.in_(CURRENT_FORMATS),
            )
            .group_by(Report.agency_id, c.col_key, link_year)
            .having(
                and_(
                    func.count(case((is_in, c.value), else_=None)) == 1,
                    func.count(case((is_out, c.value), else_=None)) == 1,
                    vin != vout,
                )
            )
        )
        rows = sorted(
            ctx.session.execute(ctx.current_reports(q)), key=lambda r: (r[0], r[7])
        )
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
