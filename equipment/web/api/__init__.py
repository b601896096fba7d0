"""The JSON API under /api/v1: one blueprint per resource."""

from flask_openapi3 import APIBlueprint


def blueprints() -> list[APIBlueprint]:
    from equipment.web.api import auth, catalogue
    from equipment.web.api import reports as reports_api
    from equipment.web.api import plans as plans_api, routes as routes_api  # planning engineer

    return [auth.bp, catalogue.bp, reports_api.bp, plans_api.bp, routes_api.bp]
