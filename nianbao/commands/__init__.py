"""One module per command; ``dispatch`` routes parsed arguments to them.

Modules are imported on demand so that `nianbao reports` does not load Scrapy.
"""

from __future__ import annotations

import argparse
from importlib import import_module

from core.settings import Settings

HANDLERS = {
    "demo": "demo:run",
    "crawl": "crawl:run_crawl_command",
    "recrawl": "crawl:run_recrawl_command",
    "discover": "discover:run",
    "import": "imports:run",
    "ingest": "ingest:run",
    "reparse": "reparse:run",
    "rawstore": "rawstore:run",
    "check": "check:run",
    "findings": "results:run_findings",
    "reports": "results:run_reports",
    "assign-agency": "assign:run",
    "audit": "audit:run",
    "export": "export:run",
    "digest": "digest:run",
    "site": "site:run",
    "migrate-db": "migrate_db:run",
    "worker": "crawl:run_worker_command",
    "serve": "serve:run_serve",
    "jobs": "serve:run_jobs",
}


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    """Run the command named in ``args``; returns the exit code."""
    module, func = HANDLERS[args.command].split(":")
    return getattr(import_module(f"nianbao.commands.{module}"), func)(args, settings)
