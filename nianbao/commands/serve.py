"""`nianbao serve` and `nianbao jobs`: the scheduler and its job list."""

from __future__ import annotations

import argparse

from nianbao.cli import EXIT_OK
from nianbao.commands.context import open_app
from nianbao.commands.results import print_table
from core.settings import Settings


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from nianbao.scheduler import serve

    open_app(settings)
    serve(settings, config_path=args.config)
    return EXIT_OK


def run_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from nianbao.scheduler import list_jobs

    open_app(settings)
    jobs = list_jobs(settings, config_path=args.config)
    print_table(
        ["id", "schedule", "command", "next run", "last run", "exit"],
        [[j["id"], j["trigger"], j["command"], j["next_run_time"] or "", j["last_run"] or "never", "" if j["last_exit_code"] is None else j["last_exit_code"]] for j in jobs],
    )
    return EXIT_OK
