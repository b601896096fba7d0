"""The JSON API under /api/v1: one blueprint per resource."""

from flask_openapi3 import APIBlueprint

from equipment.web.api import assets as assets_api
from equipment.web.api import auth, catalogue, fleet
from equipment.web.api import collection_requests as collection_requests_api
from equipment.web.api import notices as notices_api
from equipment.web.api import orders as orders_api
from equipment.web.api import plans as plans_api
from equipment.web.api import recalls as recalls_api
from equipment.web.api import reports as reports_api
from equipment.web.api import stock as stock_api
from equipment.web.api import stops as stops_api
from equipment.web.api import users as users_api


def blueprints() -> list[APIBlueprint]:
    return [
        auth.bp,
        catalogue.bp,
        fleet.bp,
        reports_api.bp,
        orders_api.bp,
        stock_api.bp,
        assets_api.bp,
        assets_api.exports_bp,
        plans_api.bp,
        stops_api.bp,
        notices_api.bp,
        collection_requests_api.bp,
        recalls_api.bp,
        users_api.bp,
    ]
