"""`nianbao export`: findings, report cells or the board as an Excel workbook or a CSV file."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from core.settings import Settings
from nianbao.cli import EXIT_OK
from nianbao.commands.context import open_app


def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.export import export

    app = open_app(settings)
    out = Path(args.out)
    fmt = args.format or (out.suffix.lstrip(".").lower() if out.suffix.lower() in (".xlsx", ".csv") else "xlsx")
    with app.db.session() as s:
        counts = export(
            s,
            settings,
            args.what,
            fmt,
            out,
            as_of=args.as_of or date.today(),
            sites=args.site,
            year=args.year,
        )
    sheets = ", ".join(f"{title} {n} rows" for title, n in counts.items())
    print(f"{args.what} written to {out} ({fmt}: {sheets})")
    return EXIT_OK
