"""What the parser produces: a plain, Scrapy-free description of one document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["report", "link_page", "other"]
ParseStatus = Literal["ok", "partial", "malformed", "image_only", "tables_unreadable", "not_report", "failed", "unsupported_format"]
Number = int | Decimal


@dataclass
class Cell:
    """One table cell under its canonical key; ``value`` is None for a blank cell (never 0)."""

    section: str
    row: str
    column: str
    value: Number | None
    raw: str
    unit: str | None = None
    uncertain: bool = False  # True when a repair could not decide this cell (value is then None)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.section, self.row, self.column)


@dataclass
class SectionProblem:
    """A table the parser could not read with certainty (kind ``malformed_table``)."""

    section: str
    reason: str
    rows: list[str] = field(default_factory=list)


@dataclass
class Link:
    """A link found in a document that may lead to the report itself (an attachment)."""

    url: str
    text: str


@dataclass
class ParsedReport:
    """One parsed document. Only ``kind == "report"`` documents become stored reports."""

    kind: Kind = "other"
    parse_status: ParseStatus = "not_report"
    title: str | None = None
    agency: str | None = None
    report_year: int | None = None
    format: str | None = None
    published_on: date | None = None
    published_source: str | None = None  # page_meta | list_page | url_path | text_signature | http_last_modified | given
    dates: dict[str, str] = field(default_factory=dict)  # every date seen, by source
    cells: list[Cell] = field(default_factory=list)
    sections_text: dict[str, str] = field(default_factory=dict)  # "一".."六" -> free text
    sections_present: list[str] = field(default_factory=list)  # "一".."六" headings found
    warnings: list[str] = field(default_factory=list)
    problems: list[SectionProblem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    text: str = ""  # the whole plain text, for text-vs-table and duplicate checks

    def cell_map(self) -> dict[tuple[str, str, str], Cell]:
        return {c.key: c for c in self.cells}

    def nested_cells(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Cells as ``{section: {row: {column: value}}}`` with JSON-ready numbers."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for c in self.cells:
            out.setdefault(c.section, {}).setdefault(c.row, {})[c.column] = json_number(c.value)
        return out


def json_number(value: Number | None) -> int | float | None:
    """A cell value as JSON: ints stay ints, decimals become floats, blank stays None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    return value
