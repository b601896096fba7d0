"""One database session per request, closed (and rolled back if uncommitted) at the end."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlmodel import Session

from equipment.db import new_session


def get_engine() -> Engine:
    return current_app.extensions["db_engine"]


def get_db() -> Session:
    if "db" not in g:
        g.db = new_session(get_engine())
    return g.db


def init_database(app: Flask, engine: Engine) -> None:
    app.extensions["db_engine"] = engine

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()
