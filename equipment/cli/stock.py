"""`flask --app wsgi stock verify`: recompute balances from the ledger and say where they differ."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from equipment.db import new_session
from equipment.stock.queries import verify_ledger

stock_group = AppGroup("stock", help="Check the stock ledger.")


@stock_group.command("verify")
def verify_command() -> None:
    """Recompute every balance from the movements; print mismatches (exit 1) or that they agree."""
    with new_session(current_app.extensions["db_engine"]) as session:
        mismatches = verify_ledger(session)
    if not mismatches:
        click.echo("ledger and balances agree")
        return
    click.echo(f"{len(mismatches)} balance(s) disagree with the ledger:")
    for mismatch in mismatches:
        click.echo(f"  {mismatch}")
    sys.exit(1)
