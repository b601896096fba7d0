"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from equipment.web import create_app

app = create_app()
