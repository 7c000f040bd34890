"""A region's year-on-year page: every agency of the region, Y−1 against Y, for the main figures.

What officers read before reviewing their departments' reports: who received more requests,
who disclosed less, where reviews and lawsuits rose. The figures are canonical cells
(core/keys.py); a figure made of several cells (行政诉讼: direct and after review) is their sum
when at least one is filled in. A blank cell stays blank, never 0.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from html import escape

from markupsafe import Markup

from core import keys
from core.agencies import UNNAMED_AGENCY
from monitor.evidence import cell_name
from monitor.site.form import cell_text

CellKey = tuple[str, str, str]


@dataclass(frozen=True)
class Figure:
    """One compared figure: a short column heading and the canonical cells it adds up."""

    label: str
    cells: tuple[CellKey, ...]

    @property
    def title(self) -> str:
        """The official cells it reads, for the heading's tooltip."""
        return _title(self.cells)


@lru_cache(maxsize=64)
def _title(cells: tuple[CellKey, ...]) -> str:
    return " + ".join(cell_name(*k, keys.FORMAT_2021) for k in cells)


_R, _P = keys.REQUESTS, keys.APPEALS
FIGURES: tuple[Figure, ...] = (
    Figure("本年新收申请", ((_R, "new", "total"),)),
    Figure("上年结转", ((_R, "carried_in", "total"),)),
    Figure("予以公开", ((_R, "disclosed", "total"),)),
    Figure("部分公开", ((_R, "partly_disclosed", "total"),)),
    Figure("办理结果总计", ((_R, "results_total", "total"),)),
    Figure("行政复议", ((_P, "review", "total"),)),
    Figure("行政诉讼", ((_P, "litigation_direct", "total"), (_P, "litigation_after_review", "total"))),
)
FIGURE_CELLS: tuple[CellKey, ...] = tuple(k for f in FIGURES for k in f.cells)


def figure_value(figure: Figure, cells: Mapping[CellKey, Decimal | None]) -> Decimal | None:
    """The figure from one report's cells: the sum of its filled-in cells, None when all are blank."""
    values = [v for k in figure.cells if (v := cells.get(k)) is not None]
    return sum(values, Decimal(0)) if values else None


def region_slug(region: str) -> str:
    """A stable ASCII file name for a region (its name is Chinese, and may be empty)."""
    return "r" + hashlib.sha1((region or "").encode("utf-8")).hexdigest()[:10]


def region_page(region: str, year: int) -> str:
    """The page comparing ``year - 1`` with ``year`` for ``region``, relative to the site root."""
    return f"regions/{region_slug(region)}-{year}.html"


@dataclass
class Comparison:
    """One figure of one agency: both years, the change, and the sort keys as text."""

    before: Decimal | None
    after: Decimal | None
    has_before: bool = True  # False: no report that year (shown 无报告, not 空白)
    has_after: bool = True

    @property
    def change(self) -> Decimal | None:
        return None if self.before is None or self.after is None else self.after - self.before

    def cells_html(self) -> str:
        """Three ``<td>``: Y−1, Y, change; ``data-v`` holds the number the sort script reads."""
        out = []
        for v, has in ((self.before, self.has_before), (self.after, self.has_after)):
            if not has:
                out.append('<td class="num absent" data-v="">无报告</td>')
            else:
                out.append(f'<td class="num" data-v="{"" if v is None else cell_text(v)}">{cell_text(v)}</td>')
        c = self.change
        if c is None:
            out.append('<td class="num" data-v="">—</td>')
        else:
            cls = "num up" if c > 0 else "num down" if c < 0 else "num"
            out.append(f'<td class="{cls}" data-v="{cell_text(c)}">{"+" if c > 0 else ""}{cell_text(c)}</td>')
        return "".join(out)


@lru_cache(maxsize=64)
def table_head(year: int) -> Markup:
    """The ``<thead>`` of a region's page for ``year``: the same on every region's page, built once.
    Each column's button names the column (``data-col``) the sort script orders by."""
    top = ['<tr><th rowspan="2" scope="col"><button type="button" data-sort="text" data-col="0">机关</button></th>']
    low = ["<tr>"]
    for i, f in enumerate(FIGURES):
        top.append(f'<th colspan="3" scope="colgroup" title="{escape(f.title)}">{escape(f.label)}</th>')
        for j, label in enumerate((str(year - 1), str(year), "变化")):
            low.append(f'<th scope="col"><button type="button" data-sort="num" data-col="{1 + 3 * i + j}">{label}</button></th>')
    return Markup("".join(top) + "</tr>\n" + "".join(low) + "</tr>")


def compared(agency: str) -> bool:
    """Whether an agency has a row on its region's pages: not the stand-in
    core.agencies.UNNAMED_AGENCY, which is no agency of the region (its reports of two years may
    be two bodies')."""
    return agency != UNNAMED_AGENCY


def region_years(agencies: Iterable[tuple[int, str]], years: Sequence[int], current: Mapping[tuple[int, int], int]) -> list[int]:
    """The years Y of ``years`` (after the first) whose region page compares Y−1 with Y: those on
    which some compared agency ``(id, name)`` has a current report in Y−1 or Y, so that no page
    is made empty (a region whose only reports are the stand-in's has none)."""
    ids = [aid for aid, name in agencies if compared(name)]
    return [y for y in years[1:] if any((a, y) in current or (a, y - 1) in current for a in ids)]


@dataclass
class RegionRow:
    agency_id: int
    agency: str
    level: str
    site: str
    report_before: int | None  # current report ids of Y−1 and Y
    report_after: int | None
    figures: list[Comparison]

    def cells_html(self) -> Markup:
        """The row's figure cells (Y−1, Y, change for each), built here: a province has thousands."""
        return Markup("".join([c.cells_html() for c in self.figures]))


def region_rows(
    agencies: Iterable[tuple[int, str, str, str]],
    year: int,
    current: Mapping[tuple[int, int], int],
    figures_of: Mapping[int, Mapping[CellKey, Decimal | None]],
) -> list[RegionRow]:
    """One row per agency ``(id, name, level, site name)`` with a current report in ``year - 1``
    or ``year``, in the order given; the stand-in is left out (``compared``)."""
    rows = []
    for aid, name, level, site in agencies:
        if not compared(name):
            continue
        before, after = current.get((aid, year - 1)), current.get((aid, year))
        if before is None and after is None:
            continue
        b_cells = figures_of.get(before, {}) if before else {}
        a_cells = figures_of.get(after, {}) if after else {}
        rows.append(
            RegionRow(
                aid, name, level, site, before, after,
                [
                    Comparison(figure_value(f, b_cells), figure_value(f, a_cells), before is not None, after is not None)
                    for f in FIGURES
                ],
            )
        )
    return rows


def totals(rows: Sequence[RegionRow]) -> list[Comparison]:
    """Per figure, the sums over the agencies that have it in both years, so that the change of
    the total is the sum of theirs (an agency missing a year would read as a fall or a rise)."""
    out = []
    for i in range(len(FIGURES)):
        both = [r.figures[i] for r in rows if r.figures[i].change is not None]
        if not both:
            out.append(Comparison(None, None))
            continue
        out.append(Comparison(sum((c.before for c in both), Decimal(0)), sum((c.after for c in both), Decimal(0))))
    return out
