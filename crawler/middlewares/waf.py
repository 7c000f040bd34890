"""Recognise anti-bot challenge pages (瑞数 412/$_ts, 知道创宇/加速乐 521/512 and jsl cookies, captchas,
403 JS challenges) and stop there: the site is recorded as blocked, the page is never parsed, and
the site's remaining requests are dropped instead of retried in a loop (docs/portals.md §4).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse

from crawler.context import CrawlContext

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

CHALLENGE_STATUSES = {412: "瑞数 (412)", 521: "知道创宇/加速乐 (521)", 512: "知道创宇/加速乐 (512)"}
_TS_SCRIPT = re.compile(rb"\$_ts\s*=|\$_ts\.cd|if\s*\(\s*!\s*\$_ts\s*\)|\$_ts\[")
_JSL_COOKIE = re.compile(r"__jsl_clearance|__jsluid")
_JS_CHALLENGE = re.compile(rb"document\.cookie|location\.(?:reload|replace|href\s*=)|window\.location\s*=|eval\(|\bjsl\b")
_CAPTCHA = re.compile(r"验证码|captcha|人机验证|滑动验证|安全验证|访问验证|请完成验证|拖动滑块")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
SUBSTANTIAL_TEXT = 200  # a real page has at least this many characters of visible text


def _may_be_captcha(text: str) -> bool:
    return ("验证" in text or "captcha" in text or "拖动滑块" in text) and _CAPTCHA.search(text) is not None


class BlockedByChallenge(IgnoreRequest):
    """The site answered with an anti-bot challenge."""


def visible_text_length(html: str) -> int:
    """Characters of text a reader would see (scripts, styles, tags and whitespace removed)."""
    text = _TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", html))
    return len(re.sub(r"[\s\u3000\xa0]+|&nbsp;", "", text))


def challenge_reason(status: int, set_cookies: list[str], body: bytes, text: str | None) -> str | None:
    """Why this response is a challenge rather than content, or None if it is not one."""
    if status in CHALLENGE_STATUSES:
        return f"anti-bot challenge: {CHALLENGE_STATUSES[status]}"
    head = body[:50_000]
    # Counting visible text costs a pass over the page: only when a marker asks for it.
    length = -1

    def short() -> bool:
        nonlocal length
        if length < 0:
            length = visible_text_length(text) if text is not None else SUBSTANTIAL_TEXT
        return length < SUBSTANTIAL_TEXT

    # Substring tests before each regex: most pages hold none of the markers, and a regex
    # alternation without a literal prefix scans every position of 50 KB.
    if b"$_ts" in head and _TS_SCRIPT.search(head) and (status != 200 or short()):
        return "anti-bot challenge: 瑞数 $_ts script"
    if any(_JSL_COOKIE.search(c) for c in set_cookies) and (status != 200 or (_JS_CHALLENGE.search(head) and short())):
        return "anti-bot challenge: 加速乐 __jsl cookie"
    if status in (403, 202, 503, 200) and b"<script" in head.lower() and _JS_CHALLENGE.search(head) and short():
        if status != 200 or re.search(rb"document\.cookie", head):
            return f"anti-bot challenge: JavaScript challenge ({status})"
    if text is not None and status in (200, 403, 429, 503) and _may_be_captcha(text[:20_000]) and visible_text_length(text) < 1500:
        if re.search(r"<form|<img|<input", text, re.I):
            return "anti-bot challenge: captcha page"
    return None


class WafDetector:
    """Downloader middleware: challenge responses become a 'blocked' crawl error for the site."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NIANBAO_WAF_DETECTION", True):
            raise NotConfigured
        self.crawler = crawler
        self.context = CrawlContext.of(crawler)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WafDetector:
        o = cls(crawler)
        crawler.signals.connect(o._opened, signal=signals.spider_opened)
        return o

    def _opened(self, spider: object) -> None:
        self.context.start()

    def process_request(self, request: Request) -> None:
        site_id = request.meta.get("site_id")
        if self.context.is_blocked(site_id) and not request.meta.get("dont_obey_robotstxt"):
            self.stats.inc_value("nianbao/waf/dropped")
            raise BlockedByChallenge(f"site {site_id} is blocked by an anti-bot challenge")

    def process_response(self, request: Request, response: Response) -> Response:
        text = None
        if isinstance(response, TextResponse):
            try:
                text = response.text
            except Exception:  # undecodable: judge by status and bytes only
                text = None
        cookies = [c.decode("latin-1") for c in response.headers.getlist(b"Set-Cookie")]
        reason = challenge_reason(response.status, cookies, response.body, text)
        if reason is None:
            return response
        site_id = request.meta.get("site_id")
        self.stats.inc_value("nianbao/waf/challenges")
        if site_id and self.context.block(site_id, reason):
            self.context.run.record_error(site_id, request.url, "blocked", f"{reason}; HTTP {response.status}")
        raise BlockedByChallenge(reason)
