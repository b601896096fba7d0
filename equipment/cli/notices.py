"""`flask --app wsgi notices send`: send what waits and refresh delivery statuses (for cron)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from equipment.notices.dispatch import send_round
from equipment.notices.sending import NotifySettings

notices_group = AppGroup("notices", help="Messages to service users.")


@notices_group.command("send")
def send_command() -> None:
    """Send every waiting message through GOV.UK Notify, then ask Notify what became of sent ones."""
    notify = NotifySettings.from_settings(current_app.config)
    if notify is None:
        click.echo("NOTIFY_API_KEY is not set: messages wait in the outbox (/notices) to be sent by hand", err=True)
        sys.exit(2)
    sent = send_round(current_app.extensions["db_engine"], notify)
    click.echo(f"{sent} message(s) sent")
