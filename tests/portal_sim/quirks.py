"""Misbehaving pages real portals serve: anti-bot challenges, flaky servers, redirects, slow hosts."""

from __future__ import annotations

import threading
from collections.abc import Callable

from nianbao.demo.server import Handler, Page, SimRequest

RUISHU_412 = (
    b"<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
    b"<meta id=\"9DhefwqGPrzGxEp9hPaoag\" content=\"Yz3vGmYXXa.Q8cm_p7aFVsShOv6ytGQx\" r='m'>"
    b"<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=28930;$_ts.cd=\"qqxcrrAlEGVq\";"
    b"if($_ts.lcd)$_ts.lcd();</script><script type=\"text/javascript\" charset=\"utf-8\" src=\"/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js\" r='m'>"
    b"</script></head><body></body></html>"
)


def ruishu_challenge(request: SimRequest) -> Page:
    """瑞数: every URL answers 412 with a ``$_ts`` script and a meta ``r='m'``."""
    return Page(RUISHU_412, status=412, headers={"Set-Cookie": "NfBCSins2OywO=60abc; path=/; HttpOnly"})


class FlakyRoute:
    """Answers ``failures`` times with HTTP 500 (a busy county server), then the real page."""

    def __init__(self, page: Handler, failures: int = 1) -> None:
        self.page = page
        self.failures = failures
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, request: SimRequest) -> Page:
        with self._lock:
            self.calls += 1
            fail = self.calls <= self.failures
        if fail:
            return Page(b"<html><body><h1>500 Internal Server Error</h1></body></html>", status=500)
        return self.page(request) if callable(self.page) else self.page


def redirect(location: str, status: int = 301) -> Page:
    """A redirect with a relative ``Location``, as many county servers send."""
    return Page(b"", status=status, headers={"Location": location}, content_type="text/html")


def meta_refresh(target: str, encoding: str = "utf-8") -> Page:
    """A page that moves the reader on with ``<meta http-equiv="refresh">``."""
    html = f'<html><head><meta http-equiv="refresh" content="0;URL={target}"></head><body>页面已迁移</body></html>'
    return Page(html.encode(encoding), content_type=f"text/html; charset={encoding}")


def slow(handler: Handler, seconds: float) -> Callable[[SimRequest], Page]:
    """The same page, ``seconds`` late."""

    def answer(request: SimRequest) -> Page:
        page = handler(request) if callable(handler) else handler
        return Page(page.body, page.content_type, page.status, dict(page.headers), page.last_modified, seconds)

    return answer
