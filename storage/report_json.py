"""Reports as the JSON objects `nianbao reports --format json` prints (canonical keys, blank = null)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core.china_time import local_time
from storage.models import Report


def number(value: Decimal | None) -> int | float | None:
    """A stored cell value as JSON: integral values as ints, amounts as floats, blank as None."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def report_to_dict(report: Report) -> dict[str, Any]:
    """One report with every cell under its canonical section/row/column keys."""
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for c in report.cells:
        cells.setdefault(c.section, {}).setdefault(c.row_key, {})[c.col_key] = number(c.value)
    return {
        "id": report.id,
        "site": report.site_id or report.agency.site_id,
        "agency": report.agency.name,
        "level": report.agency.level,
        "report_year": report.report_year,
        "format": report.format,
        "title": report.title,
        "published_on": iso_date(report.published_on),
        "published_source": report.published_source,
        "first_seen": local_time(report.first_seen),
        "source_url": report.source_url,
        "parse_status": report.parse_status,
        "current": not report.superseded,
        "cells": cells,
        "warnings": list(report.warnings or []),
        "problems": list(report.problems or []),
    }
