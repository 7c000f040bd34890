"""Copy one nianbao database into another, empty one (`nianbao migrate-db`): SQLite → PostgreSQL.

The target gets its schema from the migrations, then every table of the models is copied in
dependency order (parents before the rows that point at them), ids and all, a batch at a time
(memory stays bounded whatever the size; into PostgreSQL by ``COPY``), in one transaction on the
target (a copy that fails leaves the target empty, so it can simply be run again). PostgreSQL's sequences are then moved
past the copied ids, and the rows of every table are counted on both sides.

Not copied: ``alembic_version`` (the migrations write it) and APScheduler's ``apscheduler_jobs``
(``nianbao serve`` rebuilds its jobs from the settings at every start).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from core.errors import UsageError
from storage.db import Database
from storage.models import Base

BATCH = 2000  # rows per read and per insert


@dataclass
class TableCount:
    """Rows of one table in the source and in the target after the copy."""

    table: str
    source: int
    target: int

    @property
    def equal(self) -> bool:
        return self.source == self.target


def tables_holding_data(engine: Engine) -> list[str]:
    """The model tables that exist in the database behind ``engine`` and hold at least one row."""
    present = set(inspect(engine).get_table_names())
    full = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in present and conn.execute(select(text("1")).select_from(table).limit(1)).first():
                full.append(table.name)
    return full


def copy_database(
    source: Database,
    target_url: str,
    *,
    batch: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> list[TableCount]:
    """Copy every model table of ``source`` into the empty database at ``target_url``.

    Raises ``UsageError`` when the target is the source or already holds rows. ``progress`` is
    called with (table, rows copied so far) after each batch. Returns the per-table counts."""
    target = Database(target_url, migrate=False)
    try:
        if target.engine.url == source.engine.url:
            raise UsageError("migrate-db: the target is the current database")
        full = tables_holding_data(target.engine)
        if full:
            raise UsageError(
                f"migrate-db: target {target.engine.url.render_as_string(hide_password=True)} already holds data "
                f"(in {', '.join(full)}): give an empty database"
            )
        target.migrate()
        plain = _copy_types(Base.metadata)
        with source.engine.connect() as src, target.engine.begin() as dst:
            for table in Base.metadata.sorted_tables:
                _copy_table(src, dst, table, plain.tables[table.name], batch, progress)
            if dst.dialect.name == "postgresql":
                _advance_sequences(dst)
        return count_rows(source.engine, target.engine)
    finally:
        target.dispose()


def count_rows(source: Engine, target: Engine) -> list[TableCount]:
    """Rows per model table, in the source and in the target."""
    out = []
    with source.connect() as a, target.connect() as b:
        for table in Base.metadata.sorted_tables:
            q = select(func.count()).select_from(table)
            out.append(TableCount(table.name, int(a.scalar(q) or 0), int(b.scalar(q) or 0)))
    return out


def _copy_types(metadata: MetaData) -> MetaData:
    """The tables as the copy writes them: a nullable JSON column writes None as SQL NULL (what a
    blank value reads back as), not as the JSON text ``null``."""
    plain = MetaData()
    for table in metadata.sorted_tables:
        copy = table.to_metadata(plain)
        for col in copy.columns:
            if isinstance(col.type, JSON) and col.nullable:
                col.type = JSON(none_as_null=True)
    return plain


def _copy_table(src: Connection, dst: Connection, table: Table, write_as: Table, batch: int,
                progress: Callable[[str, int], None] | None) -> None:
    aware = [c.name for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]
    order = list(table.primary_key.columns) or list(table.columns)
    result = src.execution_options(stream_results=True, yield_per=batch).execute(select(table).order_by(*order))
    write = _copy_rows_in if dst.dialect.name == "postgresql" else _insert_rows
    done = 0
    for rows in result.partitions(batch):
        values = [_row(r._mapping, aware) for r in rows]
        write(dst, write_as, values)
        done += len(values)
        if progress is not None:
            progress(table.name, done)


def _insert_rows(dst: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    dst.execute(table.insert(), rows)


def _copy_rows_in(dst: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows through ``COPY … FROM STDIN`` on the same connection and transaction
    (1.2× the rate of batched INSERTs in the one comparison made, `bench/monitor` at 5,000 reports
    on a loaded machine). JSON is written as the application writes it."""
    serialize = dst.dialect._json_serializer or json.dumps  # type: ignore[attr-defined]
    json_cols = {c.name: c.nullable for c in table.columns if isinstance(c.type, JSON)}
    names = [c.name for c in table.columns]
    quoted = ", ".join(dst.dialect.identifier_preparer.quote(n) for n in names)
    cursor = dst.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {dst.dialect.identifier_preparer.quote(table.name)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([
                    (None if row[n] is None and json_cols[n] else serialize(row[n])) if n in json_cols else row[n]
                    for n in names
                ])
    finally:
        cursor.close()


def _row(mapping: Any, aware: list[str]) -> dict[str, Any]:
    row = dict(mapping)
    # SQLite keeps no offset: nianbao's times there are UTC. Say so, or PostgreSQL would read
    # them in its session's time zone.
    for name in aware:
        value = row[name]
        if isinstance(value, datetime):
            row[name] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return row


def _advance_sequences(dst: Connection) -> None:
    """Move each serial id's sequence past the highest id copied: the next row PostgreSQL numbers
    must not collide with a copied one."""
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer) or pk[0].foreign_keys:
            continue
        seq = dst.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk[0].name})
        if seq is None:
            continue
        dst.execute(
            text(f'SELECT setval(:seq, COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0) + 1, false)'),
            {"seq": seq},
        )

