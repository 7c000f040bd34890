"""gkmlpt-style 政府信息公开目录平台: an SPA shell, the list from ``/gkmlpt/api/all/{catid}?page=&sid=``.

A column is the shell with the category in its fragment (``/gkmlpt/index#2753``). A shell reached
without one lists the platform's categories instead: those named in ``window._CONFIG`` (or in the
JSON the shell's config points to), and the ones whose names mark them as 年报 become sub-columns
``index#<catid>``, each read through the list API. Some categories answer everything on page 1 and
404 for page ≥ 2: a page past ``total`` is never asked for, and a 404 past page 1 ends the list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, ListPage, _text
from crawler.adapters.generic import GenericAdapter
from crawler.discovery import ListEntry, normalize_date, normalize_title
from core.settings import SiteSpec
from core.titles import normalize_title

_SID = re.compile(r"SID\s*['\"]?\s*[:=]\s*['\"]?(\d+)")
_CATID = re.compile(r"api/all/(\d+)|[?&]catid=(\d+)")
_PERCENT_U = re.compile(r"%u([0-9a-fA-F]{4})")
_CONFIG = re.compile(r"window\._CONFIG\s*=\s*(\{.*?\})\s*;?\s*</script>", re.S)
# A config value naming where the category tree is served (key names vary; the shape is unverified).
_TREE_URL = re.compile(r"['\"]?\w*(?:TREE|CLASSIFY|CATEGOR|CATALOG)\w*['\"]?\s*:\s*['\"]((?:https?:/)?/[^'\"]+)['\"]", re.I)
_ID_KEYS = ("id", "catid", "cat_id", "classify_id", "category_id")
_NAME_KEYS = ("name", "title", "text", "cat_name", "classify_name", "category_name")
# A key on its own, not the end of another (parent_id, sub_title).
_ID = r"(?<![\w$])['\"]?(?:" + "|".join(_ID_KEYS) + r")['\"]?\s*:\s*['\"]?(\d+)['\"]?"
_NAME = r"(?<![\w$])['\"]?(?:" + "|".join(_NAME_KEYS) + r")['\"]?\s*:\s*['\"]((?:[^'\"\\]|\\.)*)['\"]"
_ID_NAME = re.compile(_ID + r"\s*,\s*" + _NAME)
_NAME_ID = re.compile(_NAME + r"\s*,\s*" + _ID)
# One object's own fields, up to its first nested object or its end: id and name in any order,
# with other fields between them ({catid: 12, parent: 3, name: '年报', children: [...]}).
_OBJECT_HEAD = re.compile(r"\{([^{}]*)")
_ID_FIELD, _NAME_FIELD = re.compile(_ID), re.compile(_NAME)
# Categories holding 年报: 政府信息公开年报, 政府信息公开工作年度报告, 信息公开年报, 年度报告…; not 解读.
_REPORT_CATEGORY = re.compile(r"年报|年度报告|工作报告")
_NOT_REPORT_CATEGORY = re.compile(r"解读|图解|一图")


_HTML_LIST = GenericAdapter()


def unescape_percent_u(text: str) -> str:
    """Titles escaped as ``%uXXXX`` by some platforms."""
    return _PERCENT_U.sub(lambda m: chr(int(m.group(1), 16)), text)


def is_report_category(name: str) -> bool:
    """Whether a category's name marks it as the platform's 年报 column (read in the titles' form:
    traditional, full-width)."""
    n = normalize_title(name)
    return bool(_REPORT_CATEGORY.search(n)) and not _NOT_REPORT_CATEGORY.search(n)


class GkmlptAdapter(CmsAdapter):
    family = "gkmlpt"
    markers = (
        r"\A\S*/gkmlpt/",  # the page's own URL (links to a platform elsewhere on a page prove nothing)
        r"window\._CONFIG",
        r"SID\s*['\"]?\s*:",
        r"/gkmlpt/content/\d+/\d+/post_\d+\.html",
        r"/gkmlpt/api/",
    )
    detail_pattern = r"/gkmlpt/content/\d+/\d+/post_\d+\.html"

    @classmethod
    def keeps_fragment(cls, url: str) -> bool:
        """``/gkmlpt/index#2753``: the fragment is the category, a column of its own."""
        parts = urlsplit(url)
        return "/gkmlpt/" in parts.path and bool(parts.fragment)

    def parse_list(self, response: Response, site: SiteSpec) -> ListPage:
        state = self.list_state(response)
        if state.get("tree"):
            return self._tree_page(response, state)
        if state.get("api"):
            return self._api_page(response, state)
        text = _text(response)
        sid = _SID.search(text)
        if not sid:  # not a shell after all (a page linking a platform's posts): read it as an HTML list
            return _HTML_LIST.parse_list(response, site)
        shell_url = response.meta.get("column_url") or response.url
        fragment = urlsplit(shell_url).fragment
        catid = fragment if fragment.isdigit() else None
        config = _CONFIG.search(text)
        config_text = config.group(1) if config else text
        categories = categories_in_text(config_text)
        tree = _TREE_URL.search(config_text)
        if not catid and not categories and not tree:  # a shell that names its one category itself
            m = _CATID.search(text)
            catid = next((g for g in m.groups() if g), None) if m else None
        page = ListPage()
        if catid:
            api = re.sub(r"/gkmlpt/.*$", f"/gkmlpt/api/all/{catid}", shell_url.split("#")[0])
            page.next_page = self._api_request({"api": api, "sid": sid.group(1), "page": 1, "shell": True})
            return page
        # No category named: the platform's 年报 categories, from the config or the tree it points to.
        page.subcolumns = self._report_categories(categories, shell_url)
        if tree:
            url = urljoin(response.url, tree.group(1))
            page.next_page = Request(url, meta={"list_state": {"tree": True, "shell": True, "shell_url": shell_url.split("#")[0]}},
                                     headers={"Accept": "application/json, text/plain, */*"})  # fmt: skip
        return page

    def _report_categories(self, categories: list[tuple[str, str]], shell_url: str) -> list[ListEntry]:
        base = shell_url.split("#")[0]
        out, seen = [], set()
        for catid, name in categories:
            if is_report_category(name) and catid not in seen:
                seen.add(catid)
                out.append(ListEntry(f"{base}#{catid}", name))
        return out

    def _tree_page(self, response: Response, state: dict[str, Any]) -> ListPage:
        try:
            data = json.loads(response.body.decode("utf-8", "replace"))
        except ValueError:
            return ListPage(subcolumns=self._report_categories(categories_in_text(_text(response)), state["shell_url"]))
        return ListPage(subcolumns=self._report_categories(list(_categories_in_json(data)), state["shell_url"]))

    def _api_request(self, state: dict[str, Any]) -> Request:
        url = f"{state['api']}?{urlencode({'page': state['page'], 'sid': state['sid']})}"
        # Past page 1 a 404 means the category was served whole: the list ends, nothing is wrong.
        state = {**state, "missing_ok": int(state["page"]) > 1}
        return Request(url, meta={"list_state": state}, headers={"Accept": "application/json, text/plain, */*"})

    def _api_page(self, response: Response, state: dict[str, Any]) -> ListPage:
        try:
            data = json.loads(response.body.decode("utf-8", "replace"))
        except ValueError:
            return ListPage()
        articles = data.get("articles") if isinstance(data, dict) else None
        articles = [a for a in articles or [] if isinstance(a, dict)]
        links = []
        for a in articles:
            url = a.get("url") or a.get("post_url")
            if not url:
                continue
            title = normalize_title(unescape_percent_u(str(a.get("title") or "")))
            created = a.get("created_at") or a.get("publish_time") or a.get("date")
            date = normalize_date(str(created)) if isinstance(created, str) else None
            links.append(ListEntry(urljoin(response.url, str(url)), title, date))
        page = self.split_links(links, response.url)
        try:
            total = int(data.get("total") or 0)
        except (TypeError, ValueError):
            total = 0
        number = int(state["page"])
        # Judged by this page's size: a short last page leads to one more (empty or 404) request.
        shown = (number - 1) * len(articles) + len(articles)
        if articles and shown < total:
            page.next_page = self._api_request({**state, "page": number + 1, "shell": False})
        return page


def categories_in_text(text: str) -> list[tuple[str, str]]:
    """(catid, name) pairs written as ``{id: 2753, name: '…'}`` (any order, other fields between,
    JS or JSON), in page order, once each: the one reader of a shell's category tree (the crawl
    and ``nianbao discover`` both use it)."""
    found: list[tuple[int, str, str]] = []
    for m in _ID_NAME.finditer(text):
        found.append((m.start(), m.group(1), _unescape(m.group(2))))
    for m in _NAME_ID.finditer(text):
        found.append((m.start(), m.group(2), _unescape(m.group(1))))
    for m in _OBJECT_HEAD.finditer(text):
        catid, name = _ID_FIELD.search(m.group(1)), _NAME_FIELD.search(m.group(1))
        if catid and name:
            found.append((m.start(), catid.group(1), _unescape(name.group(1))))
    out: list[tuple[str, str]] = []
    for _, catid, name in sorted(found):
        if (catid, name) not in out:
            out.append((catid, name))
    return out


def _categories_in_json(data: Any) -> Iterator[tuple[str, str]]:
    """(catid, name) of every object in a JSON category tree, children included."""
    if isinstance(data, list):
        for item in data:
            yield from _categories_in_json(item)
    elif isinstance(data, dict):
        catid = next((data[k] for k in _ID_KEYS if isinstance(data.get(k), int | str) and str(data[k]).isdigit()), None)
        name = next((data[k] for k in _NAME_KEYS if isinstance(data.get(k), str)), None)
        if catid is not None and name:
            yield str(catid), unescape_percent_u(name)
        for value in data.values():
            if isinstance(value, list | dict):
                yield from _categories_in_json(value)


def _unescape(value: str) -> str:
    if "\\u" in value:
        try:
            value = json.loads(f'"{value}"')
        except ValueError:
            pass
    return unescape_percent_u(value)
