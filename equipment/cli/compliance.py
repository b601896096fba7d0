"""`flask --app wsgi inspections schedule`: the daily run that turns inspections due into visits."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from equipment import compliance
from equipment.db import new_session
from equipment.errors import DomainError

inspections_group = AppGroup("inspections", help="Inspections of equipment on loan.")


@inspections_group.command("schedule")
def schedule_command() -> None:
    """Create the inspection visits that are missing (units on loan due within the lead time)."""
    settings = compliance.ComplianceSettings.from_config(current_app.config)
    with new_session(current_app.extensions["db_engine"]) as session:
        try:
            done = compliance.schedule_inspection_visits(session, settings=settings)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(
        f"{done.units} unit(s) due within {settings.lead_days} days put on visits: "
        f"{len(done.created)} new visit(s), {len(done.extended)} extended."
    )
