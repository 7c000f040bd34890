"""`nianbao site --out DIR`: the officers' static site, written from the database."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from core.settings import Settings
from nianbao.cli import EXIT_OK
from nianbao.commands.context import App, open_app


def write_site(app: App, out: Path | None = None, *, as_of: date | None = None, site_ids: list[str] | None = None) -> Path:
    """Generate the site into ``out`` (default: the ``site`` setting); print what was written."""
    from monitor.site.build import build_site

    out = Path(out) if out else app.settings.site_dir
    with app.db.session() as s:
        stats = build_site(s, app.settings, out, as_of=as_of, site_ids=site_ids)
    pages = ", ".join(f"{k} {v}" for k, v in sorted(stats.pages.items()))
    print(
        f"site: {out / 'index.html'} ({pages}; written {stats.written}, unchanged {stats.unchanged} "
        f"({stats.reused} of them kept unread: their data did not change), removed {stats.removed})"
    )
    return out


def run(args: argparse.Namespace, settings: Settings) -> int:
    app = open_app(settings)
    write_site(app, Path(args.out) if args.out else None, as_of=args.as_of, site_ids=args.site)
    return EXIT_OK
