"""Portals with the quirks of docs/portals.md §2.1 and §4 that the main simulator does not have:
shifted TRS page numbering, broken TLS, and redirects that lead off the column.

Each builder returns a ``SimPortal`` on its own loopback address (127.0.0.12 and up; the main
simulator uses .2–.9, the politeness test .10).
"""

from __future__ import annotations

import re
from datetime import date

from nianbao.demo.families import Article, TrsColumn
from nianbao.demo.server import Handler, Page, PortalServer

from . import SimPortal, _report, _robots, _title
from .quirks import meta_refresh, redirect

SHIFTED_AGENCIES = [f"宜良县第{i}局" for i in range(1, 6)]


def _shifted_column() -> TrsColumn:
    articles = [
        Article(_title(a, 2023), date(2024, 1, 10 + i), _report("xixia_approval_2020", a, 2023), publisher=a) for i, a in enumerate(SHIFTED_AGENCIES)
    ]
    return TrsColumn(prefix="", column_dir="nb", site_name="宜良县人民政府", articles=articles, page_size=2)  # 3 list pages


def shifted_trs_portal(host: str, *, call_says_offset: bool) -> SimPortal:
    """A TRS column whose page k ≥ 2 is ``index_{k}.html`` (not ``index_{k-1}``).

    ``call_says_offset``: the first page calls ``createPageHTML(3, 1, …)`` (it counts itself page
    1, as the site's own pager does); else it says 0 and only a 404 on ``index_1`` gives it away.
    """
    column = _shifted_column()
    routes: dict[str, Handler] = dict(column.routes())
    pages = len(column.pages())
    old = [routes.pop(column.list_path(p)) for p in range(pages)]
    for p, page in enumerate(old):
        assert isinstance(page, Page)
        old_path = column.list_path(p)
        new_path = old_path if p == 0 else f"/nb/index_{p + 1}.html"
        current = p + 1 if (p > 0 or call_says_offset) else 0
        body = re.sub(rb"createPageHTML\((\d+), \d+,", b"createPageHTML(\\1, %d," % current, page.body)
        routes[new_path] = Page(body, page.content_type)
    routes["/robots.txt"] = _robots()
    site_id = "shifted_call" if call_says_offset else "shifted_probe"
    return SimPortal(site_id, "宜良县人民政府", PortalServer(routes, host=host), [column.index_path], [(a, 2023) for a in SHIFTED_AGENCIES], cms="trs")


def tls_broken_portal(host: str) -> SimPortal:
    """Plain HTTP only, configured with an https start URL: the TLS handshake fails (北京朝阳)."""
    column = TrsColumn(
        prefix="",
        column_dir="nb",
        site_name="朝阳区人民政府",
        articles=[Article(_title("朝阳区民政局", 2023), date(2024, 1, 9), _report("pingluo_affairs_2021", "朝阳区民政局", 2023))],
    )
    routes: dict[str, Handler] = {**column.routes(), "/robots.txt": _robots()}
    return SimPortal("tls", "朝阳区人民政府", PortalServer(routes, host=host), [column.index_path], [("朝阳区民政局", 2023)], cms="trs")


MOVED_COLUMN = "/zfxxgknb/2023/"  # 301 → the homepage (门头沟)
MOVING_AGENCIES = ["门头沟区财政局", "门头沟区审计局", "门头沟区民政局"]  # kept, moved off-site, deleted


def redirecting_portal(host: str, other_host_url: str) -> SimPortal:
    """A column that moved to the homepage, a report moved to a foreign host, a deleted report."""
    agencies = MOVING_AGENCIES
    column = TrsColumn(
        prefix="",
        column_dir="nb",
        site_name="门头沟区人民政府",
        articles=[Article(_title(a, 2023), date(2024, 1, 10 + i), _report("pengyang_approval_2021", a, 2023), publisher=a) for i, a in enumerate(agencies)],
    )
    routes: dict[str, Handler] = {**column.routes(), "/robots.txt": _robots(), "/index.html": Page("<html><body>门头沟区人民政府</body></html>".encode())}
    paths = {a.title: p for a, p in column.detail_url_paths()}
    routes[paths[_title(agencies[1], 2023)]] = redirect(f"{other_host_url}/nb/moved.html")  # 海淀: another host
    routes[paths[_title(agencies[2], 2023)]] = meta_refresh("../")  # a deleted TRS document
    routes[MOVED_COLUMN] = redirect("/")
    return SimPortal(
        "moving", "门头沟区人民政府", PortalServer(routes, host=host), [column.index_path, MOVED_COLUMN], [(agencies[0], 2023)], cms="trs"
    )
