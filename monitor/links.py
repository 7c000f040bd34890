"""Which addresses may become links in what officers read (digests, chat cards, the site)."""

from __future__ import annotations


def is_web_url(value: object) -> bool:
    """True for an absolute http(s) URL: anything else (``javascript:``, ``file:``, a relative
    path from a crawled or imported page) is shown as text, never as a link."""
    return isinstance(value, str) and value.strip().lower().startswith(("http://", "https://"))
