"""Group-chat cards (DingTalk, WeCom, Feishu) delivered to a local robot that checks them the way
the platform does: signature, timestamp, payload shape, and an errcode in a 200 answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from core.settings import ChatChannel
from monitor.check import run_check
from monitor.digest import build_digests, deliver_digests, retry_chat_pending
from monitor.digest.outbox import resend_uncertain
from storage.models import Outbox
from tests.conftest import run_cli
from tests.monitor_factory import add_unbalanced_report, make_db, make_settings

AS_OF = date(2025, 6, 30)
SECRET = "SEC0123456789abcdef-test-only"
WECOM_KEY = "693a91f6-0000-4bc4-97a0-0ec2sifa5aaa"


class Robot:
    """A platform's custom-robot endpoint on 127.0.0.1, verifying what it is sent."""

    def __init__(self, kind: str, *, fail_first: int = 0, delay: float = 0.0, secret: str = SECRET) -> None:
        self.kind, self.fail_first, self.delay, self.secret = kind, fail_first, delay, secret
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[str] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                answer = robot.judge(query, body, self.headers.get("Content-Type", ""))
                if robot.delay:
                    time.sleep(robot.delay)  # the platform is slow; it has accepted already
                data = json.dumps(answer).encode()
                self.send_response(200)  # the platforms answer 200 and put the error in the JSON
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self.server.server_address[1]
        if self.kind == "dingtalk":
            return f"http://127.0.0.1:{port}/robot/send?access_token=tok123"
        if self.kind == "wecom":
            return f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}"
        return f"http://127.0.0.1:{port}/open-apis/bot/v2/hook/abc-123"

    def judge(self, query: dict[str, list[str]], body: dict[str, Any], ctype: str) -> dict[str, Any]:
        ok = {"errcode": 0, "errmsg": "ok"} if self.kind != "feishu" else {"code": 0, "msg": "success", "data": {}}
        error = self._check(query, body, ctype)
        if error is None and self.fail_first > 0:
            self.fail_first -= 1
            error = "send too fast, exceed 20 times per minute"
        if error is not None:
            self.refused.append(error)
            if self.kind == "feishu":
                return {"code": 19021, "msg": error}
            return {"errcode": 310000 if self.kind == "dingtalk" else 93000, "errmsg": error}
        self.accepted.append(body)
        return ok

    def _check(self, query: dict[str, list[str]], body: dict[str, Any], ctype: str) -> str | None:
        if not ctype.startswith("application/json"):
            return "content type"
        if self.kind == "dingtalk":
            ts = query.get("timestamp", [""])[0]
            if query.get("access_token") != ["tok123"] or not ts.isdigit():
                return "token or timestamp missing"
            if abs(int(ts) - time.time() * 1000) > 3600_000:
                return "timestamp too old"
            expected = base64.b64encode(
                hmac.new(self.secret.encode(), f"{ts}\n{self.secret}".encode(), hashlib.sha256).digest()
            ).decode()
            # parse_qs has undone the URL encoding: a sign sent unencoded would have lost its "+".
            if query.get("sign") != [expected]:
                return "sign not match"
            if body.get("msgtype") != "markdown" or not body["markdown"].get("title") or not body["markdown"].get("text"):
                return "bad markdown"
        elif self.kind == "wecom":
            if query.get("key") != [WECOM_KEY]:
                return "invalid webhook url"
            content = body.get("markdown", {}).get("content", "")
            if body.get("msgtype") != "markdown" or not content or len(content.encode()) > 4096:
                return "bad markdown"
        else:
            ts = str(body.get("timestamp", ""))
            if not ts.isdigit() or abs(int(ts) - time.time()) > 3600:
                return "timestamp is not within one hour from current time"
            expected = base64.b64encode(
                hmac.new(f"{ts}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            if body.get("sign") != expected:
                return "sign match fail"
            card = body.get("card", {})
            if body.get("msg_type") != "interactive" or card.get("elements", [{}])[0].get("tag") != "markdown":
                return "bad card"
        return None

    def text(self, body: dict[str, Any]) -> str:
        if self.kind == "dingtalk":
            return body["markdown"]["text"]
        if self.kind == "wecom":
            return body["markdown"]["content"]
        return body["card"]["elements"][0]["content"]

    def __enter__(self) -> Robot:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _setup(tmp_path: Path, monkeypatch, robot: Robot, **channel: Any):
    env = f"NIANBAO_TEST_{robot.kind.upper()}_URL"
    monkeypatch.setenv(env, robot.url)
    spec: dict[str, Any] = {"type": robot.kind, "webhook_env": env, **channel}
    if robot.kind != "wecom":
        monkeypatch.setenv("NIANBAO_TEST_SECRET", SECRET)
        spec.setdefault("secret_env", "NIANBAO_TEST_SECRET")
    settings = make_settings(tmp_path, recipients=[{"email": "officer@example.cn", "name": "督查室", "channels": [spec]}])
    db = make_db(tmp_path)
    add_unbalanced_report(db)
    run_check(db, settings, AS_OF)
    return db, settings


def _rows(db) -> list[tuple[str, int, str | None]]:
    with db.session() as s:
        return [
            (r.status, r.attempts, r.last_error)
            for r in s.scalars(select(Outbox).where(Outbox.message_id.like("<chat.%")).order_by(Outbox.id))
        ]


@pytest.mark.parametrize("kind", ["dingtalk", "wecom", "feishu"])
def test_card_is_signed_accepted_and_sent_once(tmp_path, monkeypatch, kind):
    with Robot(kind) as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot)
        result = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert result["chat_sent"] == 1 and result["pending"] == 0, robot.refused
        assert robot.refused == [] and len(robot.accepted) == 1
        text = robot.text(robot.accepted[0])
        assert "勾稽关系不符" in text and "西湖区教育局" in text and "新发现" in text
        assert _rows(db) == [("sent", 1, None)]
        # The e-mail is still written, and its card row never goes to SMTP.
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
        # Nothing new: no second card, and nothing pending to retry.
        deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 0, "failed": 0}
        assert len(robot.accepted) == 1


def test_errcode_in_a_200_answer_is_retried_until_accepted_once(tmp_path, monkeypatch):
    with Robot("dingtalk", fail_first=2) as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot, retries=0)
        first = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert first["chat_sent"] == 0 and first["pending"] == 1
        [(status, attempts, error)] = _rows(db)
        assert status == "pending" and attempts == 1 and "310000" in error
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 0, "failed": 1}
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 1, "failed": 0}
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 0, "failed": 0}
        assert len(robot.refused) == 2 and len(robot.accepted) == 1
        assert _rows(db) == [("sent", 3, None)]


def test_in_call_retries_deliver_once(tmp_path, monkeypatch):
    with Robot("feishu", fail_first=2) as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot, retries=3)
        result = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert result["chat_sent"] == 1 and len(robot.accepted) == 1 and len(robot.refused) == 2
        assert _rows(db) == [("sent", 3, None)]


def test_slow_robot_within_timeout_is_sent_once(tmp_path, monkeypatch):
    with Robot("wecom", delay=1.0) as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot, timeout=10)
        result = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert result["chat_sent"] == 1 and len(robot.accepted) == 1
        assert _rows(db) == [("sent", 1, None)]


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_robot_answering_after_the_timeout_gets_the_card_once_and_the_row_says_uncertain(tmp_path, monkeypatch, kind):
    # The robot posts the card at once and answers 3 s later; the client gives up after 0.5 s.
    with Robot(kind, delay=3.0) as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot, timeout=0.5, retries=3)
        result = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert result["chat_sent"] == 0 and result["pending"] == 0
        assert result["chat"] == {kind: {"sent": 0, "failed": 1, "uncertain": 1, "pending": 0}}
        [(status, attempts, error)] = _rows(db)
        assert status == "uncertain" and attempts == 1 and "may have posted it" in error
        # Neither a later delivery nor the next digest sends it again on its own.
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 0, "failed": 0}
        deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        # The robot judges a card as soon as it has read it (before its slow answer): any second
        # post would be counted already.
        assert len(robot.accepted) == 1 and robot.refused == []
        # The next digest tells the officer the group may lack the card.
        [digest] = build_digests(db, settings, AS_OF)
        label = {"dingtalk": "钉钉群", "feishu": "飞书群"}[kind]
        assert f"此前推送至{label}的卡片：1 条无法确认是否送达" in digest.text
        # An operator who checked the group puts it back; it is then sent, once more.
        robot.delay = 0.0
        assert resend_uncertain(db) == 1
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 1, "failed": 0}
        assert len(robot.accepted) == 2 and _rows(db) == [("sent", 2, None)]


def test_a_gateway_timeout_is_uncertain_and_other_http_errors_are_retried(monkeypatch):
    """Behind a proxy, 504 means the robot did not answer the proxy in time: it may have posted."""
    from monitor.channels import ChatSender

    codes: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(codes.pop(0))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("NIANBAO_TEST_GATEWAY_URL", f"http://127.0.0.1:{server.server_address[1]}/send?key=k")
        sender = ChatSender(ChatChannel(type="wecom", webhook_env="NIANBAO_TEST_GATEWAY_URL", retries=3), backoff=0)
        codes[:] = [502, 504]
        result = sender.send({"title": "t", "text": "x"})
        assert result.uncertain and result.attempts == 2 and "504" in result.error and codes == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_digest_and_cli_say_what_went_to_each_group_chat(tmp_path, monkeypatch):
    with Robot("wecom", fail_first=10) as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot, retries=0)
        [digest] = build_digests(db, settings, AS_OF)
        assert "本摘要同时以卡片推送至：企业微信群。" in digest.text and "企业微信群" in digest.html
        result = deliver_digests(db, settings, [digest], backoff=0)
        assert result["chat"] == {"wecom": {"sent": 0, "failed": 1, "uncertain": 0, "pending": 1}}
        [again] = build_digests(db, settings, AS_OF)
        assert "此前推送至企业微信群的卡片：1 条未送达，将自动重试" in again.text
        # `nianbao digest` retries the card (the robot still refuses it) and says so per channel.
        cfg = tmp_path / "settings.yaml"
        cfg.write_text(json.dumps({
            "database": f"sqlite:///{tmp_path / 'nianbao.db'}", "storage": "data/raw", "outbox": str(tmp_path / "outbox"),
            "recipients": [{"email": "officer@example.cn", "channels": [
                {"type": "wecom", "webhook_env": "NIANBAO_TEST_WECOM_URL", "retries": 0}]}],
        }), encoding="utf-8")
        out = run_cli("digest", "--as-of", AS_OF.isoformat(), config=cfg)
        assert out.returncode == 1, out.stderr[-2000:]  # a card is left for retry
        assert "group chat wecom: 0 card(s) sent, 1 failed, 0 uncertain, 1 pending retry" in out.stdout, out.stdout
        assert len(robot.refused) == 2 and robot.accepted == []


def test_wrong_secret_or_missing_env_stays_pending_never_lost(tmp_path, monkeypatch):
    with Robot("dingtalk", secret="SEC-another-secret") as robot:
        db, settings = _setup(tmp_path, monkeypatch, robot, retries=1)
        result = deliver_digests(db, settings, build_digests(db, settings, AS_OF), backoff=0)
        assert result["pending"] == 1 and robot.accepted == [] and robot.refused == ["sign not match"] * 2
        monkeypatch.delenv("NIANBAO_TEST_DINGTALK_URL")
        assert retry_chat_pending(db, settings, backoff=0) == {"sent": 0, "failed": 1}
        [(status, _, error)] = _rows(db)
        assert status == "pending" and "NIANBAO_TEST_DINGTALK_URL" in error
        card = json.loads(next((tmp_path / "outbox").glob("*.chat-dingtalk-0.json")).read_text(encoding="utf-8"))
        assert "勾稽关系不符" in card["card"]["text"]


def test_channel_settings_are_validated():
    with pytest.raises(ValidationError):
        ChatChannel(type="slack", webhook_env="X")
    with pytest.raises(ValidationError):
        ChatChannel(type="dingtalk", webhook_env="")


def test_card_links_to_the_site_and_fits_wecom(tmp_path):
    from monitor.channels import MAX_MARKDOWN_BYTES, build_card

    db = make_db(tmp_path)
    add_unbalanced_report(db)
    settings = make_settings(tmp_path, recipients=[{"email": "officer@example.cn"}])
    run_check(db, settings, AS_OF)
    [digest] = build_digests(db, settings, AS_OF)
    card = build_card(digest.subject, digest.summary, digest.counts, "https://intranet.example/nianbao/")
    assert card["text"].endswith("[查看详情](https://intranet.example/nianbao/)")
    assert "勾稽关系不符" in card["text"] and card["title"] == digest.subject
    many = {**digest.summary, "worst": digest.summary["worst"] * 200}
    long = build_card(digest.subject, many, digest.counts, "https://intranet.example/nianbao/")
    assert len(long["text"].encode()) <= MAX_MARKDOWN_BYTES and "查看详情" in long["text"]
    assert "查看详情" not in build_card(digest.subject, digest.summary, digest.counts)["text"]
