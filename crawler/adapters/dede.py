"""DedeCMS / PHPCMS: ``list_<tid>_<n>.html`` or ``/plus/list.php?tid=&PageNo=`` with a 下一页 link."""

from __future__ import annotations

from crawler.adapters.generic import GenericAdapter


class DedeAdapter(GenericAdapter):
    family = "dede"
    markers = (
        r"/plus/list\.php\?tid=",
        r"list_\d+_\d+\.html",
        r"dede_pages|class=\"pagelist\"",
        r"/plus/view\.php\?aid=",
        r"/a/[\w/]+/\d{4}/\d{4}/\d+\.html",
    )
    detail_pattern = r"/plus/view\.php\?aid=\d+|/\d{4}/\d{4}/\d+\.html$|/\d{6}/\d+\.html$"
