"""`nianbao serve` and `nianbao jobs`: the scheduler and its job list."""

from __future__ import annotations

import argparse

from nianbao.cli import EXIT_OK
from nianbao.commands.context import open_app
from nianbao.commands.results import print_table
from nianbao.settings import Settings


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.scheduler import serve

    open_app(settings)
    serve(settings, config_path=args.config)
    return EXIT_OK


def run_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.scheduler import list_jobs

    open_app(settings)
    jobs = list_jobs(settings, config_path=args.config)
    print_table(["id", "trigger", "next run"], [[j["id"], j["trigger"], j["next_run_time"] or ""] for j in jobs])
    return EXIT_OK
