"""Writing many generated rows fast, for the demo history: COPY on PostgreSQL, batched
executemany elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

CHUNK = 5000


def next_id(session: Session, table: Any) -> int:
    return int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, batched executemany elsewhere."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(table), rows[start : start + CHUNK])
        return
    columns = [c.name for c in table.columns if c.name in rows[0]]
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_naive_utc(row.get(name)) for name in columns])
