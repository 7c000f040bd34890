"""Hanweb 大汉 JCMS: column pages with an inline ``<datastore>``, further records by POST to ``dataproxy.jsp``.

The browser's jpage.js asks for a window of records (``startrecord``..``endrecord``) with the
column's form fields and an XMLHttpRequest header; some servers answer nothing without them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urljoin

from parsel import Selector
from scrapy import FormRequest
from scrapy.http import Response

from crawler.adapters.base import CmsAdapter, ListPage, _text
from crawler.discovery import ListEntry, scan_anchors
from core.settings import SiteSpec

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_DATASTORE = re.compile(r"<datastore>.*?</datastore>", re.S)
_TOTAL = re.compile(r"totalRecord\s*:\s*['\"]?(\d+)|<totalrecord>\s*(\d+)", re.I)
_PER_PAGE = re.compile(r"perPage\s*:\s*['\"]?(\d+)", re.I)
_PROXY = re.compile(r"proxyUrl\s*:\s*['\"]([^'\"]+)['\"]")
# A form field as the page writes it: in jpage's ajaxParam ({columnid: 5, …}) or in the query of
# the <nextgroup> link (dataproxy.jsp?…&webid=1&columnid=5…).
_PARAM = r"[{{,\s&?]{name}\s*[:=]\s*['\"]?([^,'\"}}&\s]*)"
_FORM_FIELDS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")
_DEFAULT_FORM = {"col": "1", "appid": "1", "path": "/", "sourceContentType": "1", "permissiontype": "0"}
GROUP_SIZE = 3  # jpage asks for three pages of records at a time


class HanwebAdapter(CmsAdapter):
    family = "hanweb"
    markers = (
        r"/col/col\d+/",
        r"<datastore>",
        r"jpage",
        r"dataproxy\.jsp",
        r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html",
    )
    detail_pattern = r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html"

    def parse_list(self, response: Response, site: SiteSpec) -> ListPage:
        text = _text(response)
        records = [m.group(1) for m in _RECORD.finditer(text)]
        state = self.list_state(response)
        base = state.get("referer") or response.url  # record links are relative to the column page
        entries = self.record_links(records, base)
        if state.get("proxy"):  # an answer of dataproxy.jsp: records only
            page = self.split_links(entries, response.url)
            page.next_page = self._window({**state, "start": int(state["start"]) + len(records)}) if records else None
            return page
        # The column page: inline records, plus the page's other links (sub-columns live there).
        outside = Selector(text=_DATASTORE.sub("", text))
        page = self.split_links(entries + scan_anchors(outside, response.url), response.url)
        state = self._initial_state(response, text, inline=len(records))
        page.next_page = self._window(state) if state else None
        return page

    def record_links(self, records: list[str], base: str) -> list[ListEntry]:
        """The links of ``<record>`` CDATA fragments, with their ``title`` attribute and row date."""
        entries: list[ListEntry] = []
        for record in records:
            entries.extend(scan_anchors(Selector(text=record), base))
        return entries

    def _initial_state(self, response: Response, text: str, inline: int) -> dict[str, Any] | None:
        total_m = _TOTAL.search(text)
        total = int(next(g for g in total_m.groups() if g)) if total_m else 0
        if total <= inline:
            return None
        per = int(_PER_PAGE.search(text).group(1)) if _PER_PAGE.search(text) else 15  # type: ignore[union-attr]
        proxy_m = _PROXY.search(text)
        if proxy_m:
            proxy = urljoin(response.url, proxy_m.group(1))
        else:  # the module lives beside /col/: http://host[/prefix]/module/web/jpage/dataproxy.jsp
            proxy = re.sub(r"/col/col\d+/.*$", "/module/web/jpage/dataproxy.jsp", response.url)
        form = dict(_DEFAULT_FORM)
        for name in _FORM_FIELDS:
            m = re.search(_PARAM.format(name=name), text)
            if m and m.group(1):
                form[name] = m.group(1)
        col = re.search(r"/col/col(\d+)/", response.url)
        if col:
            form.setdefault("columnid", col.group(1))
        if "unitid" not in form:
            unit = re.search(r"<div id=['\"]?(\d+)['\"]?>\s*<script type=['\"]text/xml", text)
            if unit:
                form["unitid"] = unit.group(1)
        return {"proxy": proxy, "form": form, "start": inline + 1, "total": total, "per": per, "referer": response.url}

    def _window(self, state: dict[str, Any]) -> FormRequest | None:
        """The POST for the window of records starting at ``state["start"]``."""
        start, per = int(state["start"]), int(state["per"])
        if start > int(state["total"]):
            return None
        query = urlencode({"startrecord": start, "endrecord": start + per * GROUP_SIZE - 1, "perpage": per})
        return FormRequest(
            f"{state['proxy']}?{query}",
            formdata=state["form"],
            headers={
                "X-Requested-With": "XMLHttpRequest",
                "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                "Referer": state["referer"],
            },
            meta={"list_state": state},
        )
