"""Text against table: cheap, certain contradictions between the prose and section 三's table.

Only two things are checked, both unambiguous: the prose says no request was received while the
table counts new requests; and a count the prose quotes with the table's own words (本年新收…N件,
共受理…申请N件) differs from the table. The prose is read once, when the report is stored
(``text_claims``, kept in ``report_facts``); a check only compares those claims with the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from monitor.context import CheckContext
from monitor.evidence import cell_name, cell_ref, plain_number
from monitor.reports import ReportRow
from monitor.rules.base import FindingDraft, Rule
from core import keys

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


def _text(sections_text: dict[str, Any], numerals: tuple[str, ...]) -> str:
    parts = [str(sections_text.get(n) or "") for n in numerals]
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


def text_claims(sections_text: dict[str, Any]) -> dict[str, Any] | None:
    """What the prose says that the table can contradict, read once when the report is stored
    (monitor/facts.py): the first "no request received" clause, and every count quoted with the
    table's own words, in text order per pattern. None when the prose says none of it."""
    if not sections_text:
        return None
    no_requests = None
    text = _text(sections_text, ("一", "二", "三", "五", "六"))  # not 四: that one is about appeals
    for m in _NO_REQUESTS.finditer(text):
        said = m.group(0)
        if _NOT_ABOUT_REQUESTS.search(said) or "公开" not in said:
            continue  # e.g. 未收到行政复议申请: about appeals, not requests
        no_requests = _sentence(text, m.start(), m.end())
        break
    text = _text(sections_text, ("一", "二", "三"))
    patterns = [(_NEW_COUNT, "new_count")] + [(p, "accepted_count") for p in _ACCEPTED_COUNT]
    counts = [
        [key, [[m.group(1), _sentence(text, m.start(), m.end())] for m in pattern.finditer(text)]]
        for pattern, key in patterns
    ]
    if no_requests is None and not any(found for _, found in counts):
        return None
    return {"no_requests": no_requests, "counts": counts}


def _ref(r: ReportRow) -> dict[str, Any]:
    """The evidence cell, built only when a finding is made (most reports make none)."""
    return cell_ref(keys.REQUESTS, "new", "total", r.new_total, None, r.format)


def _mismatches(
    claims: dict[str, Any], new_total: Decimal, carried_in_total: Decimal | None
) -> list[tuple[str, Decimal, str]]:
    """The first quoted count of each kind that the table contradicts: (kind, count, quote)."""
    accepted_ok = {new_total}
    if carried_in_total is not None:
        accepted_ok.add(new_total + carried_in_total)
    out: list[tuple[str, Decimal, str]] = []
    done: set[str] = set()
    for key, found in claims.get("counts", ()):
        if key in done:
            continue
        allowed = {new_total} if key == "new_count" else accepted_ok
        for digits, quote in found:
            said = Decimal(digits)
            if said in allowed:
                continue
            out.append((key, said, quote))
            done.add(key)
            break
    return out


def may_conflict(
    parse_status: str, claims: dict[str, Any] | None, new_total: Decimal | None, carried_in_total: Decimal | None
) -> bool:
    """Whether T1 or T2 fires for a report with these claims and section 三 totals (false for the
    usual report, whose prose agrees with its table). Decided when its ``report_facts`` row is
    derived, so a check reads only such reports whole."""
    if new_total is None or parse_status == "image_only" or not claims:
        return False
    return bool(_mismatches(claims, new_total, carried_in_total)) or bool(new_total > 0 and claims.get("no_requests"))


class TextTableCheck:
    """T1 and T2 per current report with a readable section 三 table."""

    lane = "review"
    rules = (NO_REQUESTS, COUNT_MISMATCH)

    def check(self, ctx: CheckContext, r: ReportRow) -> Iterator[FindingDraft]:
        new_total, claims = r.new_total, r.text_claims
        if not may_conflict(r.parse_status, claims, new_total, r.carried_in_total):
            return  # the usual report: the prose agrees with the table
        assert new_total is not None and claims  # may_conflict said so
        quote = claims.get("no_requests")
        mismatches = _mismatches(claims, new_total, r.carried_in_total)
        common = {
            "site_id": r.site_id,
            "agency_id": r.agency_id,
            "report_id": r.id,
            "report_year": r.report_year,
        }
        if new_total > 0 and quote:
            yield NO_REQUESTS.draft(
                **common,
                key="no_requests",
                evidence={"quote": quote, "cells": [_ref(r)]},
                quote=quote,
                cell=cell_name(keys.REQUESTS, "new", "total", r.format),
                value=plain_number(new_total),
            )
        for key, said, quote in mismatches:
            yield COUNT_MISMATCH.draft(
                **common,
                key=key,
                evidence={"quote": quote, "text_value": int(said), "cells": [_ref(r)]},
                quote=quote,
                cell=cell_name(keys.REQUESTS, "new", "total", r.format),
                value=plain_number(new_total),
            )

    def finish(self, ctx: CheckContext) -> Iterator[FindingDraft]:
        return iter(())
