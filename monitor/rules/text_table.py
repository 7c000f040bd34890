"""Text against table: cheap, certain contradictions between the prose and section 三's table.

Only two things are checked, both unambiguous: the prose says no request was received while the
table counts new requests; and a count the prose quotes with the table's own words (本年新收…N件,
共受理…申请N件) differs from the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from monitor.context import CheckContext
from monitor.evidence import cell_name, cell_ref, plain_number
from monitor.reports import ReportRow
from monitor.rules.base import FindingDraft, Rule
from nianbao import keys

NO_REQUESTS = Rule(
    "T1",
    "text_table",
    "warning",
    "正文称“{quote}”，但表格 {cell} 为 {value}",
    "正文称未收到申请，表格却有新收申请",
)
COUNT_MISMATCH = Rule(
    "T2",
    "text_table",
    "warning",
    "正文称“{quote}”，但表格 {cell} 为 {value}",
    "正文引用的申请数量与表格不一致",
)

_NO_REQUESTS = re.compile(r"(?:未|没有)(?:收到|受理)[^。；，,\d]{0,20}?申请")
_NOT_ABOUT_REQUESTS = re.compile(r"复议|诉讼|投诉|举报|信访|许可|听证")
_NEW_COUNT = re.compile(r"本年度?(?:共)?新收[^。；，\d]{0,30}?(\d+)\s*件")
_ACCEPTED_COUNT = (
    re.compile(r"共受理[^。；，\d]{0,30}?申请[^。；，\d]{0,6}?(\d+)\s*件"),
    re.compile(r"共受理[^。；，\d]{0,4}?(\d+)\s*件[^。；，\d]{0,20}?申请"),
)


def _text(r: ReportRow, numerals: tuple[str, ...]) -> str:
    parts = [str(r.sections_text.get(n) or "") for n in numerals]
    return unicodedata.normalize("NFKC", "\n".join(parts))


def _sentence(text: str, start: int, end: int) -> str:
    """The quoted words, widened to their clause, short enough for one line."""
    left = max(text.rfind(ch, 0, start) for ch in "。；\n") + 1
    right = min(
        (i for i in (text.find(ch, end) for ch in "。；\n") if i != -1),
        default=len(text),
    )
    quote = text[left:right].strip()
    return quote if len(quote) <= 60 else text[start:end]


class TextTableCheck:
    """T1 and T2 per current report with a readable section 三 table."""

    rules = (NO_REQUESTS, COUNT_MISMATCH)

    def check(self, ctx: CheckContext, r: ReportRow) -> Iterator[FindingDraft]:
        new_total = r.new_total
        if new_total is None or r.parse_status == "image_only" or not r.sections_text:
            return
        common = {
            "site_id": r.site_id,
            "agency_id": r.agency_id,
            "report_id": r.id,
            "report_year": r.report_year,
        }
        cell = cell_name(keys.REQUESTS, "new", "total", r.format)
        ref = cell_ref(keys.REQUESTS, "new", "total", new_total, None, r.format)
        if new_total > 0:
            text = _text(
                r, ("一", "二", "三", "五", "六")
            )  # not 四: that one is about appeals
            for m in _NO_REQUESTS.finditer(text):
                said = m.group(0)
                if _NOT_ABOUT_REQUESTS.search(said) or "公开" not in said:
                    continue  # e.g. 未收到行政复议申请: about appeals, not requests
                quote = _sentence(text, m.start(), m.end())
                yield NO_REQUESTS.draft(
                    **common,
                    key="no_requests",
                    evidence={"quote": quote, "cells": [ref]},
                    quote=quote,
                    cell=cell,
                    value=plain_number(new_total),
                )
                break
        text = _text(r, ("一", "二", "三"))
        accepted_ok = {new_total}
        if r.carried_in_total is not None:
            accepted_ok.add(new_total + r.carried_in_total)
        checks = [(_NEW_COUNT, {new_total}, "new_count")] + [
            (p, accepted_ok, "accepted_count") for p in _ACCEPTED_COUNT
        ]
        done: set[str] = set()
        for pattern, allowed, key in checks:
            for m in pattern.finditer(text if key not in done else ""):
                said = Decimal(m.group(1))
                if said in allowed:
                    continue
                quote = _sentence(text, m.start(), m.end())
                yield COUNT_MISMATCH.draft(
                    **common,
                    key=key,
                    evidence={"quote": quote, "text_value": int(said), "cells": [ref]},
                    quote=quote,
                    cell=cell,
                    value=plain_number(new_total),
                )
                done.add(key)
                break

    def finish(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        return iter(())
