"""``run_check``: every rule over the stored reports in scope, then the findings lifecycle."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import date
from typing import Any, cast

from monitor.context import CheckContext, chunked
from monitor.facts import refresh_stale_facts
from monitor.lifecycle import sync_findings, utcnow
from monitor.reports import load_report_rows, stream_reports
from monitor.rules import Checks, load_checks, stream_reads
from monitor.rules.base import FindingDraft, ReportCheck, SetCheck, SideCheck
from monitor.side import SideScans, can_run_beside
from monitor.stream_process import StreamChecksProcess, worth_a_process
from core.settings import Settings
from storage.db import Database
from storage.models import CheckRun

log = logging.getLogger(__name__)
REVIEW_BATCH = 500  # reports read whole at a time: within every database's bound-parameter limit


def run_check(
    db: Database, settings: Settings, as_of: date, *, site_ids: list[str] | None = None
) -> dict[str, Any]:
    """Run every rule as of ``as_of`` over the sites named (default: all) and update findings.

    Returns ``{"as_of", "sites", "reports_checked", "produced", "by_kind", "by_severity",
    "new", "open", "reopened", "resolved", "changed", "facts_refreshed", "seconds"}`` — ``open`` counts findings seen
    again, ``changed`` those whose detail or evidence was rewritten.
    """
    started = time.monotonic()
    checks = load_checks(settings.monitor.check_paths)  # a misspelt path fails here, before any work
    with db.session() as s:
        ctx = CheckContext(s, settings, as_of, site_ids)
        # Facts rows are written at ingest; this catches reports stored any other way, and
        # rows left stale by a parser or derivation change (monitor/facts.py).
        refreshed = refresh_stale_facts(ctx)
        if refreshed:
            s.commit()  # derived rows, safe to keep; and the side connection sees only commits
        run = CheckRun(at=utcnow(), as_of=as_of, sites=list(site_ids) if site_ids else None)
        s.add(run)
        s.flush()
        counts = sync_findings(
            s, _enriched(ctx, _drafts(db, ctx, checks)), site_ids=site_ids, now=run.at, run_id=run.id
        )
        checked = ctx.reports_checked
    summary = {
        "as_of": as_of.isoformat(),
        "sites": list(site_ids) if site_ids else "all",
        "reports_checked": checked,
        "produced": counts["produced"],
        "by_kind": {
            k.removeprefix("kind:"): v
            for k, v in sorted(counts.items())
            if k.startswith("kind:")
        },
        "by_severity": {
            k.removeprefix("severity:"): v
            for k, v in sorted(counts.items())
            if k.startswith("severity:")
        },
        "new": counts["new"],
        "open": counts["open"],
        "reopened": counts["reopened"],
        "resolved": counts["resolved"],
        "changed": counts["changed"],
        "facts_refreshed": refreshed,
        "seconds": round(time.monotonic() - started, 2),
    }
    log.info(
        "check as of %s: %d reports, %d findings (%d new, %d reopened, %d resolved) in %.1fs",
        as_of,
        checked,
        summary["produced"],
        summary["new"],
        summary["reopened"],
        summary["resolved"],
        summary["seconds"],
    )
    return summary


def _drafts(db: Database, ctx: CheckContext, checks: Checks) -> Iterator[FindingDraft]:
    """Every family's drafts, lane by lane (monitor/rules/base.py). Families of different kinds
    never share a fingerprint, so the order between families does not matter: those scanning
    beside the stream come last, and over a large scope the stream checks (duplicates) run in a
    child process (monitor/stream_process.py)."""
    side = SideScans(db, ctx, checks.side) if checks.side and can_run_beside(db) else None
    child = StreamChecksProcess(db, ctx, checks.stream) if checks.stream and worth_a_process(db, ctx) else None
    try:
        for family in checks.set:
            if side is None or family.lane != "side":
                yield from cast(SetCheck, family()).run(ctx)
        streamed = [cast(ReportCheck, family()) for family in checks.stream] if child is None else []
        reviewed = [cast(ReportCheck, family()) for family in checks.review]
        to_review: list[int] = []
        reads = stream_reads(checks.stream) if child is None else ()
        for row in stream_reports(ctx, sketches=child is None, reads=reads):
            ctx.reports_checked += 1
            for check in streamed:
                yield from check.check(ctx, row)
            if row.review:
                to_review.append(row.id)
                if len(to_review) >= REVIEW_BATCH:
                    yield from _review(ctx, reviewed, to_review)
                    to_review = []
        yield from _review(ctx, reviewed, to_review)
        for check in (*streamed, *reviewed):
            yield from check.finish(ctx)
        if side is not None:
            for family in checks.side:
                yield from cast(SideCheck, family()).run(ctx, side.result(family))
        if child is not None:
            yield from child.result()
    finally:
        if side is not None:
            side.close()
        if child is not None:
            child.close()


def _review(ctx: CheckContext, checks: list[ReportCheck], ids: list[int]) -> Iterator[FindingDraft]:
    """Run the review checks on the whole rows of these reports."""
    for row in load_report_rows(ctx, ids) if ids else ():
        for check in checks:
            yield from check.check(ctx, row)


def _enriched(
    ctx: CheckContext, drafts: Iterator[FindingDraft]
) -> Iterator[FindingDraft]:
    """Add who/where to each draft's evidence, looked up in batches (names, region, URL, copy)."""
    for batch in chunked(drafts, 1000):
        sources = ctx.report_sources(
            d.report_id for d in batch if d.report_id is not None
        )
        for d in batch:
            info = ctx.agencies.get(d.agency_id) if d.agency_id is not None else None
            site_name, region = ctx.sites.get(d.site_id or "", ("", ""))
            who: dict[str, Any] = {
                "site": d.site_id,
                "site_name": site_name,
                "region": region,
            }
            if info is not None:
                who.update(agency=info.name, level=info.level)
            if d.report_id is not None and d.report_id in sources:
                url, sha, _ = sources[d.report_id]
                who.update(
                    report_id=d.report_id,
                    source_url=url,
                    raw_sha256=sha,
                    stored_copy=ctx.stored_copy(sha),
                )
            d.evidence = {**who, **d.evidence}
            yield d


__all__ = ["run_check"]
