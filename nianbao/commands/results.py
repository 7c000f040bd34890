"""`nianbao reports` and `nianbao findings`: read results as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from nianbao.cli import EXIT_OK, EXIT_PROBLEMS
from core.errors import UsageError
from nianbao.commands.context import App, open_app
from storage.report_json import report_to_dict
from core.settings import Settings
from storage.models import Finding, Report

OPEN_STATUSES = ("new", "open", "reopened")
# Unicode categories a terminal acts on or hides: controls, format (bidi overrides, zero-width),
# line/paragraph separators, private use, surrogates.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs"})


def run_reports(args: argparse.Namespace, settings: Settings) -> int:
    app = open_app(settings)
    with app.db.session() as s:
        q = select(Report).options(selectinload(Report.cells), selectinload(Report.agency)).order_by(Report.site_id, Report.report_year, Report.id)
        if args.site:
            q = q.where(Report.site_id.in_(args.site))
        if args.year:
            q = q.where(Report.report_year == args.year)
        reports = [report_to_dict(r) for r in s.scalars(q)]
    if args.format == "json":
        _print_json(reports)
    else:
        rows = [
            [r["id"], r["site"], r["agency"], r["report_year"], r["format"] or "", r["published_on"] or "?", r["parse_status"], len(r["warnings"])]
            for r in reports
        ]
        print_table(["id", "site", "agency", "year", "format", "published", "status", "warnings"], rows)
    return EXIT_OK


FINDING_CSV_COLUMNS = ["id", "status", "severity", "kind", "rule", "site", "agency", "report_year", "detail", "source_url", "first_seen"]


def _acknowledge_finding(args: argparse.Namespace, app: App) -> int:
    """`findings ack ID --reason …`."""
    from monitor.lifecycle import acknowledge

    if args.id is None or not args.reason:
        raise UsageError("findings ack: give the finding ID and --reason")
    try:
        finding = acknowledge(app.db, args.id, args.reason)
    except LookupError as exc:
        raise UsageError(f"findings ack: {exc}") from None
    print(f"finding {finding.id} acknowledged: {args.reason}")
    return EXIT_OK


def _select_findings(args: argparse.Namespace, app: App) -> list[dict[str, Any]]:
    """The findings the filters (--status open, --site, --kind) select, as dicts."""
    from monitor.lifecycle import finding_to_dict

    with app.db.session() as s:
        q = select(Finding).order_by(Finding.site_id, Finding.agency_id, Finding.report_year, Finding.id)
        if args.status == "open":
            q = q.where(Finding.status.in_(OPEN_STATUSES))
        if args.site:
            q = q.where(Finding.site_id.in_(args.site))
        if args.kind:
            q = q.where(Finding.kind.in_(args.kind))
        return [finding_to_dict(f) for f in s.scalars(q)]


def _print_findings_csv(findings: list[dict[str, Any]]) -> None:
    w = csv.writer(sys.stdout)
    w.writerow(FINDING_CSV_COLUMNS)
    for f in findings:
        w.writerow([f["id"], f["status"], f["severity"], f["kind"], f["rule"] or "", f["site"] or "", f["agency"] or "", f["report_year"] or "", f["detail"], f.get("source_url") or "", f["first_seen"]])


def _print_findings_table(findings: list[dict[str, Any]]) -> None:
    rows = [[f["id"], f["status"], f["severity"], f["kind"] + (f"/{f['rule']}" if f["rule"] else ""), f["agency"] or f["site"] or "", f["report_year"] or "", _ack_mark(f), f["detail"]] for f in findings]
    print_table(["id", "status", "severity", "kind", "agency", "year", "acknowledged", "detail"], rows)


def _ack_mark(finding: dict[str, Any]) -> str:
    """What the table shows of an officer's acknowledgement: 已确认 and the reason given."""
    if not finding.get("acknowledged"):
        return ""
    return f"已确认：{finding['ack_reason']}" if finding.get("ack_reason") else "已确认"


def run_findings(args: argparse.Namespace, settings: Settings) -> int:
    app = open_app(settings)
    if args.action == "ack":
        return _acknowledge_finding(args, app)
    findings = _select_findings(args, app)
    if args.format == "json":
        _print_json(findings)
    elif args.format == "csv":
        _print_findings_csv(findings)
    else:
        _print_findings_table(findings)
    open_count = sum(1 for f in findings if f["status"] in OPEN_STATUSES and not f.get("acknowledged"))
    return EXIT_PROBLEMS if open_count else EXIT_OK


def _print_json(data: Any) -> None:
    sys.stdout.write(visible_json(data))
    sys.stdout.write("\n")


def visible_json(data: Any) -> str:
    """``data`` as JSON (Chinese kept readable) with the characters ``visible`` escapes written as
    JSON ``\\uXXXX`` escapes. ``json.dumps`` escapes only C0 controls (ESC, BEL): bidi overrides
    (U+202E), isolates, zero-width and C1 characters would reach the terminal raw. Only string
    contents can hold them, so the JSON stays valid and reads back as the same data."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return "".join(_json_escape(ch) if ch != "\n" and _hidden(ch) else ch for ch in text)


def _hidden(ch: str) -> bool:
    """A character a terminal would act on or hide instead of showing (``visible``)."""
    return unicodedata.category(ch) in HIDDEN_CATEGORIES


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:  # a JSON escape is UTF-16: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def visible(text: str) -> str:
    """``text`` safe for a terminal: control, format (bidi overrides, zero-width) and line/paragraph
    separator characters shown as ``\\uXXXX`` escapes, so crawled text cannot move the cursor,
    recolour the terminal or reorder what is shown."""
    return "".join((f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}") if _hidden(ch) else ch for ch in text)


def print_table(headers: list[str], rows: list[list[Any]], *, max_col: int = 60) -> None:
    """A plain table aligned for CJK text (wide characters take two columns); crawled text is
    shown ``visible``."""
    cells = [[str(h) for h in headers]] + [[_clip(visible(str(c)), max_col) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(r)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    if not rows:
        print("(none)")


def _clip(text: str, limit: int) -> str:
    out, w = "", 0
    for ch in text:
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if w > limit:
            return out + "…"
        out += ch
    return out
