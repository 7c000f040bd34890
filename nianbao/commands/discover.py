"""`nianbao discover URL`: find a portal's 年报 column(s) and print a ready-to-paste ``sites:`` entry.

Everything printed on stdout is YAML: the entry, with the path followed and the other candidates
as comments, so an operator can check and correct it before pasting it into settings.yaml.
Exit 0 when a column was found, 1 when none was (what was looked at is printed), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any
from urllib.parse import urlsplit

import yaml

from core.errors import UsageError
from core.settings import SITE_ID, Settings, settings_from_dict
from nianbao.cli import EXIT_OK, EXIT_PROBLEMS

OTHER_CANDIDATES = 12  # candidates listed besides the chosen column(s)


def run(args: argparse.Namespace, settings: Settings) -> int:
    url = args.url.strip()
    if not re.match(r"^https?://[^/\s]+", url):
        raise UsageError(f"discover: {url!r} is not an http(s) URL")
    if args.max_pages < 1:
        raise UsageError("discover: --max-pages must be at least 1")
    site_id = args.id or default_site_id(url)
    if not SITE_ID.match(site_id):
        raise UsageError(f"discover: --id {site_id!r} must be lower-case letters, digits, '-' or '_' (at most 64)")
    from crawler.discover import run_discover

    result = run_discover(settings, url, max_pages=args.max_pages)
    print(f"# nianbao discover {url}: {len(result.visited)} page(s) looked at (at most {args.max_pages})")
    if not result.columns:
        for line in _visited(result) + _others(result, []) + _limits(result):
            print(line)
        print(f"nianbao discover: no 年报 column found from {url} in {len(result.visited)} page(s); {_why_none(result)}", file=sys.stderr)
        return EXIT_PROBLEMS
    entry = site_entry(result, site_id, name=args.name, region=args.region)
    settings_from_dict({"sites": [entry]})  # what we print must load; a SettingsError here is a bug
    for line in _found(result):
        print(line)
    print(yaml.safe_dump({"sites": [entry]}, allow_unicode=True, sort_keys=False, default_flow_style=False).rstrip())
    for line in _others(result, result.columns) + _limits(result):
        print(line)
    if settings.sites and site_id in {s.id for s in settings.sites}:
        print(f"# note: site id {site_id!r} is already configured in {settings.source}; pick another with --id")
    return EXIT_OK


def default_site_id(url: str) -> str:
    """An id from the host: ``www.xxx.gov.cn`` → ``xxx``; ``127.0.0.1`` → ``127-0-0-1``."""
    host = (urlsplit(url).hostname or "site").lower().removeprefix("www.")
    host = re.sub(r"\.(?:gov\.cn|com\.cn|org\.cn|cn|com)$", "", host)
    return re.sub(r"[^a-z0-9_-]+", "-", host).strip("-_")[:64] or "site"


def site_entry(result: Any, site_id: str, *, name: str | None, region: str | None) -> dict[str, Any]:
    """The ``sites:`` item for the found column(s) (keys as core.settings.SiteSpec has them)."""
    start_host = (urlsplit(result.visited[0].final_url or result.start_url).hostname or "").lower() if result.visited else ""
    urls = [result.column_url(c) for c in result.columns]
    entry: dict[str, Any] = {"id": site_id, "name": name or result.site_name or start_host}
    if region:
        entry["region"] = region
    entry["start_urls"] = urls
    families = {c.family or "generic" for c in result.columns}
    entry["cms"] = families.pop() if len(families) == 1 else "auto"
    hosts = sorted({(urlsplit(u).hostname or "").lower() for u in urls})
    if any(h != start_host for h in hosts):
        # The column lives on another host: its reports may still link back to the portal's own.
        entry["allowed_domains"] = hosts + ([start_host] if start_host and start_host not in hosts else [])
    return entry


def _found(result: Any) -> list[str]:
    n = len(result.columns)
    lines = [f"# found {n} 年报 column{'s' if n > 1 else ''}" + (" (not confirmed by the page: it lists no report the spider can see)" if result.unconfirmed else "") + ":"]
    for c in result.columns:
        lines.append(f"#   {result.column_url(c)}  cms {c.family}  score {c.total} ({'; '.join(_reasons(c))})")
    families = {c.family for c in result.columns}
    if len(families) > 1:
        lines.append(f"#   the columns are of different CMS families ({', '.join(sorted(f or '?' for f in families))}): cms auto; one site per column may crawl better")
    for c in result.columns:
        chain = result.path_to(c)
        lines.append("# path: " + " → ".join(f"{x.text or 'start'} {result.column_url(x) if x.status != 'queued' else x.url}" for x in chain))
    return lines


def _reasons(c: Any, *, hub: bool = False) -> list[str]:
    return [*c.score.reasons, *c.evidence_reasons, *(c.score.hub_reasons if hub else ())] or ["no evidence"]


def _others(result: Any, chosen: list[Any]) -> list[str]:
    rest = [c for c in result.candidates if c not in chosen and (c.score.column or c.status in ("column", "page", "other host"))]
    if not rest:
        return ["# no other candidate link (none named 年报 / 年度报告 or carried a 年报 slug)" if chosen else "# no link named 年报 / 年度报告 or carrying a 年报 slug was seen"]
    lines = ["# other candidates (column score = link + page evidence; hub = towards 政府信息公开):"]
    for c in rest[:OTHER_CANDIDATES]:
        state = {"column": "column inside another" if chosen else "column", "page": "fetched, not a column"}.get(c.status, c.status)
        detail = f"; {c.note}" if c.note else ""
        lines.append(f"#   column {c.total:>2}  hub {c.score.hub:>2}  [{state}{detail}]  {c.url}  {c.text[:30] or '(start URL)'}  ({'; '.join(_reasons(c, hub=True))})")
    if len(rest) > OTHER_CANDIDATES:
        lines.append(f"#   … and {len(rest) - OTHER_CANDIDATES} more")
    return lines


def _visited(result: Any) -> list[str]:
    lines = ["# pages looked at:"]
    for c in result.visited:
        state = {"page": "fetched", "column": "column"}.get(c.status, c.status)
        lines.append(f"#   [{state}{': ' + c.note if c.note else ''}]  {c.url}  {c.text[:30] or '(start URL)'}")
    return lines


def _limits(result: Any) -> list[str]:
    lines = [f"# robots.txt forbids {c.url} ({c.text or 'start URL'}): not followed" for c in result.forbidden]
    if result.budget_exhausted:
        queued = [c for c in result.candidates if c.status == "queued"]
        lines.append(f"# the page budget (--max-pages {result.max_pages}) ran out with {len(queued)} candidate page(s) not visited")
    return lines


def _why_none(result: Any) -> str:
    if result.forbidden:
        return f"robots.txt forbids {len(result.forbidden)} link(s) on the way ({', '.join(c.url for c in result.forbidden[:3])})"
    if result.budget_exhausted:
        return f"the page budget ran out: try a larger --max-pages than {result.max_pages}"
    shells = [c for c in result.visited if c.family == "gkmlpt" and c.status == "page"]
    if shells:
        return f"{shells[0].final_url or shells[0].url} is a disclosure platform whose categories its script builds and none of them is named 年报 where the spider can read it: give the 年报 category as a start URL ending #<catid>"
    failed = [c for c in result.visited if c.status == "failed"]
    if failed and len(failed) == len(result.visited):
        return f"no page could be read ({failed[0].note})"
    return "no link named 年报 / 年度报告 / 政府信息公开 led to one (see the pages looked at on stdout)"
