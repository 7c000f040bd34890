"""The cell grid: one numeric column per canonical cell of every official format.

``report_facts`` (storage/models.py) holds each report's cell values side by side in these
columns, so a rule over a report's tables is a row expression instead of a GROUP BY over its
~200 ``report_cells`` rows. Names come from ``core.keys`` and stay short enough for
PostgreSQL's 63-character identifiers: ``q__withheld_state_secret__natural_person``.
"""

from __future__ import annotations

from core import keys

CellKey = tuple[str, str, str]
SECTION_PREFIX = {keys.ACTIVE: "a", keys.REQUESTS: "q", keys.APPEALS: "p"}


def column_name(section: str, row: str, col: str) -> str:
    """The grid column of one canonical cell."""
    return f"{SECTION_PREFIX[section]}__{row.replace('.', '_')}__{col}"


def _grid_cells() -> tuple[CellKey, ...]:
    seen: dict[CellKey, None] = {}
    for fmt in keys.FORMATS:
        for key in keys.expected_cells(fmt):
            seen.setdefault(key, None)
    return tuple(seen)


GRID_CELLS: tuple[CellKey, ...] = _grid_cells()
GRID_COLUMNS: dict[CellKey, str] = {key: column_name(*key) for key in GRID_CELLS}

assert len(set(GRID_COLUMNS.values())) == len(GRID_COLUMNS), "grid column names collide"
assert max(map(len, GRID_COLUMNS.values())) <= 63, "grid column name too long for PostgreSQL"
