"""What a gkmlpt-style disclosure platform shell tells the column search (docs/portals.md §2.3).

The shell (``/gkmlpt/index``) is a script-rendered page with no list HTML: a category is addressed
by the fragment (``/gkmlpt/index#<catid>``), ``window._CONFIG`` carries the site id (``SID``) and,
on many sites, the category tree as id/name pairs, and a category's entries come from
``/gkmlpt/api/all/<catid>?page=1&sid=<SID>`` as JSON. The search reads the category names from the
tree and confirms a 年报 category by the report titles its first API page lists.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urldefrag, urlencode

from crawler.adapters.gkmlpt import categories_in_text

_SID = re.compile(r"SID\s*[:=]\s*['\"]?(\d+)")
_PERCENT_U = re.compile(r"%u([0-9a-fA-F]{4})")


def is_shell(url: str) -> bool:
    """A gkmlpt platform shell URL (its fragment, if any, names a category)."""
    return bool(re.search(r"/gkmlpt/index(?:\.html?)?$", urldefrag(url)[0]))


def shell_sid(text: str) -> str | None:
    """The platform's site id from ``window._CONFIG``."""
    m = _SID.search(text)
    return m.group(1) if m else None


def shell_categories(text: str) -> list[tuple[str, str]]:
    """(catid, name) of every category the shell's script names, in page order, once each."""
    if "_CONFIG" not in text:
        return []
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for catid, name in categories_in_text(text):  # the crawl's reader: one home for the tree's shape
        if catid not in seen:
            seen.add(catid)
            out.append((catid, name))
    return out


def list_api_url(shell_url: str, catid: str, sid: str) -> str:
    """The first page of a category's list API, beside the shell."""
    base = re.sub(r"/gkmlpt/.*$", f"/gkmlpt/api/all/{catid}", urldefrag(shell_url)[0])
    return f"{base}?{urlencode({'page': 1, 'sid': sid})}"


def api_titles(body: bytes) -> list[str] | None:
    """The entry titles of a list API answer, or None when it is not one."""
    try:
        data = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        return None
    return [unescape(str(a.get("title") or "")) for a in data["articles"] if isinstance(a, dict)]


def unescape(text: str) -> str:
    """Titles some platforms escape as ``%uXXXX``, and ``\\uXXXX`` escapes inside script strings."""
    text = _PERCENT_U.sub(lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
