"""Values SQLite and PostgreSQL store alike.

SQLite keeps whatever it is given: a 302-character name in a ``String(200)`` column, a cell of
10²⁰ in a ``Numeric(20, 6)``, a NUL character in text. PostgreSQL refuses all three (an exception
in the middle of filing a report). Two places make both databases store the same thing:

- ``FitText``, the type of every text column (``fit_text_columns`` puts it on the model's tables):
  a NUL character is dropped (PostgreSQL text cannot hold one, and it never means anything in a
  name, title or URL) and a value longer than its column is cut to the column's length. Applied
  to every value written or compared, so a look-up finds what was stored.
- ``fit_cell_value``, at ingest: a cell value outside what ``Numeric(20, 6)`` holds (14 integer
  digits) is not stored as a number — the cell keeps its text, its value is NULL, and the report
  carries a warning naming it — and a value with more than 6 decimals is rounded as PostgreSQL
  rounds it (half away from zero), on SQLite too.

JSON columns need neither: a NUL in them is written as the escape ``\u0000``, which PostgreSQL's
``json`` type (not ``jsonb``) keeps.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import MetaData, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NUMERIC_PRECISION, NUMERIC_SCALE = 20, 6  # every value column: report_cells.value, report_facts
NUMERIC_LIMIT = Decimal(10) ** (NUMERIC_PRECISION - NUMERIC_SCALE)  # |value| must stay below it
_QUANTUM = Decimal(1).scaleb(-NUMERIC_SCALE)


def fit_str(value: str, length: int | None) -> str:
    """``value`` as a text column of ``length`` characters stores it on every database."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:length] if length is not None and len(value) > length else value


def fit_cell_value(value: Any) -> tuple[Decimal | None, str | None]:
    """(the value as stored, None) or (None, the reason it cannot be stored as a number)."""
    if value is None:
        return None, None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None, f"{value!r} is not a number"
    if not number.is_finite() or abs(number) >= NUMERIC_LIMIT:
        return None, f"{value} is beyond the storable range (under 10^{NUMERIC_PRECISION - NUMERIC_SCALE})"
    if number.as_tuple().exponent < -NUMERIC_SCALE:  # type: ignore[operator]
        number = number.quantize(_QUANTUM, rounding=ROUND_HALF_UP)
    return number, None


class FitText(TypeDecorator[str]):
    """A text column that drops NUL characters and cuts a value to its length (module docstring)."""

    impl = String
    cache_ok = True

    def __init__(self, length: int | None = None, base: type[String] = String) -> None:
        super().__init__(length)
        self.impl = base(length)  # the column's own type, so the schema is unchanged
        self.length, self.base = length, base  # in the type's cache key (read from __dict__)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return fit_str(value, self.length) if isinstance(value, str) else value

    @property
    def python_type(self) -> type[str]:
        return str


def fit_text_columns(metadata: MetaData) -> None:
    """Give every ``String``/``Text`` column of ``metadata`` the type ``FitText`` of its length."""
    for table in metadata.tables.values():
        for column in table.columns:
            t = column.type
            if isinstance(t, (String, Text)) and not isinstance(t, FitText) and type(t) in (String, Text):
                column.type = FitText(t.length, type(t))
