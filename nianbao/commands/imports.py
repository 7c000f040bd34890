"""`nianbao import PATH …`: files or folders of reports stored as if they had been crawled."""

from __future__ import annotations

import argparse
from pathlib import Path

from nianbao.cli import EXIT_OK, EXIT_PROBLEMS
from core.errors import UsageError
from nianbao.commands.context import open_app
from storage.ingest import Ingestor, NotKept, utcnow
from core.mediatype import sniff_media_type
from core.settings import Settings

IMPORTABLE = {".txt", ".md", ".html", ".htm", ".shtml", ".pdf", ".docx", ".doc", ".wps", ".xls", ".xlsx"}


def collect_files(paths: list[str]) -> list[Path]:
    """Every importable file named, or found below a named folder, in a stable order."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMPORTABLE))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"import: {p}: no such file or folder")
    return files


def run(args: argparse.Namespace, settings: Settings) -> int:
    files = collect_files(args.paths)
    if args.url and len(files) != 1:
        raise UsageError("import: --url names the source of one file; it cannot be used with several")
    if args.site:
        settings.site(args.site)  # a clear error for an unknown site
    app = open_app(settings)
    ingestor = Ingestor.from_settings(app.db, app.store, settings)
    hints = {"agency": args.agency, "report_year": args.year, "published_on": args.published}
    counts: dict[str, int] = {}
    for f in files:
        url = args.url or f.resolve().as_uri()
        try:
            body = f.read_bytes()
        except OSError as exc:
            print(f"{f}: cannot read: {exc.strerror}")
            counts["failed"] = counts.get("failed", 0) + 1
            continue
        # The file's own name says what it is, whatever --url records as its source.
        media_type = sniff_media_type(body, None, f.name)
        try:
            result = ingestor.ingest(
                url=url, body=body, site_id=args.site, media_type=media_type, hints=hints, origin="import", fetched_at=utcnow()
            )
        except NotKept as exc:  # the raw store or the database refused it: say so, import the rest
            print(f"{f}: not stored: {exc}")
            counts["failed"] = counts.get("failed", 0) + 1
            continue
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        parsed = result.parsed
        what = f"{parsed.agency} {parsed.report_year}" if parsed and parsed.kind == "report" else ""
        extra = f" ({result.message})" if result.message else ""
        print(f"{f}: {result.outcome} {what}{extra}".rstrip())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to import"
    print(f"imported {len(files)} file(s): {summary}")
    return EXIT_PROBLEMS if counts.get("failed") else EXIT_OK
