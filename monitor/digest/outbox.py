"""Delivery: every digest is written to the outbox (files + a row) before any attempt to send.

Statuses: ``pending`` (to be sent), ``sent`` (SMTP accepted it; its Message-ID is kept, so it is
never sent again), ``written`` (no SMTP configured: the files are the delivery).
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from monitor.context import chunked
from monitor.digest.message import build_message
from monitor.digest.model import Digest
from monitor.digest.smtp import SmtpNotifier
from core.settings import Settings
from storage.atomic import write_atomic
from storage.db import Database
from storage.models import Finding, Outbox

log = logging.getLogger(__name__)
DEFAULT_SENDER = "nianbao@localhost"


def _now() -> datetime:
    return datetime.now(UTC)


def deliver_digests(
    db: Database,
    settings: Settings,
    digests: list[Digest],
    *,
    dry_run: bool = False,
    backoff: float | None = None,
) -> dict[str, Any]:
    """Write each digest to the outbox (``.eml`` + ``.html`` + an Outbox row), mark its findings
    notified, then send everything pending when SMTP is configured.

    A digest with no new or changed findings is skipped (counted in ``skipped``) when one for the
    same recipient and check date is already in the outbox.

    Returns ``{"dry_run", "digests", "written": n, "skipped", "paths": [eml paths], "sent", "failed",
    "pending", "previews": [{"recipient", "subject", "text"}]}`` (previews only on a dry run,
    which writes and sends nothing; ``pending`` counts every message still waiting to be sent).
    """
    result: dict[str, Any] = {
        "dry_run": dry_run,
        "digests": len(digests),
        "written": 0,
        "skipped": 0,
        "paths": [],
        "sent": 0,
        "failed": 0,
        "pending": 0,
        "previews": [],
    }
    if dry_run:
        result["previews"] = [
            {"recipient": d.recipient, "subject": d.subject, "text": d.text}
            for d in digests
        ]
        return result
    sender = settings.smtp.sender if settings.smtp else DEFAULT_SENDER
    folder = settings.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    for d in digests:
        if not d.finding_ids and _already_written(db, d):
            # Nothing new since a digest for this recipient and date: writing it again would
            # only duplicate the outbox (and the officer's inbox).
            result["skipped"] += 1
            continue
        msg = build_message(d, sender)
        stem = _stem(d, msg["Message-ID"])
        eml, html = folder / f"{stem}.eml", folder / f"{stem}.html"
        write_atomic(eml, msg.as_bytes())
        write_atomic(html, d.html.encode("utf-8"))
        now = _now()
        with db.session() as s:
            s.add(
                Outbox(
                    recipient=d.recipient,
                    as_of=d.as_of,
                    subject=d.subject[:500],
                    message_id=msg["Message-ID"],
                    eml_path=str(eml),
                    html_path=str(html),
                    created_at=now,
                    status="pending" if settings.smtp else "written",
                    attempts=0,
                    finding_ids=list(d.finding_ids),
                )
            )
            for ids in chunked(d.finding_ids):
                s.execute(
                    update(Finding).where(Finding.id.in_(ids)).values(notified_at=now)
                )
        result["written"] += 1
        result["paths"].append(str(eml))
        log.info("digest for %s written to %s", d.recipient, eml)
    if settings.smtp:
        sent = retry_pending(db, settings, backoff=backoff)
        result.update(sent=sent["sent"], failed=sent["failed"], pending=sent["pending"])
    return result


def _already_written(db: Database, d: Digest) -> bool:
    """True when the outbox already holds a digest for this recipient and check date."""
    with db.session() as s:
        return (
            s.scalar(
                select(Outbox.id)
                .where(Outbox.recipient == d.recipient, Outbox.as_of == d.as_of)
                .limit(1)
            )
            is not None
        )


def retry_pending(
    db: Database, settings: Settings, *, backoff: float | None = None
) -> dict[str, int]:
    """Send every pending outbox message (oldest first). Returns ``{"sent", "failed", "pending"}``."""
    counts = {"sent": 0, "failed": 0, "pending": 0}
    if settings.smtp is None:
        counts["pending"] = _pending_count(db)
        return counts
    notifier = SmtpNotifier(settings.smtp, backoff=backoff)
    with db.session() as s:
        ids = list(
            s.scalars(
                select(Outbox.id).where(Outbox.status == "pending").order_by(Outbox.id)
            )
        )
    for oid in ids:
        with db.session() as s:
            row = s.get(Outbox, oid)
            if row is None or row.status != "pending":  # sent meanwhile: never twice
                continue
            try:
                raw = Path(row.eml_path).read_bytes()
            except OSError as exc:
                row.last_error = f"outbox file unreadable: {exc}"
                counts["failed"] += 1
                continue
            outcome = notifier.send(raw, row.recipient)
            row.attempts = (row.attempts or 0) + outcome.attempts
            if outcome.ok:
                row.status, row.sent_at, row.last_error = "sent", _now(), None
                counts["sent"] += 1
                log.info("digest %s sent to %s", row.message_id, row.recipient)
            else:
                row.last_error = (outcome.error or "unknown error")[:2000]
                counts["failed"] += 1
                log.warning(
                    "digest %s to %s stays pending: %s",
                    row.message_id,
                    row.recipient,
                    row.last_error,
                )
    counts["pending"] = _pending_count(db)
    return counts


def _pending_count(db: Database) -> int:
    with db.session() as s:
        q = select(func.count()).select_from(Outbox).where(Outbox.status == "pending")
        return s.scalar(q) or 0


def _stem(d: Digest, message_id: str) -> str:
    who = re.sub(r"[^A-Za-z0-9._-]+", "_", d.recipient)
    token = hashlib.sha1(message_id.encode()).hexdigest()[:10]
    return f"{d.as_of.strftime('%Y%m%d')}-{who}-{token}"


