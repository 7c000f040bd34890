"""Report texts for the demo portals: the bundled seed reports, year-shifted variants, HTML bodies.

The seeds are plain text as extracted from real portals. Tables come in two layouts: one row per
line with tab-separated cells (seeds 000, 001, 002, 004) and one cell per line with a blank line
between rows (seed 003). ``report_body_html`` turns both into real ``<table>`` markup, as a
portal's detail page would carry it.
"""

from __future__ import annotations

import html
import re
from importlib import resources

SEED_FILES = {
    "pengyang_approval_2021": "000_a4584f6e36514f0f.txt",
    "pingluo_affairs_2021": "001_206c76bb26f4c9e2.txt",
    "pingluo_approval_2024": "002_3d14e9be2d7413b2.txt",
    "ziyang_approval_2020": "003_efc90ab21be40f1a.txt",
    "xixia_approval_2020": "004_a9dbc25bac2331b1.txt",
}

# The agency and report year each seed is about (as its title says).
SEED_SUBJECTS = {
    "pengyang_approval_2021": ("彭阳县审批服务管理局", 2021),
    "pingluo_affairs_2021": ("平罗县机关事务服务中心", 2021),
    "pingluo_approval_2024": ("平罗县审批服务管理局", 2024),
    "ziyang_approval_2020": ("紫阳县行政审批服务局", 2020),
    "xixia_approval_2020": ("银川市西夏区审批服务管理局", 2020),
}

_YEAR = re.compile(r"(?<!\d)(20[0-3]\d)(?!\d)")


_STEMS = str.maketrans("0123456789", "甲乙丙丁戊己庚辛壬癸")


def spelled(n: int) -> str:
    """``n`` with its digits written as the heavenly stems (甲乙丙…), for numbered made-up agency
    and county names (the benchmarks' portals): the parser takes no name with digits for an
    agency, so "第12局" would leave every report unfiled ("report without agency")."""
    return str(n).translate(_STEMS)


def seed_text(key: str) -> str:
    """The text of one bundled seed report (keys of ``SEED_FILES``)."""
    return resources.files("nianbao.demo.data").joinpath(SEED_FILES[key]).read_text(encoding="utf-8")


def shift_years(text: str, delta: int) -> str:
    """The same report told about another year: every year 2000–2039 moved by ``delta``.

    Tables are kept as they are, which is what a lazy copy of last year's report looks like.
    """
    return _YEAR.sub(lambda m: str(int(m.group(1)) + delta), text)


def derived_report(key: str, *, agency: str | None = None, year: int | None = None) -> str:
    """A seed told by another agency and/or about another year (tables kept as they are)."""
    seed_agency, seed_year = SEED_SUBJECTS[key]
    text = seed_text(key)
    if year is not None and year != seed_year:
        text = shift_years(text, year - seed_year)
    if agency and agency != seed_agency:
        text = text.replace(seed_agency, agency)
    return text


def report_body_html(text: str) -> str:
    """HTML for a report body: ``<table>`` for table lines, ``<p>`` (or ``<h3>``) for the rest."""
    out: list[str] = []
    rows: list[list[str]] = []  # rows of the table being built
    cell_row: list[str] | None = None  # one-cell-per-line layout: the row being built
    mode = ""  # "tabs" | "cells" | ""

    def close_table() -> None:
        nonlocal rows, mode, cell_row
        if cell_row:
            rows.append(cell_row)
        cell_row = None
        if rows:
            out.append(_table(rows))
        rows, mode = [], ""

    for raw_line in text.splitlines():
        line = raw_line.rstrip("\r")
        stripped = line.lstrip("\t")
        if not line.strip(" \u3000"):
            if mode == "cells":
                if cell_row:
                    rows.append(cell_row)
                cell_row = []
            elif mode == "tabs":
                close_table()
            continue
        if not stripped.strip() and mode == "tabs":  # a row of empty cells
            continue
        if "\t" in stripped:  # tab-separated row
            if mode == "cells":
                close_table()
            mode = "tabs"
            rows.append([c.strip() for c in line.split("\t")])
        elif line.startswith("\t"):  # one cell per line
            if mode == "tabs":
                close_table()
            mode = "cells"
            if cell_row is None:
                cell_row = []
            cell_row.append(stripped.strip())
        elif mode == "cells" and cell_row:  # a cell broken over two lines ("本年新\n制作数量")
            cell_row[-1] += stripped.strip()
        else:
            close_table()
            out.append(_paragraph(line))
    close_table()
    return "\n".join(out)


def _table(rows: list[list[str]]) -> str:
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows if any(c for c in row) or len(row) > 1
    )
    return f'<table border="1" cellspacing="0" cellpadding="0" class="MsoNormalTable">\n<tbody>\n{body}\n</tbody>\n</table>'


def _paragraph(line: str) -> str:
    text = line.strip()
    heading = re.match(r"^(#+)\s*(.*)$", text)
    if heading:
        return f"<h3>{_inline(heading.group(2))}</h3>"
    return f'<p style="text-indent:2em;">{_inline(text)}</p>'


def _inline(text: str) -> str:
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)  # markdown autolinks in the seeds
    escaped = html.escape(text, quote=False)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped).replace("**", "")
