"""The CLI reference (docs/cli.md), generated from the argument parser so it cannot drift."""

from __future__ import annotations

import argparse
import os

from nianbao.cli import build_parser


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def render_reference() -> str:
    """Markdown: the top-level help and every subcommand's help, in order."""
    os.environ["COLUMNS"] = "100"  # stable wrapping, whatever the terminal
    parser = build_parser()
    parts = [
        "# Command reference\n",
        "Generated from the code by `python -m nianbao.clidoc > docs/cli.md`; a test fails when it is stale.\n",
        "```\n" + parser.format_help().rstrip() + "\n```\n",
    ]
    for name, sub in subcommands(parser).items():
        parts.append(f"## nianbao {name}\n\n```\n{sub.format_help().rstrip()}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_reference(), end="")
