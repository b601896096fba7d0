"""The JSON API under /api/v1: one blueprint per resource."""

from flask_openapi3 import APIBlueprint


def blueprints() -> list[APIBlueprint]:
    from equipment.web.api import auth, catalogue
    from equipment.web.api import reports as reports_api

    return [auth.bp, catalogue.bp, reports_api.bp]
