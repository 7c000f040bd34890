"""Delivery: every digest is written to the outbox (files + a row) before any attempt to send.

Statuses: ``pending`` (to be sent), ``sent`` (SMTP or the chat robot accepted it; its Message-ID
is kept, so it is never sent again), ``written`` (no SMTP configured: the files are the delivery),
``uncertain`` (the connection failed after the whole message went out: the server may have it;
never resent on our own, ``resend_uncertain`` puts it back to ``pending`` when an operator says so).

A recipient's group-chat channels (DingTalk, WeCom, Feishu) get one more outbox row each per
digest, with the card written beside the e-mail (``….chat-<type>-<n>.json``); their Message-ID
begins with ``<chat.``, which keeps them out of the SMTP queue. They are sent whether or not SMTP
is configured, under the same rules: written first, retried, never sent twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.channels import ChatSender, build_card
from monitor.context import chunked
from monitor.digest.message import build_message
from monitor.digest.model import Digest
from monitor.digest.smtp import SendResult, SmtpNotifier
from core.settings import ChatChannel, Settings
from storage.atomic import write_atomic
from storage.db import Database
from storage.models import Finding, Outbox

log = logging.getLogger(__name__)
DEFAULT_SENDER = "nianbao@localhost"
CHAT_PREFIX = "<chat."  # Message-ID prefix of group-chat card rows


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
    "pending", "previews": [{"recipient", "subject", "text"}]}``, plus ``chat_sent``,
    ``chat_failed`` and ``chat``, per channel type ``{"sent", "failed", "uncertain", "pending"}``
    (``failed`` includes ``uncertain``), when group-chat channels are configured (previews only
    on a dry run, which writes and sends nothing; ``pending`` counts every message still waiting
    to be sent).
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
            # In the e-mail's transaction: the findings are never marked notified without their cards.
            _queue_chat_cards(s, settings, d, folder, stem, msg["Message-ID"], now)
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
    if any(r.channels for r in settings.recipients) or _pending_count(db, _is_chat()):
        by_channel: dict[str, dict[str, int]] = {}
        chat = retry_chat_pending(db, settings, backoff=backoff, by_channel=by_channel)
        for kind, n in _chat_pending_by_channel(db).items():
            by_channel.setdefault(kind, _channel_tally())["pending"] = n
        result.update(
            chat_sent=chat["sent"],
            chat_failed=chat["failed"],
            chat=by_channel,
            pending=result["pending"] + _pending_count(db, _is_chat()),
        )
    return result


def _channel_tally() -> dict[str, int]:
    return {"sent": 0, "failed": 0, "uncertain": 0, "pending": 0}


def chat_channel_of(message_id: str) -> str:
    """The channel type (dingtalk, wecom, feishu) of a group-chat card row's Message-ID."""
    return message_id[len(CHAT_PREFIX):].split(".", 1)[0]


def _chat_pending_by_channel(db: Database) -> dict[str, int]:
    with db.session() as s:
        ids = s.scalars(select(Outbox.message_id).where(Outbox.status == "pending", _is_chat()))
        counts: dict[str, int] = {}
        for mid in ids:
            counts[chat_channel_of(mid)] = counts.get(chat_channel_of(mid), 0) + 1
        return counts


def _queue_chat_cards(
    s: Session, settings: Settings, d: Digest, folder: Path, stem: str, message_id: str, now: datetime
) -> None:
    """One outbox row (and card file) per group-chat channel of the digest's recipient."""
    recipient = next((r for r in settings.recipients if r.email == d.recipient), None)
    if recipient is None or not recipient.channels:
        return
    # ``site_url`` (where the officers' static site is published) is the site branch's setting;
    # read so that the card links to it once both are merged, and works without it.
    card = build_card(d.subject, d.summary, d.counts, getattr(settings, "site_url", None))
    token = hashlib.sha1(message_id.encode()).hexdigest()[:16]
    for n, ch in enumerate(recipient.channels):
        path = folder / f"{stem}.chat-{ch.type}-{n}.json"
        stored = {"channel": {"type": ch.type, "webhook_env": ch.webhook_env}, "card": card}
        write_atomic(path, json.dumps(stored, ensure_ascii=False, indent=1).encode("utf-8"))
        s.add(
            Outbox(
                recipient=d.recipient,
                as_of=d.as_of,
                subject=f"[{ch.type}] {d.subject}"[:500],
                message_id=f"{CHAT_PREFIX}{ch.type}.{n}.{token}@nianbao>",
                eml_path=str(path),
                html_path=str(path),
                created_at=now,
                status="pending",
                attempts=0,
                finding_ids=[],
            )
        )


def retry_chat_pending(
    db: Database,
    settings: Settings,
    *,
    backoff: float | None = None,
    by_channel: dict[str, dict[str, int]] | None = None,
) -> dict[str, int]:
    """Send every pending group-chat card (oldest first). Returns ``{"sent", "failed"}``; when
    ``by_channel`` is given, adds to it per channel type ``{"sent", "failed", "uncertain", …}``."""

    def send(row: Outbox) -> Any:
        try:
            stored = json.loads(Path(row.eml_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return SendResult(False, 0, f"outbox file unreadable: {exc}")
        channel = _configured_channel(settings, row.recipient, stored["channel"])
        if channel is None:  # kept pending, not dropped: the operator may put the channel back
            return SendResult(False, 0, "channel no longer configured for this recipient")
        return ChatSender(channel, backoff=backoff).send(stored["card"])

    def tally(row: Outbox, outcome: str) -> None:
        if by_channel is not None:
            counts = by_channel.setdefault(chat_channel_of(row.message_id), _channel_tally())
            counts["sent" if outcome == "sent" else "failed"] += 1
            counts["uncertain"] += outcome == "uncertain"

    return _drain(db, _is_chat(), send, tally)


def _drain(
    db: Database, where: Any, send: Callable[[Outbox], Any], tally: Callable[[Outbox, str], None] | None = None
) -> dict[str, int]:
    """Offer each pending row that ``where`` selects to ``send`` (oldest first), one transaction
    per row; a row sent meanwhile by another process is skipped, so nothing goes twice.
    ``tally(row, "sent" | "failed" | "uncertain")`` hears each outcome."""
    counts = {"sent": 0, "failed": 0}
    with db.session() as s:
        ids = list(
            s.scalars(select(Outbox.id).where(Outbox.status == "pending", where).order_by(Outbox.id))
        )
    for oid in ids:
        with db.session() as s:
            row = s.get(Outbox, oid)
            if row is None or row.status != "pending":  # sent meanwhile: never twice
                continue
            outcome = send(row)  # .ok, .attempts, .error (and .uncertain for e-mail)
            ok, error = outcome.ok, outcome.error
            row.attempts = (row.attempts or 0) + outcome.attempts
            if getattr(outcome, "uncertain", False):
                row.status, row.last_error = "uncertain", (error or "")[:2000]
                counts["failed"] += 1
                outcome_name = "uncertain"
                log.warning("digest %s to %s may have been delivered: not resent (%s)", row.message_id, row.recipient, error)
            elif ok:
                row.status, row.sent_at, row.last_error = "sent", _now(), None
                counts["sent"] += 1
                outcome_name = "sent"
                log.info("digest %s sent to %s", row.message_id, row.recipient)
            else:
                row.last_error = (error or "unknown error")[:2000]
                counts["failed"] += 1
                outcome_name = "failed"
                log.warning(
                    "digest %s to %s stays pending: %s",
                    row.message_id,
                    row.recipient,
                    row.last_error,
                )
            if tally is not None:
                tally(row, outcome_name)
    return counts


def _configured_channel(settings: Settings, email: str, ref: dict[str, Any]) -> ChatChannel | None:
    for r in settings.recipients:
        if r.email == email:
            for ch in r.channels:
                if ch.type == ref.get("type") and ch.webhook_env == ref.get("webhook_env"):
                    return ch
    return None


def _is_chat() -> Any:
    return Outbox.message_id.like(f"{CHAT_PREFIX}%")


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
    """Send every pending e-mail in the outbox (oldest first; group-chat cards go by
    ``retry_chat_pending``). Returns ``{"sent", "failed", "pending"}``."""
    counts = {"sent": 0, "failed": 0, "pending": 0}
    if settings.smtp is None:
        counts["pending"] = _pending_count(db, ~_is_chat())
        return counts
    notifier = SmtpNotifier(settings.smtp, backoff=backoff)

    def send(row: Outbox) -> SendResult:
        try:
            raw = Path(row.eml_path).read_bytes()
        except OSError as exc:
            return SendResult(False, 0, f"outbox file unreadable: {exc}")
        return notifier.send(raw, row.recipient)

    # Group-chat cards go by their own channel, never by SMTP.
    counts.update(_drain(db, ~_is_chat(), send))
    counts["pending"] = _pending_count(db, ~_is_chat())
    return counts


def resend_uncertain(db: Database) -> int:
    """Put every ``uncertain`` e-mail and group-chat card back to ``pending`` (an operator checked
    it did not arrive); the next delivery sends it (an e-mail with its Message-ID unchanged).
    Returns how many."""
    with db.session() as s:
        result = s.execute(update(Outbox).where(Outbox.status == "uncertain").values(status="pending"))
        return int(result.rowcount or 0)


def chat_backlog(db: Database, recipient: str) -> dict[str, dict[str, int]]:
    """The recipient's earlier group-chat cards not delivered, per channel type:
    ``{"pending": n, "uncertain": n}`` (pending: left for retry; uncertain: may have arrived)."""
    out: dict[str, dict[str, int]] = {}
    with db.session() as s:
        q = select(Outbox.message_id, Outbox.status).where(
            Outbox.recipient == recipient, Outbox.status.in_(("pending", "uncertain")), _is_chat()
        )
        for mid, status in s.execute(q):
            counts = out.setdefault(chat_channel_of(mid), {"pending": 0, "uncertain": 0})
            counts[status] += 1
    return out


def uncertain_count(db: Database) -> int:
    """E-mails and group-chat cards whose delivery is uncertain (see ``resend_uncertain``)."""
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "uncertain")) or 0)


def _pending_count(db: Database, *where: Any) -> int:
    with db.session() as s:
        q = select(func.count()).select_from(Outbox).where(Outbox.status == "pending", *where)
        return s.scalar(q) or 0


def _stem(d: Digest, message_id: str) -> str:
    who = re.sub(r"[^A-Za-z0-9._-]+", "_", d.recipient)
    token = hashlib.sha1(message_id.encode()).hexdigest()[:10]
    return f"{d.as_of.strftime('%Y%m%d')}-{who}-{token}"


