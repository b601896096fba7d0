"""Flask commands: `flask --app wsgi seed`, `flask --app wsgi users create ...`."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from equipment.cli.compliance import inspections_group
from equipment.cli.notices import notices_group
from equipment.cli.stock import stock_group
from equipment.db import new_session
from equipment.demo import seed as seeding
from equipment.demo.history import generate_history
from equipment.demo.today_plan import publish_todays_plan
from equipment.errors import DomainError
from equipment.migrations.upgrade import upgrade_to_head
from equipment.people import accounts, users
from equipment.people.imports import ImportRejected, import_service_users
from equipment.places.geocoding import GeocoderSettings
from equipment.vocabulary import Role


def _engine():
    return current_app.extensions["db_engine"]


def _run(use_case, **arguments):
    """Run one use case in its own session; a domain error becomes the command's one-line error."""
    with new_session(_engine()) as session:
        try:
            return use_case(session, **arguments)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc


@click.command("seed")
@with_appcontext
@click.option("--demo", is_flag=True, help=f"Also create one demo user per role (password {seeding.DEMO_PASSWORD}).")
@click.option(
    "--history",
    "history_months",
    type=click.IntRange(1, 60),
    default=None,
    metavar="MONTHS",
    help="Also generate MONTHS months of realistic orders, outcomes and delays up to yesterday.",
)
def seed_command(demo: bool, history_months: int | None) -> None:
    """Bring an empty database to the current schema and load seed_data/ (with --demo, today's
    routes for the demo driver's depot are planned and published too)."""
    started = time.perf_counter()
    upgrade_to_head(_engine())
    with new_session(_engine()) as session:
        try:
            counts = seeding.seed(session, demo=demo)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
    summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
    click.echo(f"Seeded {summary} in {time.perf_counter() - started:.1f} s.")
    if history_months:
        started = time.perf_counter()
        with new_session(_engine()) as session:
            made = generate_history(session, months=history_months, tz=current_app.config["TIMEZONE"])
        summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in made.items())
        click.echo(f"History of {history_months} months: {summary} in {time.perf_counter() - started:.1f} s.")
    if demo:
        started = time.perf_counter()
        seconds = min(5.0, float(current_app.config.get("PLAN_SECONDS", 5)))
        planned = publish_todays_plan(_engine(), tz=current_app.config["TIMEZONE"], seconds=seconds)
        click.echo(
            f"Today's plan published: {planned.get('today_stops', 0)} stops, "
            f"{planned.get('demo_driver_stops', 0)} for the demo driver, in {time.perf_counter() - started:.1f} s."
        )


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Bring the database to the current schema (Alembic upgrade head)."""
    upgrade_to_head(_engine())
    click.echo("The database schema is up to date.")


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Manage the people who sign in."""


@users_group.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([str(role) for role in Role]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--van", "van_reg", default=None, help="Registration of the van this driver drives.")
@click.option(
    "--prescriber", "prescriber_email", default=None, help="A prescriber's e-mail on record (that role only)."
)
@click.option("--full-name", default="", help="The person's name as colleagues know it.")
def create_user_command(
    name: str, role: str, password: str, van_reg: str | None, prescriber_email: str | None, full_name: str
) -> None:
    """Create a user NAME with a role."""
    _run(
        accounts.add_user,
        username=name,
        role=role,
        password=password,
        van_reg=van_reg,
        prescriber_email=prescriber_email,
        full_name=full_name,
    )
    click.echo(f"Created {role} {name}.")


@users_group.command("password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def password_command(name: str, password: str) -> None:
    """Set a new password for NAME; their sessions and tokens end at once."""
    _run(users.change_password, username=name, password=password, changed_by=None)
    click.echo(f"Password changed for {name}; their sessions and tokens have ended.")


@users_group.command("deactivate")
@click.argument("name")
def deactivate_command(name: str) -> None:
    """Stop NAME signing in; their sessions and tokens end at once."""
    _run(users.set_active, username=name, active=False, changed_by=None)
    click.echo(f"Deactivated {name}; their sessions and tokens have ended.")


@users_group.command("activate")
@click.argument("name")
def activate_command(name: str) -> None:
    """Let NAME sign in again (with their password as it was)."""
    _run(users.set_active, username=name, active=True, changed_by=None)
    click.echo(f"Activated {name}.")


@click.group("import", cls=AppGroup)
def import_group() -> None:
    """Bring records in from files."""


@import_group.command("service-users")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_service_users_command(csv_file) -> None:
    """Import service users from CSV_FILE (columns: name, address, postcode, and optionally
    nhs_number, phone, lat, lon, access_notes, safety_alerts). Any bad row rejects the file."""

    with new_session(_engine()) as session:
        try:
            result = import_service_users(
                session, csv_file.read(), geocoder=GeocoderSettings.from_config(current_app.config), user_id=None
            )
        except ImportRejected as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            raise click.ClickException(f"{len(exc.problems)} problem(s): nothing was imported") from exc
    click.echo(f"Imported {result.rows} rows ({result.people} people).")


def init_cli(app: Flask) -> None:
    app.cli.add_command(import_group)
    app.cli.add_command(seed_command)
    app.cli.add_command(migrate_command)
    app.cli.add_command(users_group)

    app.cli.add_command(stock_group)
    app.cli.add_command(notices_group)
    app.cli.add_command(inspections_group)
