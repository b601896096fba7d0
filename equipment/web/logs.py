"""Logging without personal data: request lines are logged without their query strings
(searches by name or NHS number travel in query strings), and a failed statement is logged
without its parameters or the row the database quotes back."""

from __future__ import annotations

import logging
import re
import traceback

from sqlalchemy.exc import DBAPIError

_QUERY = re.compile(r"\?[^\s\"]*")


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_QUERY.sub("?…", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub("?…", record.msg)
        return True


def database_error(exc: BaseException) -> DBAPIError | None:
    """The database error that `exc` is or was raised from, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DBAPIError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def describe_database_error(exc: BaseException, failed: DBAPIError) -> str:
    """A traceback of `exc` with no message text that could hold data: the stack, the error
    classes, the constraint, table and column named, and the SQL (parameters are never logged,
    and the engine hides them too). PostgreSQL's DETAIL quotes the failing row, so the driver's
    message is left out; SQLite's first line names only the constraint."""
    driver = failed.orig
    named = []
    diag = getattr(driver, "diag", None)
    for field in ("constraint_name", "table_name", "column_name"):
        value = getattr(diag, field, None) if diag is not None else None
        if value:
            named.append(f"{field.removesuffix('_name')}={value}")
    if diag is None and driver is not None and type(driver).__module__ == "sqlite3":
        named.append(str(driver).splitlines()[0] if str(driver) else "")
    statement = " ".join((failed.statement or "").split())[:300]
    stack = "".join(traceback.format_tb(exc.__traceback__))
    return (
        f"Traceback (most recent call last):\n{stack}"
        f"{type(exc).__name__} from {type(failed).__name__} ({type(driver).__name__}): "
        f"{'; '.join(n for n in named if n) or 'no detail logged'}\n[SQL: {statement}]"
    )


def init_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("werkzeug", "gunicorn.access", "equipment"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
