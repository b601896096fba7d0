"""The schema is Alembic's, the models match it, and seeding loads a living service."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlmodel import SQLModel

import equipment.models as m
from equipment.demo.seed import seed
from equipment.errors import Conflict
from equipment.people.users import authenticate


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models differ from the migrations; add a migration: {diff}"


def test_seed_loads_the_county(db):
    counts = seed(db, demo=True)
    assert counts["depots"] == 3 and counts["items"] >= 60 and counts["vans"] >= 25
    assert 1900 <= counts["assets"] <= 2100 and counts["service_users"] >= 300
    # six contract classes, and three of compliance in the home (inspection, swap, swap_collection)
    assert db.exec(select(func.count()).select_from(m.ResponseClass)).one()[0] == 9
    # The ledger explains every balance.
    balances = db.exec(select(func.sum(m.StockBalance.quantity))).one()[0]
    movements = db.exec(select(func.sum(m.StockMovement.quantity))).one()[0]
    assert balances == movements
    for role in ("admin", "coordinator", "clerk", "driver", "officer"):
        user = authenticate(db, role, "demo-equipment")
        assert user is not None and user.role == role


def test_seed_refuses_a_database_with_data_and_changes_nothing(db, make):
    make.depot("XYZ")
    try:
        seed(db)
    except Conflict as exc:
        assert "already holds data" in exc.detail
    else:
        raise AssertionError("seeding a database with data must be refused")
    db.rollback()
    assert db.exec(select(func.count()).select_from(m.Depot)).one()[0] == 1
    assert db.exec(select(func.count()).select_from(m.Item)).one()[0] == 0


def test_seed_without_demo_has_no_usable_passwords(db):
    seed(db)
    assert authenticate(db, "admin", "demo-equipment") is None
    staff = db.exec(select(m.User)).first()[0]
    assert staff.password_hash.startswith("!")


def test_cli_seed_and_users(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "1987 assets" in result.output or "assets" in result.output
    assert "Today's plan published" in result.output  # the demo driver has a route at first start
    again = runner.invoke(args=["seed"])
    assert again.exit_code != 0 and "refused" in again.output
    made = runner.invoke(
        args=["users", "create", "newdriver", "--role", "driver", "--van", "AE23 WKK", "--password", "long-enough"]
    )
    assert made.exit_code == 0, made.output
    bad_role = runner.invoke(args=["users", "create", "x", "--role", "pilot", "--password", "long-enough"])
    assert bad_role.exit_code != 0
    short = runner.invoke(args=["users", "create", "y", "--role", "clerk", "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
    no_van = runner.invoke(
        args=["users", "create", "z", "--role", "driver", "--van", "NOPE", "--password", "long-enough"]
    )
    assert no_van.exit_code != 0 and "no van" in no_van.output.lower()
    prescriber = runner.invoke(
        args=[
            "users",
            "create",
            "ot.new",
            "--role",
            "prescriber",
            "--prescriber",
            "megan.canham@example.org",
            "--password",
            "long-enough",
        ]
    )
    assert prescriber.exit_code == 0, prescriber.output
    unlinked = runner.invoke(args=["users", "create", "ot.none", "--role", "prescriber", "--password", "long-enough"])
    assert unlinked.exit_code != 0
