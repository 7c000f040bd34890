"""Rows of cells → canonical cells of sections 二 (active), 三 (requests) and 四 (appeals).

One label-driven interpreter for every layout: text lines, one-cell-per-line blocks and HTML
grids all arrive as rows of cell strings. Rows are recognised by their labels, never by their
position, so missing group cells, split tables and stray spacer cells do not shift anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.keys import (
    ACTIVE,
    APPEAL_COLUMNS,
    APPEAL_ROWS,
    APPEALS,
    FORMAT_2019,
    REQUEST_COLUMNS,
    REQUESTS,
    RESULT_ROWS,
    rows_for,
)
from parser.labels import (
    REQUEST_GROUP_ITEMS,
    REQUEST_HEADER_WORDS,
    active_column,
    active_row,
    is_appeal_header,
    norm,
    request_label,
    split_item_number,
)
from parser.model import Cell, SectionProblem
from parser.repair import Reading, number, repair_row, split_glued, sums_balance
from parser.text_rows import Row
from parser.values import is_value_text, parse_cell, value_kind

REQUEST_WIDTH = len(REQUEST_COLUMNS)
APPEAL_WIDTH = len(APPEAL_COLUMNS) * len(APPEAL_ROWS)
# Where a placeholder cell can sit in a flattened table: before/after each column group.
REQUEST_BOUNDARIES = frozenset({0, 1, 6, 7})  # | 自然人 | 法人或其他组织 ×5 | 总计 |
APPEAL_BOUNDARIES = frozenset({0, 5, 10, 15})  # | 行政复议 ×5 | 直接起诉 ×5 | 复议后起诉 ×5 |
REQUEST_GROUPS = ((tuple(range(6)), 6),)
APPEAL_GROUPS = tuple((tuple(range(g * 5, g * 5 + 4)), g * 5 + 4) for g in range(3))


@dataclass
class TableResult:
    """Cells read from one or more sections, with what went wrong on the way."""

    cells: list[Cell] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[SectionProblem] = field(default_factory=list)
    unreadable: int = 0  # cells whose text is neither a number nor a placeholder
    found: dict[str, bool] = field(default_factory=dict)  # section → any table row found

    def extend(self, other: TableResult) -> None:
        self.cells += other.cells
        self.warnings += other.warnings
        self.problems += other.problems
        self.unreadable += other.unreadable
        self.found.update(other.found)


def _cell(
    result: TableResult,
    section: str,
    row: str,
    column: str,
    raw: str | None,
    *,
    unit: str | None = None,
    uncertain: bool = False,
) -> None:
    if raw is None:  # disputed by the repair: unknown, not blank
        result.cells.append(Cell(section, row, column, None, "", uncertain=True))
        return
    pv = parse_cell(raw, value_kind(column))
    if not pv.readable:
        result.unreadable += 1
        result.warnings.append(f"{section}: cell {row}/{column} unreadable: {pv.raw!r}")
    result.cells.append(
        Cell(
            section,
            row,
            column,
            pv.value,
            pv.raw,
            pv.unit or (unit if pv.value is not None else None),
            uncertain=uncertain,
        )
    )


def split_label(cells: list[str], is_label: Callable[[str], bool] | None = None) -> tuple[list[str], list[str]]:
    """(label cells, value region R): R starts right after the last non-empty cell that precedes
    the first value-like cell, so spacer cells between label and values stay in R.

    With ``is_label``, R starts after the last *recognised* label instead, so an unreadable value
    ("见附件") in the first value column stays a value rather than becoming part of the label.
    """
    filled = [bool(c) and not c.isspace() for c in cells]
    first_value = next((i for i, c in enumerate(cells) if filled[i] and is_value_text(c)), len(cells))
    texts = [i for i in range(first_value) if filled[i]]
    last_label = texts[-1] if texts else -1
    if is_label is not None:
        recognised = [i for i in texts if is_label(cells[i])]
        if recognised:
            last_label = recognised[-1]
    return [c for i, c in enumerate(cells[: last_label + 1]) if filled[i]], cells[last_label + 1 :]


def _is_request_label(cell: str) -> bool:
    return request_label(cell)[0] != "none"


# --- Section 二 ---------------------------------------------------------------------------------
@dataclass
class _ActiveHeader:
    """What the header rows of section 二 said so far: positions and units of the columns."""

    positions: dict[int, str] = field(default_factory=dict)  # position from the label cell → column key
    units: dict[str, str] = field(default_factory=dict)


def _read_active_header(cells: list[str], first: int, header: _ActiveHeader) -> bool:
    """Take ``cells`` as a header row (信息内容 | column labels) into ``header``; False if it is none."""
    columns = [active_column(c) for c in cells]
    if not (
        norm(cells[first]) == "信息内容"
        or (any(key for key, _ in columns) and not any(is_value_text(c) for c in cells))
    ):
        return False
    # Positions count from the label column; a header row without 信息内容 starts one later.
    base = first if columns[first][0] is None else first - 1
    header.positions = {i - base: key for i, (key, _) in enumerate(columns) if key}
    header.units.update({key: unit for key, unit in columns if key and unit})
    return True


def _active_values(
    cells: list[str], first: int, columns: tuple[str, ...], header: _ActiveHeader
) -> tuple[dict[str, str], list[str]]:
    """(column → raw value, stray values outside the row's columns) of one section-二 row."""
    by_col = {col: pos for pos, col in header.positions.items()}
    values: dict[str, str] = {}
    used: set[int] = set()
    for j, col in enumerate(columns):
        pos = by_col.get(col)
        if pos is None:
            pos = j + 1  # no header names this column: official column order
        used.add(pos)
        idx = first + pos
        values[col] = cells[idx].strip() if idx < len(cells) else ""
    stray = [cells[first + p] for p in range(1, len(cells) - first) if p not in used and cells[first + p].strip()]
    filled = [c.strip() for c in cells[first + 1 :] if c.strip()]
    if stray and len(filled) == len(columns):
        # Irregular merged grids put the values off the header's positions; when the row
        # holds exactly as many values as the row has columns, their order is unambiguous.
        return dict(zip(columns, filled, strict=True)), []
    return values, stray


def _unplaced_spaced_values(
    result: TableResult, key: str, values: list[str], columns: tuple[str, ...]
) -> tuple[dict[str, str | None], list[str]]:
    """A row read from text without table markup whose value count differs from its columns:
    blank cells left no trace, so which column each value is in is unknown — all left unknown."""
    result.warnings.append(
        f"active: row {key} has {len(values)} value(s) for {len(columns)} columns in text without table markup; "
        "columns unknown, cells left empty"
    )
    result.problems.append(
        SectionProblem(ACTIVE, f"row {key}: {len(values)} values for {len(columns)} columns, placement unknown", [key])
    )
    return dict.fromkeys(columns), []


def _keep_active_row(
    result: TableResult, key: str, values: dict[str, str | None], stray: list[str], seen: dict[str, dict[str, str | None]]
) -> bool:
    """Record a row's first reading in ``seen`` (and its stray values); False for a repeated row."""
    if key in seen:
        if seen[key] != values:
            result.warnings.append(f"active: row {key} appears twice with different values; kept the first")
        return False
    seen[key] = values
    if stray:
        result.warnings.append(f"active: row {key} has values outside its columns: {stray}")
        result.problems.append(
            SectionProblem(ACTIVE, f"row {key} has {len(stray)} value(s) in unlabelled columns", [key])
        )
    return True


def read_active(rows: list[Row], fmt: str, cut: bool = False) -> TableResult:
    """Section 二: header rows (信息内容 | column labels) map positions to columns. With ``cut``,
    the document ends in this section: its last row may lack its last cells (:func:`_cut_row`)."""
    result = TableResult()
    specs = {s.key: s for s in rows_for(ACTIVE, fmt)}
    header = _ActiveHeader()
    seen: dict[str, dict[str, str | None]] = {}
    last = rows[-1] if cut and rows else None
    for row in rows:
        if not row.table:
            continue
        cells = row.cells
        first = next((i for i, c in enumerate(cells) if c.strip()), None)
        if first is None or _read_active_header(cells, first, header):
            continue
        key = active_row(cells[first])
        if key is None or len(cells) == first + 1:
            continue
        result.found[ACTIVE] = True
        spec = specs.get(key)
        if spec is None:
            result.warnings.append(f"active: row {cells[first]!r} does not belong to format {fmt}")
            continue
        values: dict[str, str | None]
        values, stray = _active_values(cells, first, spec.columns, header)
        if row is last and len(cells) - first - 1 < len(spec.columns):
            values, stray = _cut_row(result, ACTIVE, key, row, values, cells[first + 1 :], spec.columns)
        elif row.spaced and len([c for c in cells[first + 1 :] if c.strip()]) != len(spec.columns):
            values, stray = _unplaced_spaced_values(result, key, cells[first + 1 :], spec.columns)
        if _keep_active_row(result, key, values, stray, seen):
            for col, raw in values.items():
                _cell(result, ACTIVE, key, col, raw, unit=header.units.get(col))
    _missing_rows(result, ACTIVE, [s.key for s in specs.values()], set(seen))
    return result


def _cut_row(
    result: TableResult,
    section: str,
    key: str,
    row: Row,
    values: dict[str, str | None],
    shown: list[str],
    columns: tuple[str, ...],
) -> tuple[dict[str, str | None], list[str]]:
    """The document's last row, with fewer cells than its columns: the page was cut inside it.
    Where every cell is marked (blank ones too), the cells shown are its first columns, in the
    form's order, and only those are read; the columns cut off are absent, never blank. Text
    without table markup leaves blank cells no trace, so there the values cannot be placed."""
    if row.spaced:
        result.warnings.append(
            f"{section}: row {key} is cut by the end of the text after {len(shown)} value(s) in text without "
            "table markup; columns unknown, not read"
        )
        return {}, []
    kept = dict(list(values.items())[: len(shown)])
    result.warnings.append(
        f"{section}: row {key} is cut by the end of the text after {len(shown)} of {len(columns)} cells; "
        f"read {', '.join(kept) or 'none'}, the rest absent"
    )
    return kept, []


def _missing_rows(result: TableResult, section: str, expected: list[str], got: set[str]) -> None:
    if not got:
        return
    missing = [k for k in expected if k not in got]
    if missing:
        result.warnings.append(f"{section}: rows not found: {', '.join(missing)}")
        result.problems.append(SectionProblem(section, f"{len(missing)} row(s) not found", missing))


# --- Section 三 ---------------------------------------------------------------------------------
@dataclass
class _Entry:
    key: str
    label: str
    region: list[str]
    reading: list[str | None] | None = None
    how: str = ""
    cut: bool = False  # the document ends inside this row
    spaced: bool = False  # read from text without table markup (a blank cell left no trace)


def _numbered_item(label: str, group: str | None) -> str | None:
    """The row key the form puts at this item number of the current group, for a numbered label
    whose words are not recognised ("2.其他法律行政止公开"): the form fixes the order of the items."""
    style, num, rest = split_item_number(norm(label))
    items = REQUEST_GROUP_ITEMS.get(group or "")
    if style != "arabic" or not rest or num is None or not items or not 1 <= num <= len(items):
        return None
    return items[num - 1]


def _request_key(
    labels: list[str], group: str | None, last_key: str | None, fmt: str, notes: list[str] | None = None
) -> tuple[str | None, str | None]:
    """Row key from a row's label cells, tracking the current group （三）..（六）. A label read by
    its position rather than its words is explained in ``notes``."""
    key: str | None = None
    saw_group_label = False
    for lab in labels:
        kind, value, num = request_label(lab)
        if kind == "none" and notes is not None:
            by_number = _numbered_item(lab, group)
            if by_number is not None:
                key = by_number
                notes.append(f"label {lab!r} not recognised; read as {by_number} by its item number in the form")
            continue
        if kind == "top":
            key, group = value, None
        elif kind == "group":
            group, saw_group_label = value, value is not None
        elif kind == "item":
            if value == "other.other" and group != "other" and not (last_key or "").startswith("other"):
                continue  # a bare 其他 outside （六） is a column header, not a row
            if value is not None:
                key = value
                group = value.split(".")[0]
            elif group in REQUEST_GROUP_ITEMS and num and num <= len(REQUEST_GROUP_ITEMS[group]):
                key = REQUEST_GROUP_ITEMS[group][num - 1]
    if key is None and saw_group_label and group == "other" and fmt == FORMAT_2019:
        key = "other"
    return key, group


def _request_check(known: dict[str, list[str | None]], key: str, fmt: str) -> Callable[[Reading], bool]:
    """Column rules R1 and R3 for a candidate reading of row ``key``, against rows already read.

    A rule is applied to a column only when every other cell it involves is known.
    """
    balance_rows = ("new", "carried_in", "results_total", "carried_out")
    result_rows = RESULT_ROWS.get(fmt, ())

    def value(k: str, col: int, reading: Reading) -> int | None:
        if k == key:
            return number(reading[col])
        vals = known.get(k)
        raw = vals[col] if vals is not None else None
        return number(raw) if raw is not None else None

    def check(reading: Reading) -> bool:
        for col in range(REQUEST_WIDTH):
            if key in balance_rows:
                r1 = [value(k, col, reading) for k in balance_rows]
                if all(v is not None for v in r1) and r1[0] + r1[1] != r1[2] + r1[3]:  # type: ignore[operator]
                    return False
            if key in result_rows or key == "results_total":
                parts = [value(k, col, reading) for k in result_rows]
                total = value("results_total", col, reading)
                if total is not None and all(v is not None for v in parts) and sum(parts) != total:  # type: ignore[arg-type]
                    return False
        return True

    return check


@dataclass
class _RequestWalk:
    """State of one pass over the section-三 rows: the current group and the rows read so far."""

    fmt: str
    valid: set[str]
    group: str | None = None
    last_key: str | None = None
    entries: dict[str, _Entry] = field(default_factory=dict)
    last_row: Row | None = None  # the document's last row, when the document ends in this section


def _request_row_labels(row: Row) -> tuple[list[str], list[str]] | None:
    """(label cells, value region) of a section-三 table row, or None for a header or prose row."""
    if not row.table:
        return None
    joined = "\x00".join(norm(c) for c in row.cells if c)
    if any(w in joined for w in REQUEST_HEADER_WORDS):
        return None
    labels, region = split_label(row.cells, _is_request_label)
    if not labels or any(len(norm(lab)) > 80 for lab in labels):
        return None
    return labels, region


def _add_request_entry(walk: _RequestWalk, result: TableResult, key: str, labels: list[str], region: list[str]) -> None:
    """Keep the first reading of row ``key``; a second one with other values is only reported."""
    if key in walk.entries:
        if [c.strip() for c in region if c.strip()] != [c.strip() for c in walk.entries[key].region if c.strip()]:
            result.warnings.append(f"requests: row {key} appears twice with different values; kept the first")
        return
    walk.entries[key] = _Entry(key, " ".join(labels), [c.strip() for c in region])


def _read_request_row(walk: _RequestWalk, result: TableResult, row: Row) -> None:
    """Interpret one row of section 三: track the group, then record the row's values under its key."""
    split = _request_row_labels(row)
    if split is None:
        return
    labels, region = split
    notes: list[str] = []
    key, walk.group = _request_key(labels, walk.group, walk.last_key, walk.fmt, notes)
    if key is not None and notes and any(c.strip() for c in region) and key not in walk.entries:
        result.warnings.extend(f"requests: row {key}: {note}" for note in notes)
    if key is None:
        if any(c.strip() for c in region):
            result.warnings.append(f"requests: row {' '.join(labels)!r} not recognised")
            if walk.group == "other" and walk.fmt != FORMAT_2019 and request_label(labels[-1])[1] == "other":
                _merged_other_group(result)
        return
    result.found[REQUESTS] = True
    if not region:
        return  # a group label alone on its row
    if key not in walk.valid:
        result.warnings.append(f"requests: row {' '.join(labels)!r} ({key}) does not belong to format {walk.fmt}")
        return
    walk.last_key = key
    added = key not in walk.entries
    _add_request_entry(walk, result, key, labels, region)
    if added and row is walk.last_row and len(region) < REQUEST_WIDTH:
        walk.entries[key].cut, walk.entries[key].spaced = True, row.spaced


def _merged_other_group(result: TableResult) -> None:
    """（六）其他处理 printed as one row with values in a 2021-format table, whose form has three
    items there: how its values split among them cannot be read, so none is filled."""
    items = list(REQUEST_GROUP_ITEMS["other"])
    result.warnings.append(
        "requests: （六）其他处理 has values on its own row but the 2021 form splits it into 3 items; not split"
    )
    result.problems.append(
        SectionProblem(REQUESTS, "（六）其他处理 given as one row; the form's 3 items cannot be told apart", items)
    )


def read_requests(rows: list[Row], fmt: str, cut: bool = False) -> TableResult:
    """Section 三: 23 or 25 rows × 7 columns. With ``cut``, the document ends in this section."""
    result = TableResult()
    specs = rows_for(REQUESTS, fmt)
    walk = _RequestWalk(fmt, {s.key for s in specs}, last_row=rows[-1] if cut and rows else None)
    for row in rows:
        _read_request_row(walk, result, row)
    entries = walk.entries
    _resolve_requests(entries, result, fmt)
    for spec in specs:
        entry = entries.get(spec.key)
        if entry is None or entry.reading is None:
            continue
        for col, raw in zip(REQUEST_COLUMNS, entry.reading, strict=not entry.cut):
            _cell(result, REQUESTS, spec.key, col, raw)
    _missing_rows(result, REQUESTS, [s.key for s in specs], set(entries))
    return result


def _spacer_options(region: list[str], width: int) -> list[tuple[str, ...]]:
    """Readings of a region with empty spacer cells: drop ``a`` leading and ``b`` trailing empties."""
    extra = len(region) - width
    lead = next((i for i, c in enumerate(region) if c), len(region))
    trail = next((i for i, c in enumerate(reversed(region)) if c), len(region))
    options = []
    for a in range(extra + 1):
        b = extra - a
        if a <= lead and b <= trail:
            options.append(tuple(region[a : len(region) - b]))
    return options


def _agreed(options: list[tuple[str, ...]], width: int) -> list[str | None]:
    """The cells all options agree on; None where they differ."""
    out: list[str | None] = []
    for i in range(width):
        values = {opt[i] for opt in options}
        out.append(values.pop() if len(values) == 1 else None)
    return out


def _sort_request_entries(entries: dict[str, _Entry], result: TableResult) -> tuple[list[_Entry], list[_Entry]]:
    """Read the plain rows (how "a": 7 values; "b": 7 cells) and a row cut by the end of the text;
    return (spacer rows, rows to repair)."""
    spacer: list[_Entry] = []
    repairs: list[_Entry] = []
    for e in entries.values():
        filled = [c for c in e.region if c]
        if e.cut:
            _read_cut_request_row(e, result)
        elif len(filled) == REQUEST_WIDTH:
            e.reading, e.how = list(filled), "a"
        elif len(e.region) == REQUEST_WIDTH:
            e.reading, e.how = list(e.region), "b"
        elif len(e.region) > REQUEST_WIDTH and len(filled) < REQUEST_WIDTH and _spacer_options(e.region, REQUEST_WIDTH):
            spacer.append(e)
        else:
            repairs.append(e)
    return spacer, repairs


def _read_cut_request_row(e: _Entry, result: TableResult) -> None:
    """The document's last row, cut inside: with every cell marked, the cells shown are its first
    columns and only those are read (the rest absent); in text without table markup they cannot
    be placed and none is read. Never repaired: the totals it would need are cut off too."""
    n = len(e.region)
    if e.spaced:
        e.reading = None
        result.warnings.append(
            f"requests: row {e.key} is cut by the end of the text after {n} value(s) in text without table "
            "markup; columns unknown, not read"
        )
    else:
        e.reading = list(e.region)
        result.warnings.append(
            f"requests: row {e.key} is cut by the end of the text after {n} of {REQUEST_WIDTH} cells; "
            f"read {', '.join(REQUEST_COLUMNS[:n]) or 'none'}, the rest absent"
        )
    e.how = "cut"


def _place_spacer_row(e: _Entry, filled_cols: set[int], result: TableResult) -> None:
    """Read a row with empty spacer cells; where several placements remain, keep what they agree on."""
    options = list(dict.fromkeys(_spacer_options(e.region, REQUEST_WIDTH)))
    if len(options) > 1:
        fitting = [o for o in options if {i for i, c in enumerate(o) if c} <= filled_cols]
        if fitting:
            options = fitting
    if len(options) == 1:
        e.reading, e.how = list(options[0]), "c"
        return
    e.reading, e.how = _agreed(options, REQUEST_WIDTH), "ambiguous"
    result.warnings.append(
        f"requests: row {e.key} has {len(e.region)} cells with blanks for {REQUEST_WIDTH} columns; "
        f"{len(options)} placements possible, disputed cells left empty"
    )
    result.problems.append(SectionProblem(REQUESTS, f"row {e.key}: cannot tell which columns its values are in", [e.key]))


def _repair_request_row(e: _Entry, known: dict[str, list[str | None]], result: TableResult, fmt: str) -> None:
    """Fit a row with too many or too few values, using its row total and the table's column totals."""
    values = [c for c in e.region if c]
    check = _request_check(known, e.key, fmt)
    if _is_glued(values, REQUEST_WIDTH):
        outcome = split_glued(values[0], REQUEST_WIDTH, lambda r: sums_balance(r, REQUEST_GROUPS), check)
    else:
        outcome = repair_row(
            values,
            REQUEST_WIDTH,
            lambda r: sums_balance(r, REQUEST_GROUPS),
            REQUEST_BOUNDARIES,
            table_check=check,
        )
    _apply_repair(result, REQUESTS, e.key, len(values), REQUEST_WIDTH, "row total", outcome.status, outcome.note)
    if outcome.status != "failed":
        e.reading = outcome.cells
        known[e.key] = outcome.cells
    else:
        e.reading = None


def _resolve_requests(entries: dict[str, _Entry], result: TableResult, fmt: str) -> None:
    """Choose the 7 values of every row: plain rows first, then spacer rows, then repairs."""
    spacer, repairs = _sort_request_entries(entries, result)
    # Columns the unambiguous rows fill: spacer rows of the same table fill the same ones.
    filled_cols = {i for e in entries.values() if e.how in ("a", "b") for i, c in enumerate(e.reading or []) if c}
    for e in spacer:
        _place_spacer_row(e, filled_cols, result)
    known = {
        k: e.reading for k, e in entries.items() if e.reading is not None and e.how not in ("ambiguous", "cut")
    }
    for e in repairs:
        _repair_request_row(e, known, result, fmt)


def _is_glued(values: list[str], width: int) -> bool:
    """One cell holding a run of at least ``width`` digits: a row's values printed without separators."""
    return len(values) == 1 and values[0].isdigit() and len(values[0]) >= width


def _apply_repair(
    result: TableResult, section: str, key: str, n: int, width: int, rule: str, status: str, note: str
) -> None:
    head = f"{section}: row had {n} values for {width} columns"
    if section == REQUESTS:
        head = f"{section}: row {key} had {n} values for {width} columns"
    detail = f" ({note})" if note else ""
    if status == "repaired":
        result.warnings.append(f"{head}; repaired using {'group totals' if section == APPEALS else rule}{detail}")
    elif status == "ambiguous":
        result.warnings.append(f"{head}; several readings balance{detail}; disputed cells left empty")
        result.problems.append(
            SectionProblem(section, f"row {key}: {n} values for {width} columns, ambiguous{detail}", [key])
        )
    else:
        result.warnings.append(f"{head}; no reading balances the totals{detail}; row left out")
        result.problems.append(
            SectionProblem(section, f"row {key}: {n} values for {width} columns, cannot be repaired{detail}", [key])
        )


# --- Section 四 ---------------------------------------------------------------------------------
def _appeal_candidates(rows: list[Row], result: TableResult) -> list[list[str]]:
    """Value regions of the section-四 rows that hold values (header rows only mark the table found)."""
    candidates: list[list[str]] = []
    for row in rows:
        if not row.table:
            continue
        labels, region = split_label(row.cells)
        if not any(c.strip() and is_value_text(c) for c in region):
            if any(is_appeal_header(c) for c in row.cells):
                result.found[APPEALS] = True
            continue
        if labels and any(is_appeal_header(c) for c in labels) and sum(1 for c in region if c.strip()) < 3:
            continue
        candidates.append([c.strip() for c in region])
    return candidates


def _place_appeal_spacers(region: list[str], result: TableResult) -> list[str | None]:
    """Read the 15 values of a region with spacer cells, preferring placements whose totals balance."""
    options = list(dict.fromkeys(_spacer_options(region, APPEAL_WIDTH)))
    balanced = [o for o in options if sums_balance(o, APPEAL_GROUPS)] or options
    totals_filled = [o for o in balanced if all(o[t] for _, t in APPEAL_GROUPS)]
    options = totals_filled if len(totals_filled) == 1 else balanced
    if len(options) == 1:
        return list(options[0])
    result.warnings.append(
        f"appeals: row has {len(region)} cells with blanks for {APPEAL_WIDTH} columns; disputed cells left empty"
    )
    result.problems.append(
        SectionProblem(APPEALS, "cannot tell which columns the values are in", [r.key for r in APPEAL_ROWS])
    )
    return _agreed(options, APPEAL_WIDTH)


def _read_appeal_region(region: list[str], result: TableResult) -> list[str | None] | None:
    """The 15 values of the section-四 row: as printed, placed around spacers, or repaired; None if failed."""
    filled = [c for c in region if c]
    if len(filled) == APPEAL_WIDTH:
        return list(filled)
    if len(region) == APPEAL_WIDTH:
        return list(region)
    if len(region) > APPEAL_WIDTH and len(filled) < APPEAL_WIDTH and _spacer_options(region, APPEAL_WIDTH):
        return _place_appeal_spacers(region, result)
    if _is_glued(filled, APPEAL_WIDTH):
        outcome = split_glued(filled[0], APPEAL_WIDTH, lambda r: sums_balance(r, APPEAL_GROUPS))
    else:
        outcome = repair_row(filled, APPEAL_WIDTH, lambda r: sums_balance(r, APPEAL_GROUPS), APPEAL_BOUNDARIES)
    _apply_repair(result, APPEALS, "appeals", len(filled), APPEAL_WIDTH, "group totals", outcome.status, outcome.note)
    return outcome.cells if outcome.status != "failed" else None


def _join_split_appeals(candidates: list[list[str]], result: TableResult) -> list[list[str]]:
    """Section 四 published as small tables (行政复议 | 未经复议直接起诉 | 复议后起诉, 5 values each,
    or 5 + 10): when the leading rows hold whole groups of 5 that add up to exactly 15 values,
    they are the one row of the form, in the form's fixed order."""
    filled = [[c for c in region if c] for region in candidates]
    if len(filled[0]) >= APPEAL_WIDTH:
        return candidates
    total = 0
    for n, values in enumerate(filled, 1):
        if not values or len(values) % 5:
            return candidates
        total += len(values)
        if total == APPEAL_WIDTH and n > 1:
            joined = [v for values in filled[:n] for v in values]
            result.warnings.append(
                f"appeals: section published as {n} tables of {', '.join(str(len(v)) for v in filled[:n])} values; "
                "joined in the form's order (行政复议, 未经复议直接起诉, 复议后起诉)"
            )
            return [joined, *candidates[n:]]
        if total > APPEAL_WIDTH:
            return candidates
    return candidates


def read_appeals(rows: list[Row]) -> TableResult:
    """Section 四: one row of 15 numbers, 3 groups of 5 (upheld, corrected, other, pending, total)."""
    result = TableResult()
    candidates = _appeal_candidates(rows, result)
    if not candidates:
        return result
    result.found[APPEALS] = True
    candidates = _join_split_appeals(candidates, result)
    if len(candidates) > 1:
        result.warnings.append(f"appeals: {len(candidates)} rows with values; read the first")
    reading = _read_appeal_region(candidates[0], result)
    if reading is None:
        return result
    for g, spec in enumerate(APPEAL_ROWS):
        for c, col in enumerate(spec.columns):
            _cell(result, APPEALS, spec.key, col, reading[g * 5 + c])
    return result


def read_tables(sections: dict[str, list[Row]], fmt: str, ends_in: str | None = None) -> TableResult:
    """Cells of all three statistics tables; ``sections`` maps active/requests/appeals to rows.
    ``ends_in``: the section the document's text ends in (a page cut inside a table)."""
    result = TableResult()
    result.extend(read_active(sections.get(ACTIVE, []), fmt, cut=ends_in == ACTIVE))
    result.extend(read_requests(sections.get(REQUESTS, []), fmt, cut=ends_in == REQUESTS))
    result.extend(read_appeals(sections.get(APPEALS, [])))
    return result
