"""`nianbao demo`: the whole pipeline on bundled demo portals served on loopback.

Starts the demo portals, crawls them with the real Scrapy spider, stores and parses every
report, runs the monitor at a fixed date and writes a digest to the outbox. Running it twice
stores nothing twice: documents, reports and findings have stable identities.
"""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy import func, select

from nianbao.cli import EXIT_OK
from nianbao.commands.check import print_check_summary
from nianbao.commands.context import open_app
from core.settings import Recipient, Settings
from storage.models import Finding, Report

# The demo's reports cover 2020–2024; checking at this date makes its findings reproducible.
DEMO_AS_OF = date(2025, 6, 30)
DEMO_RECIPIENT = Recipient(email="demo-officer@example.org", name="演示：政务公开办公室", frequency="weekly")


def demo_settings(settings: Settings, base_url: str) -> Settings:
    """The user's settings with the demo portals as the only sites and no crawl delays."""
    from nianbao.demo.portal import demo_sites

    crawler = settings.crawler.model_copy(update={"download_delay": 0.0, "autothrottle": False, "randomize_delay": False, "concurrency_per_domain": 4})
    return settings.model_copy(
        update={
            "sites": demo_sites(base_url),
            "crawler": crawler,
            "recipients": settings.recipients or [DEMO_RECIPIENT],
            "smtp": None,  # the demo never sends mail: the digest goes to the outbox
        }
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from crawler.run import run_crawl
    from monitor.check import run_check
    from monitor.digest import build_digests, deliver_digests
    from nianbao.demo.portal import DemoPortal

    as_of = args.as_of or settings.demo.as_of or DEMO_AS_OF
    portal = DemoPortal(settings.demo.port if args.port is None else args.port)
    portal.start()
    try:
        dsettings = demo_settings(settings, portal.base_url)
        app = open_app(dsettings)
        site_ids = [s.id for s in dsettings.sites]
        print(f"demo portals at {portal.base_url}: {', '.join(site_ids)}")
        crawl = run_crawl(dsettings, site_ids, mode="crawl")
    finally:
        portal.stop()
    summary = run_check(app.db, dsettings, as_of, site_ids=site_ids)
    digests = build_digests(app.db, dsettings, as_of)
    delivery = deliver_digests(app.db, dsettings, digests)
    with app.db.session() as s:
        reports = s.scalar(select(func.count()).select_from(Report).where(Report.site_id.in_(site_ids)))
        open_findings = dict(
            s.execute(
                select(Finding.kind, func.count())
                .where(Finding.site_id.in_(site_ids), Finding.status.in_(("new", "open", "reopened")))
                .group_by(Finding.kind)
            ).all()
        )
    print(f"sites: {len(site_ids)} · pages fetched: {crawl.get('pages', 0)} · reports stored: {reports}")
    print("crawl this run: new {} changed {} unchanged {}".format(crawl.get("new", 0), crawl.get("changed", 0), crawl.get("unchanged", 0)))
    print_check_summary({**summary, "by_kind": open_findings}, as_of)
    paths = delivery.get("paths") or []
    print(f"digest: {', '.join(str(p) for p in paths) if paths else 'unchanged since the last run, not written again'}")
    print(f"database: {dsettings.database_url}")
    from nianbao.commands.site import write_site

    write_site(app, as_of=as_of, site_ids=site_ids)
    print("next: open the site's index.html in a browser, or `nianbao findings`, `nianbao reports --format json`")
    return EXIT_OK
