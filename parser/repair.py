"""Repair of table rows with too many or too few values, using only the table's own totals.

A flattened merged table sometimes gains a placeholder cell or loses one. Such a row is repaired
only when its totals (and, where given, the column totals of the rest of the table) leave exactly
one consistent reading; a tie is broken by where placeholders physically occur — empty or zero
cells at the boundaries between column groups. Otherwise the cells all consistent readings agree
on are kept and the disputed ones are reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from parser.values import parse_cell

Reading = tuple[str, ...]
MAX_EDITS = 3


@dataclass
class Candidate:
    """One way of fitting the published values into the columns."""

    reading: Reading
    edits: tuple[int, ...]  # deleted value indices (too many) or blank column positions (too few)
    at_boundary: bool


@dataclass
class RepairOutcome:
    """Result of :func:`repair_row`.

    ``status`` is ``"repaired"`` (one reading left), ``"ambiguous"`` (several readings; ``cells``
    holds None where they disagree) or ``"failed"`` (no consistent reading; ``cells`` all None).
    """

    status: str
    cells: list[str | None]
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""


def number(raw: str) -> int | None:
    """Integer value of a cell for balance checks (blank and placeholders count as 0)."""
    pv = parse_cell(raw)
    if not pv.readable:
        return None
    if pv.value is None:
        return 0
    return int(pv.value) if pv.value == int(pv.value) else None


def sums_balance(reading: Sequence[str], groups: Sequence[tuple[Sequence[int], int]]) -> bool:
    """Whether every group's total cell equals the sum of its part cells."""
    for parts, total in groups:
        t = number(reading[total])
        vals = [number(reading[i]) for i in parts]
        if t is None or any(v is None for v in vals):
            return False
        if t != sum(v for v in vals if v is not None):
            return False
    return True


def _deletions(values: Sequence[str], width: int, boundaries: frozenset[int]) -> list[Candidate]:
    extra = len(values) - width
    out = []
    for dropped in combinations(range(len(values)), extra):
        kept = tuple(v for i, v in enumerate(values) if i not in dropped)
        # A dropped cell sits at a boundary when the number of kept cells before it is one.
        # A dropped cell passes for a placeholder when it sits at a boundary (the number of kept
        # cells before it is one) and carries no count: dropping a 1 is never "just a placeholder".
        at_boundary = all(
            sum(1 for j in range(i) if j not in dropped) in boundaries and number(values[i]) == 0 for i in dropped
        )
        out.append(Candidate(kept, dropped, at_boundary))
    return out


def _insertions(values: Sequence[str], width: int, boundaries: frozenset[int]) -> list[Candidate]:
    missing = width - len(values)
    out = []
    for gaps in combinations(range(width), missing):
        it = iter(values)
        reading = tuple("" if c in gaps else next(it) for c in range(width))
        at_boundary = all(g in boundaries or g + 1 in boundaries for g in gaps)
        out.append(Candidate(reading, gaps, at_boundary))
    return out


def _balanced_readings(candidates: list[Candidate], consistent: Callable[[Reading], bool]) -> list[Candidate]:
    """Distinct readings that pass ``consistent``; a reading is at a boundary if any way of reaching it is."""
    by_reading: dict[Reading, Candidate] = {}
    for cand in candidates:
        if not consistent(cand.reading):
            continue
        prev = by_reading.get(cand.reading)
        if prev is None or (cand.at_boundary and not prev.at_boundary):
            by_reading[cand.reading] = cand
    return list(by_reading.values())


def _narrow_by_table(
    survivors: list[Candidate], table_check: Callable[[Reading], bool] | None, notes: list[str]
) -> list[Candidate]:
    """The readings that also fit the table's column totals, while at least one does."""
    if len(survivors) <= 1 or table_check is None:
        return survivors
    checked = [c for c in survivors if table_check(c.reading)]
    if checked and len(checked) < len(survivors):
        notes.append(f"{len(survivors)} readings balanced the row, {len(checked)} also the column totals")
        return checked
    return survivors


def _narrow_by_boundary(survivors: list[Candidate], too_many: bool, notes: list[str]) -> list[Candidate]:
    """The readings whose edits sit at group boundaries, while at least one does."""
    if len(survivors) <= 1:
        return survivors
    at_boundary = [c for c in survivors if c.at_boundary]
    if not at_boundary or len(at_boundary) == len(survivors):
        return survivors
    notes.append(
        f"{len(survivors)} readings balanced; kept the one whose "
        f"{'extra' if too_many else 'missing'} cell sits at a group boundary"
        if len(at_boundary) == 1
        else f"{len(survivors)} readings balanced, {len(at_boundary)} with the edit at a group boundary"
    )
    return at_boundary


def _agreed_cells(survivors: list[Candidate], width: int) -> list[str | None]:
    """Per column, the value every reading agrees on, else None."""
    agreed: list[str | None] = []
    for col in range(width):
        column = {c.reading[col] for c in survivors}
        agreed.append(column.pop() if len(column) == 1 else None)
    return agreed


def repair_row(
    values: Sequence[str],
    width: int,
    consistent: Callable[[Reading], bool],
    boundaries: frozenset[int],
    table_check: Callable[[Reading], bool] | None = None,
) -> RepairOutcome:
    """Fit ``values`` (the non-empty cells of a row) into ``width`` columns.

    ``consistent`` is the row's own rule (its totals); ``table_check`` optionally tests a reading
    against the rest of the table (column totals) and is used only while it leaves a reading;
    ``boundaries`` are the column positions between groups, where a placeholder cell can sit.
    """
    n = len(values)
    if n == width:
        reading = tuple(values)
        return RepairOutcome(
            "repaired" if consistent(reading) else "failed", list(reading), [Candidate(reading, (), True)]
        )
    if abs(n - width) > MAX_EDITS or n == 0:
        return RepairOutcome("failed", [None] * width, note=f"{n} values for {width} columns")
    raw_candidates = _deletions(values, width, boundaries) if n > width else _insertions(values, width, boundaries)
    survivors = _balanced_readings(raw_candidates, consistent)
    if not survivors:
        return RepairOutcome("failed", [None] * width, note="no reading balances the totals")
    notes: list[str] = []
    survivors = _narrow_by_table(survivors, table_check, notes)
    survivors = _narrow_by_boundary(survivors, n > width, notes)
    if len(survivors) == 1:
        return RepairOutcome("repaired", list(survivors[0].reading), survivors, "; ".join(notes))
    notes.append(f"{len(survivors)} readings remain")
    return RepairOutcome("ambiguous", _agreed_cells(survivors, width), survivors, "; ".join(notes))


MAX_GLUED_DIGITS = 24  # longer runs have too many splits to weigh (and are no row of this form)


def _compositions(digits: str, width: int) -> list[Reading]:
    """Every way of cutting ``digits`` into ``width`` numbers (no number with a leading zero)."""
    out: list[Reading] = []
    for cuts in combinations(range(1, len(digits)), width - 1):
        bounds = (0, *cuts, len(digits))
        parts = tuple(digits[a:b] for a, b in zip(bounds, bounds[1:]))
        if all(p == "0" or not p.startswith("0") for p in parts):
            out.append(parts)
    return out


def split_glued(
    digits: str,
    width: int,
    consistent: Callable[[Reading], bool],
    table_check: Callable[[Reading], bool] | None = None,
) -> RepairOutcome:
    """Split a run of digits printed without separators ("1000001") into ``width`` cells, only
    where the row's totals (and, where given, the table's column totals) leave exactly one reading;
    otherwise the cells all remaining readings agree on are kept, the rest left unknown."""
    if not digits.isdigit() or not width <= len(digits) <= MAX_GLUED_DIGITS:
        return RepairOutcome("failed", [None] * width, note=f"{len(digits)} glued digits for {width} columns")
    survivors = [Candidate(r, (), False) for r in _compositions(digits, width) if consistent(r)]
    if not survivors:
        return RepairOutcome("failed", [None] * width, note="no split of the glued digits balances the totals")
    notes = [f"{len(digits)} glued digits"]
    survivors = _narrow_by_table(survivors, table_check, notes)
    if len(survivors) == 1:
        return RepairOutcome("repaired", list(survivors[0].reading), survivors, "; ".join(notes))
    notes.append(f"{len(survivors)} splits balance")
    return RepairOutcome("ambiguous", _agreed_cells(survivors, width), survivors, "; ".join(notes))
