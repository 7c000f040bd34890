"""Delivery through a real SMTP server on loopback: headers, both parts, never lost, never twice."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from monitor.check import run_check
from monitor.digest import build_digests, deliver_digests, retry_pending
from storage.models import Outbox
from tests.monitor_factory import add_unbalanced_report, make_db, make_settings
from tests.ports import free_port

AS_OF = date(2025, 6, 30)



class Recorder:
    """An SMTP handler that keeps what it accepts and can refuse DATA with 451 on demand."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = False
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
            )
        )
        return "250 OK"


@pytest.fixture
def smtp_server():
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def setup(tmp_path, port: int | None):
    db = make_db(tmp_path)
    extra = (
        {
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "nianbao@monitor.example.org",
                "username_env": None,
                "password_env": None,
                "timeout": 5,
                "retries": 1,
            }
        }
        if port
        else {}
    )
    settings = make_settings(
        tmp_path,
        monitor={"first_year": 2024},
        recipients=[
            {"email": "officer@example.org", "name": "王科长", "regions": ["浙江省"]}
        ],
        **extra,
    )
    add_unbalanced_report(db)
    run_check(db, settings, AS_OF)
    return db, settings


def outbox_rows(db):
    with db.session() as s:
        return [
            (r.status, r.attempts, r.message_id, r.last_error)
            for r in s.query(Outbox).order_by(Outbox.id)
        ]


def test_digest_received_by_smtp_server(tmp_path, smtp_server):
    handler, port = smtp_server
    db, settings = setup(tmp_path, port)
    result = deliver_digests(
        db, settings, build_digests(db, settings, AS_OF), backoff=0
    )
    assert result["sent"] == 1 and result["pending"] == 0
    [(mail_from, rcpts, raw)] = handler.messages
    assert mail_from == "nianbao@monitor.example.org" and rcpts == [
        "officer@example.org"
    ]
    assert (
        b"=?utf-8?" in raw.split(b"\r\n\r\n")[0].lower()
    )  # the Chinese subject is RFC 2047-encoded
    msg = message_from_bytes(raw, policy=default)
    assert msg["Subject"].startswith("《政府信息公开工作年度报告监测摘要》")
    assert "王科长" in str(msg["To"]) and "officer@example.org" in str(msg["To"])
    assert "nianbao@monitor.example.org" in str(msg["From"])
    assert msg["Message-ID"].endswith("@monitor.example.org>")
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert (
        "勾稽关系不符" in plain
        and "三、（七）总计·总计 为 13" in plain
        and "https://xihu.gov.cn/" in plain
    )
    assert "勾稽关系不符" in html and '<a href="https://xihu.gov.cn/' in html
    [(status, attempts, message_id, _)] = outbox_rows(db)
    assert status == "sent" and attempts == 1 and message_id == msg["Message-ID"]
    # A second delivery run has nothing pending: the digest is never sent twice.
    assert retry_pending(db, settings, backoff=0) == {
        "sent": 0,
        "failed": 0,
        "pending": 0,
    }
    assert len(handler.messages) == 1


def test_refused_then_accepted_nothing_lost_nothing_twice(tmp_path, smtp_server):
    handler, port = smtp_server
    db, settings = setup(tmp_path, port)
    handler.refuse = True
    result = deliver_digests(
        db, settings, build_digests(db, settings, AS_OF), backoff=0
    )
    assert (
        result["sent"] == 0 and result["pending"] == 1 and handler.refused == 2
    )  # retried once
    [(status, attempts, message_id, error)] = outbox_rows(db)
    assert status == "pending" and attempts == 2 and "451" in error
    assert list(settings.outbox_dir.glob("*.eml")) and list(
        settings.outbox_dir.glob("*.html")
    )
    handler.refuse = False
    assert retry_pending(db, settings, backoff=0)["sent"] == 1
    assert retry_pending(db, settings, backoff=0)["sent"] == 0
    [(_, _, raw)] = handler.messages
    assert message_from_bytes(raw, policy=default)["Message-ID"] == message_id
    assert outbox_rows(db)[0][0] == "sent"


def test_server_down_then_up(tmp_path):
    port = free_port()
    db, settings = setup(tmp_path, port)
    result = deliver_digests(
        db, settings, build_digests(db, settings, AS_OF), backoff=0
    )
    assert result["pending"] == 1 and outbox_rows(db)[0][0] == "pending"
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert retry_pending(db, settings, backoff=0)["sent"] == 1
        assert retry_pending(db, settings, backoff=0)["sent"] == 0
    finally:
        controller.stop()
    assert len(handler.messages) == 1


def test_no_smtp_writes_outbox_files(tmp_path):
    db, settings = setup(tmp_path, None)
    result = deliver_digests(db, settings, build_digests(db, settings, AS_OF))
    [eml] = result["paths"]
    assert result["written"] == 1
    raw = Path(eml).read_bytes()
    msg = message_from_bytes(raw, policy=default)
    assert msg["Subject"].startswith("《政府信息公开工作年度报告监测摘要》")
    html_files = list(settings.outbox_dir.glob("*.html"))
    assert len(html_files) == 1 and "勾稽关系不符" in html_files[0].read_text(
        encoding="utf-8"
    )
    assert outbox_rows(db)[0][0] == "written"
    assert retry_pending(db, settings) == {"sent": 0, "failed": 0, "pending": 0}


def test_unchanged_digest_for_same_date_is_not_written_twice(tmp_path, smtp_server):
    handler, port = smtp_server
    db, settings = setup(tmp_path, port)
    first = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
    assert (first["written"], first["sent"]) == (1, 1)
    # Same date, nothing new: the officer already has this digest.
    again = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
    assert (again["written"], again["skipped"], again["sent"]) == (0, 1, 0)
    assert len(handler.messages) == 1 and len(outbox_rows(db)) == 1
    # A later date is a new digest (a reminder of what is still open), even with nothing new.
    later = deliver_digests(
        db, settings, build_digests(db, settings, date(2025, 7, 7)), backoff=0
    )
    assert (later["written"], later["sent"]) == (1, 1)
    body = message_from_bytes(handler.messages[-1][2], policy=default).get_body(("plain",))
    assert "新发现 0 条，未解决共 3 条" in body.get_content()


class SlowRecorder(Recorder):
    """Answers 250 to the end of a message only after the client has stopped waiting."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        await asyncio.sleep(self.delay)
        return "250 OK"


@pytest.mark.cpu_contention
def test_a_server_slower_than_the_data_timeout_gets_the_digest_once(tmp_path):
    from monitor.digest.outbox import resend_uncertain

    handler = SlowRecorder(delay=3)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        db, settings = setup(tmp_path, port)
        settings.smtp.data_timeout = 1  # the server answers after 3 s
        settings.smtp.retries = 3
        result = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert result["sent"] == 0 and result["pending"] == 0
        [(status, attempts, message_id, error)] = outbox_rows(db)
        assert status == "uncertain" and attempts == 1 and "may have accepted" in error
        assert retry_pending(db, settings, backoff=0)["sent"] == 0  # never resent on its own
        assert len(handler.messages) == 1
        # The operator resends it, to a server that now answers in time: same Message-ID.
        assert resend_uncertain(db) == 1
        handler.delay = 0
        assert retry_pending(db, settings, backoff=0)["sent"] == 1
    finally:
        controller.stop()
    assert len(handler.messages) == 2
    ids = {message_from_bytes(raw, policy=default)["Message-ID"] for _, _, raw in handler.messages}
    assert ids == {message_id}
    assert outbox_rows(db)[0][0] == "sent"


def test_a_login_in_clear_to_another_host_is_refused_before_connecting(tmp_path, monkeypatch, caplog):
    """security: none with credentials would send the password in clear: refused (nothing sent,
    the reason recorded) unless the host is this machine or smtp.allow_plaintext_login is set."""
    from core.settings import SmtpSettings
    from monitor.digest.smtp import SmtpNotifier

    monkeypatch.setenv("NB_CLEAR_USER", "gongkai")
    monkeypatch.setenv("NB_CLEAR_PASSWORD", "secret")
    remote = SmtpSettings(
        host="smtp.example.org", port=25, security="none", username_env="NB_CLEAR_USER",
        password_env="NB_CLEAR_PASSWORD", retries=2,
    )  # fmt: skip
    result = SmtpNotifier(remote, backoff=0).send(b"Subject: x\r\n\r\nx\r\n", "a@example.org")
    assert not result.ok and result.attempts == 1
    assert "in clear" in (result.error or "") and "allow_plaintext_login" in (result.error or "")
    # To this machine (or with the setting): a warning, then it connects (port 9: nobody listens).
    allowed = remote.model_copy(update={"allow_plaintext_login": True, "host": "127.0.0.1", "port": 9, "retries": 0})
    caplog.set_level("WARNING")
    result = SmtpNotifier(allowed, backoff=0).send(b"Subject: x\r\n\r\nx\r\n", "a@example.org")
    assert not result.ok and "in clear" not in (result.error or "")
    assert any("without TLS" in r.getMessage() for r in caplog.records)
