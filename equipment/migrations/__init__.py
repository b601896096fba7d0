"""Alembic owns the schema: versions/ and the upgrade helper."""
