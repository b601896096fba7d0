"""Engine, sessions, the column types every table shares, and the one transaction idiom:
`@use_case` (a use case commits once when it returns, and leaves nothing when it raises)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine


class UTCDateTime(TypeDecorator):
    """Timestamps stored as naive UTC and always returned timezone-aware, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and write-locking transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)
        _make_sqlite_transactions_immediate(engine)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20, hide_parameters=True)
    _ping_connections_left_idle(engine)
    return engine


# Seconds a pooled connection may sit unused before it is checked with a round trip on checkout.
PING_AFTER_IDLE = 1.0


def _ping_connections_left_idle(engine: Engine) -> None:
    # A connection that sat unused for a while is pinged before it is handed out, in case the
    # database restarted or the network dropped it meanwhile; one in steady use is not. Pinging
    # every checkout (pool_pre_ping) cost about a tenth of the CPU of a stock write under load,
    # and a restart during traffic fails the requests it meets (503, retry), which makes the pool
    # reconnect.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection did not answer") from exc  # the pool reconnects


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    # SQLite upgrades a read lock to a write lock lazily and fails at once when another writer
    # got there first. Taking the write lock at BEGIN makes concurrent writers queue instead,
    # which is what keeps stock checks and their updates atomic under load.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Safe with WAL: a power cut may lose the last commits, never corrupt the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


P = ParamSpec("P")
R = TypeVar("R")
_DEPTH = "use_case_depth"


def in_use_case(session: Session) -> bool:
    """True inside a use case's transaction (where no network call may be made)."""
    return session.info.get(_DEPTH, 0) > 0


def use_case(function: Callable[P, R]) -> Callable[P, R]:
    """One use case, one transaction: commit when `function` returns, roll back when it raises.

    The session is the first argument. Helpers it calls only add and flush. A use case called
    from inside another joins the outer one's transaction, which commits once at the end.
    """

    @functools.wraps(function)
    def run(session: Session, *args: P.args, **kwargs: P.kwargs) -> R:
        depth = session.info.get(_DEPTH, 0)
        session.info[_DEPTH] = depth + 1
        try:
            result = function(session, *args, **kwargs)
            if depth == 0:
                session.commit()
            return result
        except BaseException:
            if depth == 0:
                session.rollback()
            raise
        finally:
            session.info[_DEPTH] = depth

    return run  # type: ignore[return-value]
