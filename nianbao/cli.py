"""The ``nianbao`` command: scheduled runs, ad-hoc (re)crawls, imports and reading results.

Exit codes: 0 success; 1 the command ran and found problems where asked (``check`` returns 0);
2 usage or configuration error, with a one-line message on stderr; 3 a crawl or recrawl in which
a site could not be reached at all; 130 stopped by SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from core.errors import UsageError
from core.settings import SettingsError, load_settings

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_UNREACHABLE = 3  # a crawl in which a site could not be reached at all (DNS, refused, every request failed)
EXIT_INTERRUPTED = 130  # stopped by SIGINT/SIGTERM before the end (a crawl can be resumed)


def _date(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    # Deadlines are computed from it: a date near the calendar's end would overflow them.
    if not 2000 <= day.year <= 2100:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date between 2000 and 2100")
    return day


def _year(value: str) -> int:
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise argparse.ArgumentTypeError(f"{value!r} is not a report year")
    return int(value)


CRAWL_EXIT_CODES = (
    f"Exit {EXIT_OK} when the crawl ran to its end (problems found on portals are crawl errors and findings, listed in "
    f"the summary); {EXIT_UNREACHABLE} when a site could not be reached at all (no answer to any of its requests: DNS "
    f"failure, connection refused, every request failed), named in the summary; {EXIT_INTERRUPTED} when stopped before "
    f"the end (the same command resumes); {EXIT_PROBLEMS} when a distributed crawl lost its shared queue (Redis restarted "
    f"without persistence: the run is closed as failed, crawl again); {EXIT_USAGE} for a bad site id or settings, or a "
    f"Redis that does not answer when a distributed crawl starts."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="nianbao",
        description="Monitor 政府信息公开工作年度报告: crawl portals, parse reports, check deadlines and "
        "balance rules, send digests.",
    )
    p.add_argument("--config", metavar="PATH", help="settings file (default: $NIANBAO_CONFIG, ./settings.yaml, embedded defaults)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("demo", help="crawl the bundled demo portals on loopback, check, and write a digest")
    d.add_argument("--as-of", type=_date, help="check date (default 2025-06-30, so the demo's findings are the same every day)")
    d.add_argument("--port", type=int, help="loopback port of the demo portals (default from settings; 0 picks a free one)")

    c = sub.add_parser(
        "crawl",
        help="crawl the configured sites (all, or those named) incrementally",
        description="Crawl the configured sites (all, or those named) incrementally and print the run's summary. " + CRAWL_EXIT_CODES,
    )
    c.add_argument("--site", action="append", metavar="ID", help="only this site (repeatable)")
    c.add_argument(
        "--distributed",
        action="store_true",
        help="seed the shared Redis queue (crawler.redis_url), record one crawl run, wait for the `nianbao worker` processes "
        "to drain it, then print the summary (docs/distributed-crawl.md)",
    )

    r = sub.add_parser(
        "recrawl",
        help="force a fresh fetch of one site, optionally one report year or one URL",
        description="Fetch one site afresh (no conditional requests, no early stop), optionally one report year or one "
        "URL, and print the run's summary. " + CRAWL_EXIT_CODES,
    )
    r.add_argument("--site", required=True, metavar="ID")
    r.add_argument("--year", type=_year, help="only entries of this report year")
    r.add_argument("--url", help="only this URL")
    r.add_argument("--distributed", action="store_true",
                   help="as `crawl --distributed`: seed the shared Redis queue and let the `nianbao worker` processes fetch")

    dv = sub.add_parser(
        "discover",
        help="find a portal's 政府信息公开年报 column(s) from its home page and print a sites: entry for settings.yaml",
        description="Follow the links a person would (政务公开 / 政府信息公开 → 政府信息公开年报) from URL, within a "
        "page budget, obeying robots.txt and the crawl's delays, and print a ready-to-paste sites: entry with the path "
        "followed and the other candidates as YAML comments. Exit 0 when a column was found, 1 when none was.",
    )
    dv.add_argument("url", metavar="URL", help="the portal's home page or its 政府信息公开 page")
    dv.add_argument("--id", metavar="ID", help="site id (default: from the host name)")
    dv.add_argument("--name", help="site name (default: the home page's SiteName meta or title)")
    dv.add_argument("--region", help="region of the site (e.g. 宁夏/固原市)")
    dv.add_argument("--max-pages", type=int, default=30, metavar="N", help="most pages to fetch (default 30)")

    i = sub.add_parser("import", help="import report files or folders (text, HTML, PDF, DOCX, DOC, WPS, XLS) as if crawled")
    i.add_argument("paths", nargs="+", metavar="PATH")
    i.add_argument("--site", metavar="ID", help="file the reports under this configured site")
    i.add_argument("--agency", metavar="NAME", help="publishing agency (default: read from the document)")
    i.add_argument("--year", type=_year, help="report year (default: read from the document)")
    i.add_argument("--published", type=_date, metavar="YYYY-MM-DD", help="publication date")
    i.add_argument("--url", help="source URL to record (default: file:// URL of the file)")

    ig = sub.add_parser("ingest", help="parse and file the fetched documents waiting in the ingest queue")
    ig.add_argument("--batch", type=int, default=8, metavar="N", help="documents claimed at a time (default 8)")

    rp = sub.add_parser("reparse", help="re-parse stored raw documents and report what changed")
    rp.add_argument("--site", action="append", metavar="ID", help="only documents of this site (repeatable)")
    rp.add_argument("--as-of", type=_date, help="check date of the check that follows (default: today)")

    rs = sub.add_parser(
        "rawstore",
        help="copy the raw-document store into another: `rawstore sync --to s3://bucket/prefix`",
        description="Copy every raw document the target lacks (same keys, streamed, verified by hash); run it "
        "again after an interruption. Then point `storage` at the target (docs/object-store.md).",
    )
    rs.add_argument("action", choices=["sync"])
    rs.add_argument("--to", required=True, metavar="LOCATION", help="target store: a folder or s3://bucket/prefix")
    rs.add_argument("--from", dest="source", metavar="LOCATION", help="source store (default: the `storage` setting)")

    ck = sub.add_parser("check", help="run every rule and update findings (new/open/resolved)")
    ck.add_argument("--as-of", type=_date, help="check date (default: today)")
    ck.add_argument("--site", action="append", metavar="ID")
    ck.add_argument(
        "--write-site", action="store_true", help="then regenerate the static site (the site_folder setting); the scheduler uses this"
    )

    f = sub.add_parser("findings", help="list findings; `findings ack ID --reason …` acknowledges one")
    f.add_argument("action", nargs="?", choices=["list", "ack"], default="list")
    f.add_argument("id", nargs="?", type=int, help="finding id (for ack)")
    f.add_argument("--reason", help="why the finding is acknowledged (for ack)")
    f.add_argument("--format", choices=["table", "json", "csv"], default="table")
    f.add_argument("--site", action="append", metavar="ID")
    f.add_argument("--status", choices=["open", "all"], default="open")
    f.add_argument("--kind", action="append", help="only findings of this kind")

    aa = sub.add_parser(
        "assign-agency",
        help="file a report that names no agency (未写明发布机构) under the body of its site an officer names",
        description="Move report ID from the stand-in 未写明发布机构 to the agency NAME of the report's site (found by "
        "the site's agency names and aliases, as crawled reports are; a name not known there becomes a new agency of "
        "the site), and resolve the report's unnamed_agency finding with the reason. The next `check` judges that "
        "agency's deadlines with the report. Exit 2 for an unknown report or one not under the stand-in.",
    )
    aa.add_argument("--report", type=int, required=True, metavar="ID", help="report id (see `nianbao reports`)")
    aa.add_argument("--agency", required=True, metavar="NAME", help="the body that published the report")
    aa.add_argument("--reason", help="why (kept with the resolved finding; default: 已认定为NAME的报告)")

    rep = sub.add_parser("reports", help="list parsed reports with every cell")
    rep.add_argument("--format", choices=["table", "json"], default="table")
    rep.add_argument("--site", action="append", metavar="ID")
    rep.add_argument("--year", type=_year)

    au = sub.add_parser(
        "audit",
        help="explain a site's crawl: per list page, entries seen, followed, skipped (and why) and what they became",
        description="Read what a crawl recorded about SITE (the latest run, or --run N): per list page the entries "
        "seen, followed and skipped by reason, and what the followed ones became. With --url, the story of one link "
        "in every run: where it was listed, what was decided, what was fetched and parsed, which report it became. "
        "Reads the database only.",
    )
    au.add_argument("site", metavar="SITE", help="site id")
    au.add_argument("--run", type=int, metavar="N", help="crawl run id (default: the latest run of the site)")
    au.add_argument("--url", help="the story of this link")
    au.add_argument("--format", choices=["table", "json"], default="table")

    ex = sub.add_parser(
        "export",
        help="write findings, report cells or the board (bodies × years) as an Excel workbook or CSV, in Chinese",
        description="Chinese headers and official labels; one sheet per table section for cells; header row frozen; "
        "text that a spreadsheet would run as a formula is neutralised; CSV is UTF-8 with a byte-order mark.",
    )
    ex.add_argument("--what", choices=["findings", "cells", "board"], required=True, help="what to export")
    ex.add_argument("--format", choices=["xlsx", "csv"], help="file format (default: from --out's extension, else xlsx)")
    ex.add_argument("--out", required=True, metavar="FILE", help="file to write")
    ex.add_argument("--site", action="append", metavar="ID", help="only this site (repeatable)")
    ex.add_argument("--year", type=_year, help="only this report year")
    ex.add_argument("--as-of", type=_date, help="date the board's statuses are judged at (default: today)")

    dg = sub.add_parser("digest", help="build digests for the recipients and deliver them (SMTP or outbox)")
    dg.add_argument("--dry-run", action="store_true", help="print the digest, write and send nothing")
    dg.add_argument(
        "--due",
        action="store_true",
        help="only recipients whose frequency (daily/weekly/monthly) has come round; the scheduler uses this",
    )
    dg.add_argument("--as-of", type=_date, help="check date (default: today)")
    dg.add_argument(
        "--resend-uncertain",
        action="store_true",
        help="send again the e-mails and group-chat cards whose delivery is uncertain (no answer after the "
        "message was sent; check first that they did not arrive)",
    )

    st = sub.add_parser(
        "site",
        help="write the officers' static site (board, reports, findings, year-on-year) from the database",
        description="Generate a static HTML site (Chinese, no remote resources, relative links: open index.html "
        "from disk or publish the folder under any URL). Only pages whose content changed are rewritten.",
    )
    st.add_argument("--out", metavar="DIR", help="output folder (default: the `site` setting, data/site)")
    st.add_argument("--as-of", type=_date, help="date the board's deadlines are judged at (default: today)")
    st.add_argument("--site", action="append", metavar="ID", help="only this site (repeatable)")

    mg = sub.add_parser(
        "migrate-db",
        help="copy the current database into another, empty one (e.g. SQLite → PostgreSQL)",
        description="Create the schema on the target with the migrations, refuse a target that already holds "
        "data, copy every table in dependency order a batch at a time, move PostgreSQL's id sequences past the "
        "copied ids and compare every table's row count. Stop `serve`, crawls and checks first. Then point "
        "`database:` at the target (docs/scaling.md).",
    )
    mg.add_argument("--to", required=True, metavar="URL",
                    help="the target database, e.g. postgresql://user@host/nianbao (psycopg 3 is the driver)")
    mg.add_argument("--batch", type=int, default=2000, metavar="N", help="rows per read and insert (default 2000)")

    w = sub.add_parser(
        "worker",
        help="take requests of distributed crawls from the shared Redis queue (any number, on any machine)",
        description="Wait for a distributed crawl (`nianbao crawl --distributed`) on crawler.redis_url and work for it: "
        "fetch what the shared queue gives, store it, queue what it links; then wait for the next crawl.",
    )
    w.add_argument("--once", action="store_true", help="exit after one crawl")
    sub.add_parser("serve", help="run the scheduler (crawl, check, digest on their cron schedules)")
    sub.add_parser("jobs", help="list scheduled jobs and their next run times")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        for noisy in ("scrapy", "alembic", "twisted", "filelock", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = load_settings(args.config)
        from nianbao.commands import dispatch

        return dispatch(args, settings)
    except (SettingsError, UsageError) as exc:
        print(f"nianbao: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("nianbao: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`nianbao findings | head`): nothing left to say to it. Point
        # stdout at /dev/null so that the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
