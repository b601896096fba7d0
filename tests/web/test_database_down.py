"""When the database does not answer, people get a 503 to retry, never a 500."""

import os

import psycopg
import pytest
from sqlalchemy import text

from config import normalise_database_url
from equipment import db
from equipment.db import make_engine
from equipment.web import create_app

DEAD = "postgresql+psycopg://nobody@127.0.0.1:1/none"
TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL", ""))


def test_api_answers_503_problem_when_the_database_is_down():
    app = create_app({"DATABASE_URL": DEAD, "SECRET_KEY": "x"})
    response = app.test_client().post("/api/v1/auth/token", json={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0


def test_pages_answer_503_when_the_database_is_down():
    app = create_app({"DATABASE_URL": DEAD, "SECRET_KEY": "x", "LOGIN_RATE_LIMIT": "1000 per minute"})
    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[-1].split('"')[0]
    response = client.post("/login", data={"username": "a", "password": "b", "csrf_token": token})
    assert response.status_code == 503
    assert b"cannot reach its database" in response.data


@pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"), reason="drops a server connection: needs PostgreSQL"
)
def test_a_pooled_connection_left_idle_is_checked_and_replaced_when_dead(monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)  # every checkout counts as after an idle spell
    engine = make_engine(TEST_DATABASE_URL)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(TEST_DATABASE_URL.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        with engine.connect() as connection:  # the dead connection fails its ping and is replaced
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    finally:
        engine.dispose()
