"""`nianbao audit SITE [--run N] [--url URL]`: why a report was (not) found, from the crawl's records.

A command of its own rather than ``crawl --explain``: it only reads the database (like ``findings``
and ``reports``), never loads Scrapy or touches a portal, and can be asked about any past run.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.errors import UsageError
from core.settings import Settings
from nianbao.cli import EXIT_OK
from nianbao.commands.context import open_app
from nianbao.commands.results import _print_json, print_table
from storage.crawl_audit import link_story, runs_of_site, site_audit
from storage.models import CrawlRun, Site


def run(args: argparse.Namespace, settings: Settings) -> int:
    app = open_app(settings)
    with app.db.session() as s:
        if s.get(Site, args.site) is None:
            raise UsageError(f"audit: unknown site {args.site!r}")
        runs = runs_of_site(s, args.site)
        if args.run is not None:
            chosen = s.get(CrawlRun, args.run)
            if chosen is None or chosen not in runs:
                raise UsageError(f"audit: run {args.run} did not crawl site {args.site!r}")
            runs = [r for r in runs if r.id <= chosen.id] if args.url else [chosen]
        if not runs:
            raise UsageError(f"audit: site {args.site!r} has not been crawled yet")
        data = link_story(s, args.site, args.url, runs) if args.url else site_audit(s, args.site, runs[0])
    if args.format == "json":
        _print_json(data)
    elif args.url:
        _print_story(data)
    else:
        _print_site(data)
    return EXIT_OK


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def _print_site(data: dict[str, Any]) -> None:
    run = data["run"]
    print(f"site {data['site']}: run {run['id']} ({run['kind']}, {run['status']}, started {run['started_at']})")
    rows = [
        [
            p["url"],
            p["status"] if not p["detail"] else f"{p['status']}: {p['detail']}",
            p["seen"],
            p["followed"],
            _counts(p["skipped"]),
            _counts(p["outcomes"]),
            p["pagination"] or "-",
            _counts(p["dropped"]),
        ]
        for p in data["pages"]
    ]
    print_table(["list page", "status", "seen", "followed", "skipped", "became", "next page", "dropped links"], rows, max_col=70)
    if not rows:
        print("no list page recorded for this run (a run before the crawl audit, migration 0008, records none)")
    t = data["totals"]
    print(
        f"total: {t['pages']} list pages, {t['seen']} entries seen, {t['followed']} followed, "
        f"{sum(t['skipped'].values())} skipped ({_counts(t['skipped'])}); became: {_counts(t['outcomes'])}"
    )


def _print_story(data: dict[str, Any]) -> None:
    print(f"link {data['url']} (site {data['site']})")
    if not data["listed"]:
        print("listed: on no list page the crawl audit recorded")
    for e in data["listed"]:
        became = f" -> {e['outcome']}" if e["outcome"] else ""
        reports = f" (report {', '.join(map(str, e['report_ids']))})" if e["report_ids"] else ""
        detail = f" [{e['detail']}]" if e["detail"] else ""
        print(f"run {e['run']} ({e['run_status']}, {e['seen_at']}): listed on {e['list_url']} as {e['title']!r}")
        print(f"  {e['decision']} ({e['reason']}){became}{reports}{detail}")
        print(f"  说明：{e['explanation']}")
    if data["links"]:
        print("links followed from it: " + ", ".join(data["links"]))
    for f in data["fetched"]:
        print(f"fetched {f['url']} in run {f['run']} at {f['fetched_at']}: HTTP {f['http_status']}, {f['media_type']}, {f['size']} bytes -> {f['outcome']}")
    for e in data["errors"]:
        print(f"error in run {e['run']} at {e['at']}: {e['kind']}: {e['detail']}")
    for r in data["reports"]:
        print(f"report {r['id']}: {r['agency']} {r['report_year']} ({r['parse_status']}{', superseded' if r['superseded'] else ''}) from {r['source_url']}")
    if not data["reports"]:
        print("report: none filed from this link")
