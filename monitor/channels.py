"""Group-chat robots (DingTalk, WeCom 企业微信, Feishu 飞书): a short markdown card of each digest.

The card is built from the digest's own selection (counts by kind, the worst new findings, a link
to the officers' site when ``site_url`` is set). Each platform's custom robot takes a JSON POST:

- DingTalk 自定义机器人, 加签: ``timestamp`` (milliseconds) and ``sign`` = URL-encoded base64 of
  HMAC-SHA256 keyed with the secret over ``"{timestamp}\\n{secret}"``, appended to the webhook URL
  as ``&timestamp=…&sign=…``; answers ``{"errcode": 0, "errmsg": "ok"}``.
- Feishu 自定义机器人, 签名校验: ``timestamp`` (seconds) and ``sign`` = base64 of HMAC-SHA256 keyed
  with ``"{timestamp}\\n{secret}"`` over an empty message, both in the JSON body; answers
  ``{"code": 0, …}`` (older robots ``{"StatusCode": 0, …}``).
- WeCom 群机器人: the key is in the webhook URL (``send?key=…``), nothing is signed; answers
  ``{"errcode": 0, "errmsg": "ok"}``.

A 200 answer whose JSON reports an error code is a failure, retried like a refused connection.
A card is never posted twice on our own account: when the connection fails or times out after
the whole request went out and before the answer, the robot may have posted it already. That
delivery is ``uncertain`` (as an e-mail without a reply to the end of DATA): not retried, the
outbox row says so, and ``nianbao digest --resend-uncertain`` sends it again when an operator
checked the group. None of the three custom-robot webhooks takes an idempotency key or message id
(Feishu's ``uuid`` deduplication belongs to the app-bot ``im/v1/messages`` API, not to custom
robots), so the record is the only guard.
Stdlib HTTP only: three small protocols do not need a client library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from core.settings import ChatChannel
from monitor.links import is_web_url
from monitor.kinds import SEVERITY_LABELS

log = logging.getLogger(__name__)
BACKOFF_SECONDS = 2.0
MAX_MARKDOWN_BYTES = 4000  # WeCom's markdown limit is 4096 bytes; DingTalk's and Feishu's are larger
CHANNEL_LABELS = {"dingtalk": "钉钉群", "wecom": "企业微信群", "feishu": "飞书群"}  # as officers name them


@dataclass(frozen=True)
class ChatResult:
    """How one card delivery went: ok, attempts made, the last error, whether it may have arrived."""

    ok: bool
    attempts: int
    error: str | None = None
    uncertain: bool = False  # the robot may have posted it: never send it again on our own


# --- the card -------------------------------------------------------------------------------


def build_card(
    subject: str, summary: dict[str, Any], counts: dict[str, Any], site_url: str | None = None
) -> dict[str, str]:
    """``{"title", "text"}``: the digest as a short markdown card for a group chat."""
    lines = [f"### {subject}"]
    if summary.get("scope"):
        lines.append(f"范围：{summary['scope']}")
    lines.append(
        f"新发现 **{counts.get('new', 0)}** 条，未解决 **{counts.get('open', 0)}** 条，"
        f"已解决 {counts.get('resolved', 0)} 条"
    )
    kinds = summary.get("by_kind") or []
    if kinds:
        lines.append("")
        lines.append("**按类型**")
        lines.extend(f"- {k['label']}：未解决 {k['open']}（新 {k['new']}）" for k in kinds)
    worst = summary.get("worst") or []
    if worst:
        lines.append("")
        lines.append("**最需关注的新问题**")
        for d in worst:
            who = d.get("agency") or d.get("site_name") or d.get("site") or ""
            year = f"{d['report_year']}年度" if d.get("report_year") else ""
            label = SEVERITY_LABELS.get(d.get("severity", ""), "")
            item = f"- 【{label}】{who}{year}：{d.get('kind_label', '')}"
            if is_web_url(d.get("source_url")):
                item += f"（[原文]({d['source_url']})）"
            lines.append(item)
    if site_url:
        lines.append("")
        lines.append(f"[查看详情]({site_url})")
    text = "\n".join(lines)
    while len(text.encode("utf-8")) > MAX_MARKDOWN_BYTES and len(lines) > 2:
        lines.pop(-2 if site_url else -1)  # drop the least important lines, keep the link
        text = "\n".join([*lines, "…"])
    return {"title": subject, "text": text}


# --- signing and payloads -------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签, URL-encoded, ready for ``&sign=``."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: the key is ``timestamp\\nsecret``, the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def request_for(
    kind: str, webhook: str, card: dict[str, str], secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    """The URL to POST to and the JSON body, signed when the platform signs."""
    if kind == "dingtalk":
        body: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": card["title"], "text": card["text"]},
        }
        if secret:
            ts = int(now * 1000)
            sep = "&" if "?" in webhook else "?"
            webhook = f"{webhook}{sep}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
        return webhook, body
    if kind == "wecom":
        return webhook, {"msgtype": "markdown", "markdown": {"content": card["text"]}}
    if kind == "feishu":
        body = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": card["title"]}},
                "elements": [{"tag": "markdown", "content": card["text"]}],
            },
        }
        if secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
        return webhook, body
    raise ValueError(f"unknown chat channel type {kind!r}")


def answer_error(kind: str, payload: Any) -> str | None:
    """None when the platform's JSON answer says the message was accepted, else why not."""
    if not isinstance(payload, dict):
        return f"unexpected answer: {payload!r}"[:300]
    if kind == "feishu":
        code = payload.get("code", payload.get("StatusCode"))
        message = payload.get("msg") or payload.get("StatusMessage")
    else:
        code, message = payload.get("errcode"), payload.get("errmsg")
    if code == 0:
        return None
    return f"{kind} answered code {code}: {message}"


# --- delivery -------------------------------------------------------------------------------


class UncertainPost(Exception):
    """The connection failed or timed out after the whole request was sent, before the answer."""


class ChatSender:
    """Posts a card to one channel, with retries and backoff; never raises for a failure."""

    def __init__(self, channel: ChatChannel, *, backoff: float | None = None) -> None:
        self.channel = channel
        self.backoff = BACKOFF_SECONDS if backoff is None else backoff

    def send(self, card: dict[str, str]) -> ChatResult:
        webhook = self.channel.webhook()
        if not webhook:
            return ChatResult(False, 0, f"environment variable {self.channel.webhook_env} is not set")
        secret = self.channel.secret()
        if self.channel.secret_env and not secret:
            return ChatResult(False, 0, f"environment variable {self.channel.secret_env} is not set")
        tries = self.channel.retries + 1
        error = None
        for attempt in range(1, tries + 1):
            # Signed afresh on every attempt: the platforms reject old timestamps.
            url, body = request_for(self.channel.type, webhook, card, secret, time.time())
            try:
                error = self._post(url, body)
            except UncertainPost as exc:
                error = f"no answer after the card was sent (the robot may have posted it): {exc}"
                log.warning("%s card uncertain, not retried: %s", self.channel.type, error)
                return ChatResult(False, attempt, error, uncertain=True)
            if error is None:
                return ChatResult(True, attempt)
            log.warning(
                "%s card failed (attempt %d/%d): %s", self.channel.type, attempt, tries, error
            )
            if attempt < tries:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        return ChatResult(False, tries, error)

    def _post(self, url: str, body: dict[str, Any]) -> str | None:
        """None when the robot accepted the card, else why not; ``UncertainPost`` when the whole
        request went out and no answer came back."""
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.channel.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:  # the robot answered: it says what became of the card
            if exc.code == 504:  # unless a proxy answered that the robot did not, in time: our own timeout
                raise UncertainPost(f"HTTP 504: {exc.reason}") from exc
            return f"HTTP {exc.code}: {exc.reason}"
        except urllib.error.URLError as exc:
            # urllib wraps in URLError only what fails while connecting (proxy tunnel and TLS
            # included) or sending the request: the robot never had the whole card.
            return f"{type(exc).__name__}: {exc.reason}"
        except (OSError, http.client.HTTPException) as exc:
            # Raised unwrapped from reading the answer: the whole card was sent.
            raise UncertainPost(f"{type(exc).__name__}: {exc}") from exc
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return f"answer is not JSON: {raw[:200]!r}"
        return answer_error(self.channel.type, answer)
