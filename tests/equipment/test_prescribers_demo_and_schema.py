"""The demo's prescriber login and its orders; revision 0008_prescribers when users.prescriber_id
is already there (revision 0007_users adds it too)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import func, select

from equipment.db import make_engine
from equipment.demo.history import generate_history
from equipment.migrations.upgrade import alembic_config
from equipment.models import Order, Prescriber
from equipment.people import prescribers
from equipment.people.users import authenticate
from tests.conftest import on_postgres


def test_the_demo_prescriber_signs_in_linked_to_a_seeded_prescriber_with_orders(db, seeded):
    user = authenticate(db, "prescriber", "demo-equipment")
    assert user is not None and user.role == "prescriber"
    record = db.get(Prescriber, user.prescriber_id)
    assert record.name == "Shirley Hammond" and record.team == "Hospital discharge"
    nurse = db.exec(select(Prescriber).where(Prescriber.profession == "District nurse")).first()
    assert "pressure care" in prescribers.categories(nurse.orderable_categories)
    assert prescribers.categories(nurse.authorisation_categories) == ["seating"]

    generate_history(db, months=1, now=datetime(2026, 2, 20, 9, 30, tzinfo=UTC), items_per_working_day=40)
    theirs = db.exec(select(func.count()).select_from(Order).where(Order.prescriber_id == record.id)).one()
    everyone = db.exec(select(func.count()).select_from(Order)).one()
    unowned = db.exec(select(func.count()).select_from(Order).where(Order.prescriber_id.is_(None))).one()
    assert theirs >= 5 and unowned == 0 and theirs < everyone / 10


@pytest.mark.skipif(on_postgres(), reason="rebuilds a schema step by step: on a private SQLite file")
def test_revision_0008_finds_users_prescriber_id_already_added(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'steps.db'}")
    cfg = alembic_config(str(engine.url))
    with engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0005_reports")
        connection.execute(text("ALTER TABLE users ADD COLUMN prescriber_id INTEGER REFERENCES prescribers (id)"))
        connection.execute(text("CREATE INDEX ix_users_prescriber_id ON users (prescriber_id)"))
        connection.commit()
        command.upgrade(cfg, "0008_prescribers")
        connection.commit()
        columns = {c["name"] for c in inspect(connection).get_columns("users")}
        assert "prescriber_id" in columns
        assert {"team", "orderable_categories"} <= {c["name"] for c in inspect(connection).get_columns("prescribers")}
        command.downgrade(cfg, "0005_reports")
        connection.commit()
        assert "team" not in {c["name"] for c in inspect(connection).get_columns("prescribers")}
    engine.dispose()
