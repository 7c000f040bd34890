"""The parser against real annual reports: openings of public pages, as stored by a search tool.

Each folder of ``tests/real/`` holds one real document exactly as collected (``document.*``:
plain text, or markdown-like text with pipe tables; ``tests/real/SOURCES.md`` says where each
came from) and ``expected.json``, written by reading the text by eye: whether it is a report,
the agency (``agency``, or ``null`` when the text never names it in full, plus the other names
the text gives it in ``agency_also``), the report year, the form when the text proves it, and
only the table cells the text actually shows. Every document is partial: the stored page keeps
about its first 800 characters.

Each document goes through the real import path: media type sniffed from the bytes and the file
name (``core.mediatype.sniff_media_type``, as ``storage.ingest`` does), then ``parse_document``.
What a user would check, per document: a report is filed as a report (recall first: a partial
page of a report is still a report), with the right agency and year and form; a non-report is not
a report; no cell the parser reads differs from the text, and no cell is read that the text does
not show. The share of shown cells the parser finds is printed by ``test_corpus_scores`` and by
``bench/accuracy``.

Where the parser fails a document today, the case is marked ``xfail(strict=True)`` with what goes
wrong, so each fix flips it to a pass that must then be unmarked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from core.keys import expected_cells
from core.mediatype import sniff_media_type
from parser import parse_document
from parser.model import ParsedReport

REAL = Path(__file__).parent / "real"
NAMES = sorted(p.name for p in REAL.iterdir() if p.is_dir())

# --- What the parser gets wrong today (remove an entry when a fix makes its case pass) --------
XFAIL_IS_REPORT: dict[str, str] = {
}
XFAIL_AGENCY: dict[str, str] = {
}
XFAIL_YEAR: dict[str, str] = {
}
XFAIL_FORMAT: dict[str, str] = {
}
XFAIL_CELLS_READ: dict[str, str] = {
}
XFAIL_CELLS: dict[str, str] = {}


# --- Loading --------------------------------------------------------------------------------
def document_path(name: str) -> Path:
    (path,) = [p for p in (REAL / name).iterdir() if p.name.startswith("document.")]
    return path


@lru_cache(maxsize=None)
def expected(name: str) -> dict[str, Any]:
    """``expected.json`` with amounts read as exact decimals."""
    return json.loads((REAL / name / "expected.json").read_text(encoding="utf-8"), parse_float=Decimal)


@lru_cache(maxsize=None)
def parsed(name: str) -> ParsedReport:
    """The document through the import path: sniffed media type, then the parser."""
    path = document_path(name)
    data = path.read_bytes()
    return parse_document(data, sniff_media_type(data, None, path.name))


def is_report(name: str) -> bool:
    return expected(name)["kind"] == "report"


def expected_flat(name: str) -> dict[tuple[str, str, str], Any]:
    cells = expected(name)["cells"]
    return {(s, r, c): v for s, rows in cells.items() for r, cols in rows.items() for c, v in cols.items()}


def acceptable_agencies(name: str) -> list[str | None]:
    exp = expected(name)
    return [exp["agency"], *exp["agency_also"]]


# --- Scoring (shared with bench/accuracy) -----------------------------------------------------
@dataclass
class CellScore:
    expected: int = 0
    right: list[tuple[str, str, str]] = field(default_factory=list)
    wrong: list[tuple[tuple[str, str, str], Any, Any, str]] = field(default_factory=list)  # key, want, got, raw
    invented: list[tuple[tuple[str, str, str], Any, str]] = field(default_factory=list)  # key, got, raw


def _same(want: Any, got: Any, uncertain: bool) -> bool:
    if want is None:
        return got is None and not uncertain
    if got is None or isinstance(got, bool):
        return False
    if isinstance(want, Decimal) or isinstance(got, Decimal):
        return Decimal(str(got)) == Decimal(str(want))
    return bool(got == want)


def score_cells(name: str) -> CellScore:
    """Expected cells found with their value; cells read with another value; cells read that the
    text does not show (a value where the text shows none is invented; a blank is not)."""
    want = expected_flat(name)
    units = expected(name).get("units", {})
    score = CellScore(expected=len(want))
    for cell in parsed(name).cells:
        key = tuple(cell.key)
        if key in want:
            unit_ok = "/".join(key) not in units or cell.unit == units["/".join(key)]
            if _same(want[key], cell.value, cell.uncertain) and unit_ok:
                score.right.append(key)  # type: ignore[arg-type]
            elif cell.value is not None:  # a cell left unread (None) is missing, not wrong
                score.wrong.append((key, want[key], cell.value, cell.raw))  # type: ignore[arg-type]
        elif cell.value is not None:
            score.invented.append((key, cell.value, cell.raw))  # type: ignore[arg-type]
    return score


def province(name: str) -> str:
    return name.removeprefix("not-report-").split("-", 1)[0]


def score_corpus() -> dict[str, Any]:
    """Per document: filed right, agency/year/form right, cells right/expected/wrong/invented."""
    rows = []
    for name in NAMES:
        exp, got = expected(name), parsed(name)
        cells = score_cells(name)
        rows.append(
            {
                "name": name,
                "report": is_report(name),
                "province": province(name),
                "format": exp.get("format") or "not shown",
                "filed_right": (got.kind == "report") == is_report(name),
                "agency_named": is_report(name) and exp.get("agency") is not None,
                "agency_right": is_report(name) and got.agency in acceptable_agencies(name),
                "year_right": is_report(name) and got.report_year == exp.get("report_year"),
                "format_right": "format" in exp and got.format == exp["format"],
                "cells_expected": cells.expected,
                "cells_right": len(cells.right),
                "cells_wrong": len(cells.wrong),
                "cells_invented": len(cells.invented),
            }
        )
    return {"documents": rows}


# --- The corpus itself ------------------------------------------------------------------------
def test_corpus_is_complete_and_consistent() -> None:
    """Every folder has its text and expectations; what expected.json says is in the text."""
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    assert len(NAMES) >= 100
    for name in NAMES:
        exp = expected(name)
        text = document_path(name).read_text(encoding="utf-8")
        assert exp["kind"] in ("report", "not_report"), name
        assert exp["complete"] is False, name
        assert f"| {name} |" in sources, f"{name} missing from SOURCES.md"
        if exp["kind"] == "not_report":
            assert exp["cells"] == {}, name
            continue
        squeezed = re.sub(r"\s+", "", text)
        for agency in acceptable_agencies(name):
            assert agency is None or re.sub(r"\s+", "", agency) in squeezed, (name, agency)
        assert str(exp["report_year"]) in squeezed, name
        keys = set(expected_cells(exp["format"])) if "format" in exp else (
            set(expected_cells("2019-60")) & set(expected_cells("2021-30"))
        )
        unknown = set(expected_flat(name)) - keys
        assert not unknown, (name, unknown)


# --- Per document -----------------------------------------------------------------------------
def _cases(names: list[str], xfails: dict[str, str]) -> list[Any]:
    unknown = set(xfails) - set(names)
    assert not unknown, f"xfail entries for no such case: {sorted(unknown)}"
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=xfails[n])) if n in xfails else n for n in names
    ]


REPORTS = [n for n in NAMES if is_report(n)]
WITH_FORMAT = [n for n in REPORTS if "format" in expected(n)]


@pytest.mark.parametrize("name", _cases(NAMES, XFAIL_IS_REPORT))
def test_filed_as_report_or_not(name: str) -> None:
    got = parsed(name)
    if is_report(name):
        assert got.kind == "report", (got.kind, got.parse_status, got.sections_present, got.title)
    else:
        assert got.kind != "report", (got.title, got.sections_present)


@pytest.mark.parametrize("name", _cases(REPORTS, XFAIL_AGENCY))
def test_agency(name: str) -> None:
    got = parsed(name).agency
    assert got in acceptable_agencies(name), got


@pytest.mark.parametrize("name", _cases(REPORTS, XFAIL_YEAR))
def test_report_year(name: str) -> None:
    assert parsed(name).report_year == expected(name)["report_year"]


@pytest.mark.parametrize("name", _cases(WITH_FORMAT, XFAIL_FORMAT))
def test_form(name: str) -> None:
    assert parsed(name).format == expected(name)["format"]


@pytest.mark.parametrize("name", _cases(NAMES, XFAIL_CELLS))
def test_no_cell_differs_from_the_text(name: str) -> None:
    score = score_cells(name)
    assert not score.wrong, f"cells read with another value (key, expected, got, raw): {score.wrong}"
    assert not score.invented, f"cells read that the text does not show (key, got, raw): {score.invented}"


WITH_CELLS = [n for n in REPORTS if expected_flat(n)]


@pytest.mark.parametrize("name", _cases(WITH_CELLS, XFAIL_CELLS_READ))
def test_shown_cells_are_read(name: str) -> None:
    score = score_cells(name)
    missing = sorted(set(expected_flat(name)) - set(score.right))
    assert not missing, f"{len(missing)} of {score.expected} shown cells not read: {missing[:5]}"


def test_corpus_scores() -> None:
    """Prints the corpus figures (run with -rA or -s); fails only if scoring is inconsistent."""
    docs = score_corpus()["documents"]
    reports = [d for d in docs if d["report"]]
    expected_total = sum(d["cells_expected"] for d in docs)
    right = sum(d["cells_right"] for d in docs)
    assert expected_total == sum(len(expected_flat(n)) for n in NAMES)
    assert right <= expected_total
    print(
        f"\nreal corpus: {sum(d['filed_right'] for d in docs)}/{len(docs)} documents filed right "
        f"({sum(parsed(d['name']).kind == 'report' for d in reports)}/{len(reports)} reports filed as reports); "
        f"agency {sum(d['agency_right'] for d in reports)}/{len(reports)}, "
        f"year {sum(d['year_right'] for d in reports)}/{len(reports)}; "
        f"cells right {right}/{expected_total} ({right / expected_total:.1%}), "
        f"wrong {sum(d['cells_wrong'] for d in docs)}, invented {sum(d['cells_invented'] for d in docs)}"
    )
