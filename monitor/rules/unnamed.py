"""Reports that name no agency: filed as published (recall first) under ``UNNAMED_AGENCY`` by
storage.ingest when neither the document nor its site can tell which body published them, never
under a guessed one. One finding per such report asks an officer which body it belongs to: until
then a 缺报 of that body on the same site may be false."""

from __future__ import annotations

from collections.abc import Iterator

from core.agencies import UNNAMED_AGENCY
from monitor.context import CheckContext
from monitor.reports import StreamRow
from monitor.rules.base import FindingDraft, Rule

UNNAMED = Rule(
    "unnamed_agency",
    "unnamed_agency",
    "warning",
    "{site}有一份{year}年度政府信息公开工作年度报告未写明发布机构（{url}），已按已发布保存，"
    "但系统无法确定是哪个机构的报告：该站点{year}年度的缺报提示可能因此有误，请人工查看原文确认发布机构",
    "年度报告应写明发布机构",
)


class UnnamedAgencyCheck:
    """One finding per current report filed under ``UNNAMED_AGENCY``."""

    lane = "stream"
    rules = (UNNAMED,)
    reads = ("source_url",)

    def check(self, ctx: CheckContext, row: StreamRow) -> Iterator[FindingDraft]:
        info = ctx.agencies.get(row.agency_id)
        if info is None or info.name != UNNAMED_AGENCY:
            return
        url = row.extra.get("source_url") or ""
        yield UNNAMED.draft(
            site_id=row.site_id,
            agency_id=row.agency_id,
            report_id=row.id,
            report_year=row.report_year,
            key=url,  # several unnamed reports of one site and year are several findings
            evidence={"source_url": url},
            site=info.site_name,
            year=row.report_year,
            url=url,
        )

    def finish(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        return iter(())
