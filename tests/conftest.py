"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), the app on it, and factories with sensible defaults."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from config import normalise_database_url
from equipment import stock
from equipment.db import make_engine, new_session
from equipment.demo.ready_orders import make_ready_order
from equipment.demo.seed import SEED_DIR, _load_response_classes, seed
from equipment.migrations.upgrade import upgrade_to_head
from equipment.models import Depot, Item, Order, PostcodeDistrict, ResponseClass, ServiceUser, Van
from equipment.people import users
from equipment.planning.runs import InAppWorker
from equipment.vocabulary import OrderKind
from equipment.web import create_app


def _own_database_per_worker(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (`test_gw0`, ...), made on
    first use, so parallel workers never empty each other's tables. Set before any test module
    reads TEST_DATABASE_URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url.startswith("postgresql") or not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    own = parsed.set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = own
    return own


TEST_DATABASE_URL = _own_database_per_worker(normalise_database_url(os.environ.get("TEST_DATABASE_URL", "")))
PASSWORD = "password-for-tests"


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Hashing stays real, at a cost suited to a test run rather than to an attacker."""
    users.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def on_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _schema_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | Engine]:
    """Build the schema once per run: a template SQLite file, or the PostgreSQL test database."""
    if on_postgres():
        engine = make_engine(TEST_DATABASE_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade_to_head(engine)
        yield engine
        engine.dispose()
        return
    template = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade_to_head(engine)
    engine.dispose()
    yield template


def _empty_all_tables(pg: Engine, attempts: int = 5) -> None:
    """TRUNCATE every table. A background thread of the previous test (a planning or sending
    worker finishing its last query) can deadlock with it once; PostgreSQL then cancels the
    TRUNCATE, which is simply tried again."""
    for attempt in range(attempts):
        try:
            with pg.begin() as connection:
                tables = connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                ).scalars()
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            sleep(0.2 * (attempt + 1))


@pytest.fixture
def engine(_schema_template: Path | Engine, tmp_path: Path) -> Iterator[Engine]:
    """An empty database at the current schema, private to this test."""
    if on_postgres():
        pg: Engine = _schema_template  # type: ignore[assignment]
        _empty_all_tables(pg)
        yield pg
        InAppWorker.for_engine(pg).forget(pg)  # no planning job of this test runs in the next
        return
    path = tmp_path / "test.db"
    shutil.copy(_schema_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    InAppWorker.for_engine(engine).forget(engine)
    engine.dispose()


@pytest.fixture
def db(engine: Engine):
    session = new_session(engine)
    yield session
    session.close()


class SyncedClient(FlaskClient):
    """A test client that ends the test's own transaction before each request.

    So the app never waits on a lock the test holds, and what the test reads afterwards is
    fresh from the database (as on PostgreSQL), never a stale copy from its identity map.
    """

    def open(self, *args: Any, **kwargs: Any):
        session = self.application.config.get("TEST_SESSION")
        if session is not None:
            session.commit()
            session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def app(engine: Engine, db):
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(
        {
            "ENGINE": engine,
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": "secret-key-for-tests",
            "LOGIN_RATE_LIMIT": "10000 per minute",
            "PLAN_SECONDS": 2,
            "TEST_SESSION": db,
        }
    )
    app.test_client_class = SyncedClient
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(db) -> dict[str, int]:
    """The whole Suffolk demo service, with demo users."""
    return seed(db, demo=True)


class Factory:
    """Rows with sensible defaults; each call commits so the app sees them."""

    def __init__(self, session, app) -> None:
        self.db = session
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def depot(self, code: str = "IPS", **fields: Any) -> Depot:
        depot = Depot(
            code=code,
            name=fields.pop("name", f"{code} depot"),
            address="1 Test Road",
            postcode="IP1 1AA",
            lat=fields.pop("lat", 52.06),
            lon=fields.pop("lon", 1.15),
            **fields,
        )
        self.db.add(depot)
        self.db.commit()
        return depot

    def district(self, district: str = "IP4", depot: Depot | None = None, **fields: Any) -> PostcodeDistrict:
        depot = depot or self.depot()
        row = PostcodeDistrict(
            district=district,
            town=fields.pop("town", "Ipswich"),
            lat=fields.pop("lat", 52.06),
            lon=fields.pop("lon", 1.17),
            depot_id=depot.id,
        )
        self.db.add(row)
        self.db.commit()
        return row

    def item(self, sku: str | None = None, **fields: Any) -> Item:
        defaults = {
            "name": "Walking frame",
            "category": "walking",
            "serialised": False,
            "volume": 2,
            "install_minutes": 5,
            "inspection_regime": "none",
        }
        defaults.update(fields)
        item = Item(sku=sku or f"ITEM-{self._next()}", **defaults)
        self.db.add(item)
        self.db.commit()
        return item

    def van(self, depot: Depot, reg: str | None = None, **fields: Any) -> Van:
        defaults = {
            "volume_capacity": 100,
            "bed_slots": 2,
            "hoist_slots": 2,
            "skills": "two_person hoist_trained",
            "shift_start": time(8),
            "shift_end": time(17),
            "lunch_from": time(12),
            "lunch_to": time(14),
            "lunch_minutes": 30,
        }
        defaults.update(fields)
        van = Van(reg=reg or f"TE{self._next():02d} VAN", depot_id=depot.id, **defaults)
        self.db.add(van)
        self.db.commit()
        return van

    def response_classes(self) -> None:
        if self.db.get(ResponseClass, "next_day") is None:
            _load_response_classes(self.db, SEED_DIR)
            self.db.commit()

    def person(self, *, district: str = "IP4", lat: float = 52.06, lon: float = 1.17, **fields: Any) -> ServiceUser:
        n = self._next()
        person = ServiceUser(
            name=fields.pop("name", f"Person {n}"),
            address=fields.pop("address", f"{n} Test Street"),
            postcode=fields.pop("postcode", f"{district} 1AA"),
            district=district,
            lat=lat,
            lon=lon,
            **fields,
        )
        self.db.add(person)
        self.db.commit()
        return person

    def order(
        self,
        response_class: str = "next_day",
        *,
        kind: str = OrderKind.DELIVERY,
        depot: Depot | None = None,
        person: ServiceUser | None = None,
        lines: list[tuple[Item, int]] | None = None,
        due_at: datetime | None = None,
        **fields: Any,
    ) -> Order:
        """A ready order (lines reserved, or on loan for a collection), stock received as needed."""
        self.response_classes()
        depot = depot or self.db.exec(select(Depot).order_by(Depot.id)).first() or self.depot()
        if lines is None:
            frame = self.item(name="Walking frame")
            stock.receive_goods(self.db, depot_code=depot.code, sku=frame.sku, quantity=5, user_id=None)
            lines = [(frame, 1)]
        order = make_ready_order(
            self.db,
            ref=fields.pop("ref", f"EQ-{700000 + self._next():06d}"),
            person=person or self.person(),
            depot=depot,
            lines=lines,
            due_at=due_at or datetime.now(UTC) + timedelta(days=1),
            kind=kind,
            response_class=response_class,
            **fields,
        )
        self.db.commit()
        return order

    def user(self, role: str = "admin", username: str | None = None, van: Van | None = None, **fields: Any):
        return users.create_user(
            self.db,
            username=username or f"{role}{self._next()}",
            role=role,
            password=fields.pop("password", PASSWORD),
            van_reg=van.reg if van else None,
            **fields,
        )

    def token(self, user) -> str:
        token, _ = users.issue_token(user, secret_key=self.app.config["SECRET_KEY"], hours=1)
        return token

    def headers(self, role: str = "admin", **fields: Any) -> dict[str, str]:
        """Authorization headers of a new user with `role`."""
        return {"Authorization": f"Bearer {self.token(self.user(role, **fields))}"}


@pytest.fixture
def make(db, app) -> Factory:
    return Factory(db, app)


@pytest.fixture
def make_order(make: Factory):
    """`make_order(response_class="emergency", due_at=..., lines=[(item, 1)])`: a ready order."""
    return make.order


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    """Sign in through the login form, CSRF token and all."""
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def post_form(client, page_url: str, data: dict[str, Any], *, action: str | None = None):
    """GET the page, take its CSRF token, POST the form (to `action`, default the page)."""
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})


@pytest.fixture
def redis_url():
    """A Redis server of the test's own on a free port (needs `redis-server`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        try:
            Redis.from_url(url).ping()
            break
        except Exception:  # noqa: BLE001
            sleep(0.05)
    yield url
    server.terminate()
    server.wait(5)
