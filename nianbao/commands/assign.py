"""`nianbao assign-agency`: file a report that names no agency under the body an officer names."""

from __future__ import annotations

import argparse
from typing import cast

from core.agencies import UNNAMED_AGENCY
from core.errors import UsageError
from core.settings import Settings
from nianbao.cli import EXIT_OK
from nianbao.commands.context import open_app
from storage.models import Report


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Move report ``--report`` from the stand-in to ``--agency`` of its site and resolve its
    unnamed_agency finding; the findings about its content (with their acknowledgements) follow
    it to the body; the next `check` judges that body's deadlines with it."""
    from monitor.lifecycle import follow_report, resolve_for_report
    from storage.ingest import assign_agency

    app = open_app(settings)
    try:
        with app.db.session() as s:
            filed = s.get(Report, args.report)
            old_agency = filed.agency_id if filed is not None else None  # no report: assign_agency says so
            report, agency = assign_agency(s, args.report, args.agency)
            reason = args.reason or f"已认定为{agency.name}的报告"
            resolved = resolve_for_report(s, report.id, "unnamed_agency", reason)
            moved, handed = follow_report(
                s, report.id, cast(int, old_agency), agency.id,
                evidence={"agency": agency.name, "level": agency.level}, except_kinds=("unnamed_agency",),
            )
            line = (
                f"report {report.id} ({report.site_id}, {report.report_year}) moved from {UNNAMED_AGENCY} "
                f"to {agency.name} (agency {agency.id}); findings resolved: {', '.join(map(str, resolved)) or 'none'}; "
                f"findings moved with it: {', '.join(map(str, moved)) or 'none'}"
                + (f"; acknowledgements passed to the body's own findings from: {', '.join(map(str, handed))}" if handed else "")
            )
    except (LookupError, ValueError) as exc:
        raise UsageError(f"assign-agency: {exc}") from None
    finally:
        app.db.dispose()
    print(line)
    print("run `nianbao check` to judge the body's deadlines with it")
    return EXIT_OK
