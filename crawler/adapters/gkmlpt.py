"""gkmlpt-style 政府信息公开目录平台: an SPA shell, the list from ``/gkmlpt/api/all/{catid}?page=&sid=``."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from scrapy import Request
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, ListPage, _text
from crawler.discovery import ListEntry, normalize_date, normalize_title
from core.settings import SiteSpec

_SID = re.compile(r"SID\s*[:=]\s*['\"]?(\d+)")
_CATID = re.compile(r"api/all/(\d+)|[?&]catid=(\d+)|#(\d+)")
_PERCENT_U = re.compile(r"%u([0-9a-fA-F]{4})")


def unescape_percent_u(text: str) -> str:
    """Titles escaped as ``%uXXXX`` by some platforms."""
    return _PERCENT_U.sub(lambda m: chr(int(m.group(1), 16)), text)


class GkmlptAdapter(CmsAdapter):
    family = "gkmlpt"
    markers = (
        r"/gkmlpt/",
        r"window\._CONFIG",
        r"SID\s*:",
        r"/gkmlpt/content/\d+/\d+/post_\d+\.html",
        r"/gkmlpt/api/",
    )
    detail_pattern = r"/gkmlpt/content/\d+/\d+/post_\d+\.html"

    def parse_list(self, response: Response, site: SiteSpec) -> ListPage:
        state = self.list_state(response)
        if state.get("api"):
            return self._api_page(response, state)
        text = _text(response)
        sid = _SID.search(text)
        column_url = response.meta.get("column_url") or response.url
        catid = urlsplit(column_url).fragment if urlsplit(column_url).fragment.isdigit() else None
        if not catid:
            m = _CATID.search(text)
            catid = next((g for g in m.groups() if g), None) if m else None
        if not sid or not catid:
            return ListPage()
        api = re.sub(r"/gkmlpt/.*$", f"/gkmlpt/api/all/{catid}", response.url.split("#")[0])
        page = ListPage()
        page.next_page = self._api_request({"api": api, "sid": sid.group(1), "page": 1, "shell": True})
        return page

    def _api_request(self, state: dict[str, Any]) -> Request:
        url = f"{state['api']}?{urlencode({'page': state['page'], 'sid': state['sid']})}"
        return Request(url, meta={"list_state": state}, headers={"Accept": "application/json, text/plain, */*"})

    def _api_page(self, response: Response, state: dict[str, Any]) -> ListPage:
        try:
            data = json.loads(response.body.decode("utf-8", "replace"))
        except ValueError:
            return ListPage()
        articles = data.get("articles") or []
        links = []
        for a in articles:
            url = a.get("url") or a.get("post_url")
            if not url:
                continue
            title = normalize_title(unescape_percent_u(str(a.get("title") or "")))
            created = a.get("created_at") or a.get("publish_time") or a.get("date")
            date = normalize_date(str(created)) if isinstance(created, str) else None
            links.append(ListEntry(urljoin(response.url, url), title, date))
        page = self.split_links(links, response.url)
        total = int(data.get("total") or 0)
        shown = (int(state["page"]) - 1) * max(len(articles), 1) + len(articles)
        if articles and shown < total:
            page.next_page = self._api_request({**state, "page": int(state["page"]) + 1, "shell": False})
        return page
