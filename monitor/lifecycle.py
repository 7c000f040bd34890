"""Findings across runs: match drafts to stored findings by fingerprint and move their status.

    (not stored) → new → open (seen again) → resolved (not produced by a run of the same scope)
    resolved → reopened (produced again) → open

Acknowledgement survives every transition. ``notified_at`` is cleared whenever a finding changes
in a way a reader should hear about (reopened, resolved), so the next digest shows it again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session

from monitor.context import chunked
from monitor.kinds import OPEN_STATUSES, SEVERITY_LABELS, STATUS_LABELS, kind_label
from monitor.rules.base import FindingDraft, refiled_fingerprint
from core.china_time import local_time
from storage.db import Database
from storage.models import Finding, FindingEvent

BATCH = 1000
# A finding's content besides its evidence: rewritten (and counted ``changed``) when it differs.
CONTENT = (
    "kind",
    "rule",
    "severity",
    "detail",
    "site_id",
    "agency_id",
    "report_id",
    "report_year",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def sync_findings(
    session: Session,
    drafts: Iterable[FindingDraft],
    *,
    site_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    run_id: int | None = None,
) -> Counter[str]:
    """Store this run's drafts and resolve what the run no longer produces (within its sites).
    Each new, reopened and resolved finding gets a ``FindingEvent`` of check run ``run_id``.

    Set-based: per batch of drafts, one SELECT of the stored findings, one bulk INSERT of the new
    ones and bulk UPDATEs of the seen ones (content rewritten only when it changed, compared as
    stored JSON text). Returns counters: ``new``, ``open`` (seen again), ``reopened``,
    ``resolved``, ``changed`` (content rewritten), ``kind:<kind>``, ``severity:<severity>`` and ``produced``.
    """
    now = now or utcnow()
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    for batch in chunked(drafts, BATCH):
        fresh = []
        for d in batch:
            # A rule may see one thing twice (e.g. two quoted counts): keep the first.
            if d.fingerprint not in seen:
                seen.add(d.fingerprint)
                fresh.append(d)
        stored = {
            row.fingerprint: row
            for row in session.execute(
                select(
                    Finding.id,
                    Finding.fingerprint,
                    Finding.status,
                    *(getattr(Finding, k) for k in CONTENT),
                    cast(Finding.evidence, Text).label("evidence"),
                ).where(Finding.fingerprint.in_([d.fingerprint for d in fresh]))
            )
        }
        inserts: list[dict[str, Any]] = []
        touched: list[dict[str, Any]] = []
        reopened: list[int] = []
        changed: list[dict[str, Any]] = []
        for d in fresh:
            counts["produced"] += 1
            counts[f"kind:{d.kind}"] += 1
            counts[f"severity:{d.severity}"] += 1
            row = stored.get(d.fingerprint)
            content = {k: getattr(d, k) for k in CONTENT}
            if row is None:
                inserts.append(
                    {
                        **content,
                        "fingerprint": d.fingerprint,
                        "status": "new",
                        "evidence": d.evidence,
                        "first_seen": now,
                        "last_seen": now,
                        "acknowledged": False,
                    }
                )
                counts["new"] += 1
                continue
            if row.status == "resolved":
                status = "reopened"
                reopened.append(row.id)
            else:
                status = "open"
            counts[status] += 1
            touched.append({"b_id": row.id, "b_status": status})
            # Compared as stored text: json.dumps is how SQLAlchemy's JSON type writes it.
            same = row.evidence == json.dumps(d.evidence)
            if not same or any(getattr(row, k) != v for k, v in content.items()):
                changed.append(
                    {
                        "b_id": row.id,
                        **{f"b_{k}": v for k, v in content.items()},
                        "b_evidence": d.evidence,
                    }
                )
        if inserts:
            session.execute(insert(Finding), inserts)
            added = session.scalars(select(Finding.id).where(Finding.fingerprint.in_([r["fingerprint"] for r in inserts])))
            _record(session, list(added), "new", now, run_id)
        _record(session, reopened, "reopened", now, run_id)
        if touched:
            session.execute(_TOUCH.values(last_seen=now), touched)
        for ids in chunked(reopened):
            session.execute(
                update(Finding)
                .where(Finding.id.in_(ids))
                .values(resolved_at=None, notified_at=None)
            )
        if changed:
            session.execute(_REWRITE, changed)
            counts["changed"] += len(changed)
    q = select(Finding.id, Finding.fingerprint).where(Finding.status.in_(OPEN_STATUSES))
    if site_ids:
        q = q.where(Finding.site_id.in_(list(site_ids)))
    gone = [fid for fid, fp in session.execute(q) if fp not in seen]
    for ids in chunked(gone):
        session.execute(
            update(Finding)
            .where(Finding.id.in_(ids))
            .values(status="resolved", resolved_at=now, notified_at=None)
        )
    _record(session, gone, "resolved", now, run_id)
    counts["resolved"] += len(gone)
    return counts


def _record(
    session: Session, ids: Sequence[int], event: str, at: datetime, run_id: int | None = None, detail: str | None = None
) -> None:
    """One ``FindingEvent`` per finding of ``ids`` (executemany, in batches)."""
    for batch in chunked(ids, BATCH):
        session.execute(
            insert(FindingEvent),
            [{"finding_id": i, "check_run_id": run_id, "at": at, "event": event, "detail": detail} for i in batch],
        )


# Core executemany statements (ORM-free: hundreds of thousands of findings stay cheap).
_TOUCH = (
    update(Finding.__table__)
    .where(Finding.__table__.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"))
)
_REWRITE = (
    update(Finding.__table__)
    .where(Finding.__table__.c.id == bindparam("b_id"))
    .values(**{k: bindparam(f"b_{k}") for k in (*CONTENT, "evidence")})
)


def acknowledge(db: Database, finding_id: int, reason: str) -> Finding:
    """Mark a finding as known and accepted (it stays listed, but digests stop pressing it)."""
    with db.session() as s:
        f = s.get(Finding, finding_id)
        if f is None:
            raise LookupError(f"no finding with id {finding_id}")
        f.acknowledged, f.ack_reason = True, reason
        _record(s, [f.id], "acknowledged", utcnow(), detail=reason)
        s.flush()
        return f


def resolve_for_report(s: Session, report_id: int, kind: str, reason: str, now: datetime | None = None) -> list[int]:
    """Resolve the open findings of ``kind`` about one report because an officer settled them
    (e.g. `nianbao assign-agency` named the body of an unnamed report); ``reason`` is kept as the
    acknowledgement's reason. Returns their ids."""
    found = s.scalars(
        select(Finding).where(Finding.report_id == report_id, Finding.kind == kind, Finding.status.in_(OPEN_STATUSES))
    ).all()
    now = now or utcnow()
    for f in found:
        f.status, f.resolved_at, f.notified_at = "resolved", now, None
        f.acknowledged, f.ack_reason = True, reason
    _record(s, [f.id for f in found], "acknowledged", now, detail=reason)
    _record(s, [f.id for f in found], "resolved", now)
    s.flush()
    return [f.id for f in found]


def follow_report(
    s: Session, report_id: int, from_agency: int, to_agency: int, *, evidence: dict[str, Any], except_kinds: Sequence[str] = ()
) -> tuple[list[int], list[int]]:
    """Let the findings about one report's content follow it when it is re-filed from agency
    ``from_agency`` to ``to_agency`` (`nianbao assign-agency`): each keeps its id, history, status
    and acknowledgement, and takes the identity the next check gives it under the new body (so
    that check sees it again instead of resolving it and opening a new one). ``evidence`` (the
    new body's name and level) is written into its evidence at once; the check rewrites the rest.
    Findings of ``except_kinds`` (about the filing itself) stay where they are.

    When the new body already has a finding of that identity (e.g. about an earlier report of
    the year), that one is kept: it takes over an acknowledgement it lacks, and the report's own
    finding stays behind to resolve at the next check. Returns (moved ids, ids whose
    acknowledgement went to the body's finding)."""
    found = s.scalars(
        select(Finding).where(
            Finding.report_id == report_id, Finding.agency_id == from_agency, Finding.kind.not_in(list(except_kinds))
        ).order_by(Finding.id)
    ).all()
    targets = {f.id: refiled_fingerprint(f.fingerprint, to_agency) for f in found}
    taken = {
        t.fingerprint: t for t in s.scalars(select(Finding).where(Finding.fingerprint.in_(list(targets.values()))))
    }
    moved: list[int] = []
    handed: list[int] = []
    for f in found:
        target = taken.get(targets[f.id])
        if target is None:
            f.fingerprint, f.agency_id, f.evidence = targets[f.id], to_agency, {**(f.evidence or {}), **evidence}
            moved.append(f.id)
        elif f.acknowledged and not target.acknowledged:
            target.acknowledged, target.ack_reason = True, f.ack_reason
            handed.append(f.id)
            _record(s, [target.id], "acknowledged", utcnow(), detail=f.ack_reason)
    _record(s, moved, "moved", utcnow(), detail=evidence.get("agency"))
    s.flush()
    return moved, handed


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the CLI prints it (JSON/CSV/table) and digests show it."""
    ev = dict(finding.evidence or {})
    return {
        "id": finding.id,
        "fingerprint": finding.fingerprint,
        "kind": finding.kind,
        "kind_label": kind_label(finding.kind, ev.get("kind_label")),
        "rule": finding.rule,
        "severity": finding.severity,
        "severity_label": SEVERITY_LABELS.get(finding.severity, finding.severity),
        "status": finding.status,
        "status_label": STATUS_LABELS.get(finding.status, finding.status),
        "site": finding.site_id,
        "site_name": ev.get("site_name"),
        "region": ev.get("region"),
        "agency": ev.get("agency"),
        "agency_id": finding.agency_id,
        "level": ev.get("level"),
        "report_id": finding.report_id,
        "report_year": finding.report_year,
        "detail": finding.detail,
        "cells": list(ev.get("cells") or []),
        "evidence": ev,
        "source_url": ev.get("source_url"),
        "stored_copy": ev.get("stored_copy"),
        "first_seen": local_time(finding.first_seen),
        "last_seen": local_time(finding.last_seen),
        "resolved_at": local_time(finding.resolved_at),
        "acknowledged": bool(finding.acknowledged),
        "ack_reason": finding.ack_reason,
        "notified_at": local_time(finding.notified_at),
    }
