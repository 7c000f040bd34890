"""The report a scanned document stands for: who and which year, from hints or the file name.

A PDF without a text layer cannot give cells; it is still a report that was published, so it
is kept as kind ``report`` with status ``image_only`` and no cells (never zeros), named from the
crawler's hints (link text, list page) or, failing those, the file name.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from parser import fields
from parser.model import ParsedReport
from parser.readers import ReaderResult


def file_title(url: str | None) -> str | None:
    """The file name of ``url`` without its extension, URL-decoded ('' names give None)."""
    if not url:
        return None
    name = unquote(PurePosixPath(urlsplit(url).path).name)
    stem = name.rsplit(".", 1)[0].strip() if "." in name else name.strip()
    return stem or None


def image_only_report(converted: ReaderResult, url: str | None, hints: dict[str, Any]) -> ParsedReport:
    """A ``report`` / ``image_only`` result for a document with pages but no text."""
    title = str(hints["title"]).strip() if hints.get("title") else None
    named = file_title(url)
    candidates = [t for t in (title, named) if t]
    agency = str(hints["agency"]).strip() if hints.get("agency") else None
    year: int | None = None
    if hints.get("report_year"):
        try:
            year = int(str(hints["report_year"]).strip()[:4])
        except ValueError:
            year = None
    for text in candidates:
        if not fields.is_report_title(text):
            continue
        agency = agency or fields.agency_from_title(text)
        year = year or fields.year_from_title(text)
    report = ParsedReport(kind="report", parse_status="image_only", title=title or named, agency=agency, report_year=year)
    report.warnings = [f"no text layer on {converted.pages} page(s): a scan; no cells read", *converted.warnings]
    # Dates the text would have given are gone; the hints and the URL path still tell.
    for source, found in (("given", fields.as_date(hints.get("published_on"))),
                          ("list_page", fields.as_date(hints.get("list_date"))),
                          ("url_path", fields.url_date(url)),
                          ("http_last_modified", fields.as_date(hints.get("last_modified")))):
        if found is not None:
            report.dates[source] = found.isoformat()
            if report.published_on is None:
                report.published_on, report.published_source = found, source
    return report
