"""GET /api/v1/depots and /api/v1/items."""

from flask_openapi3 import APIBlueprint, Tag

from equipment.models import Depot, Item
from equipment.schemas import DepotList, DepotPublic, ItemList, ItemPublic, ItemQuery, Location, Problem
from equipment.stock import catalogue
from equipment.web.access import ALL_ROLES, allow
from equipment.web.database import get_db

bp = APIBlueprint("api_catalogue", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="catalogue")])


def depot_public(depot: Depot) -> DepotPublic:
    return DepotPublic(
        code=depot.code,
        name=depot.name,
        address=depot.address,
        postcode=depot.postcode,
        location=Location(lat=depot.lat, lon=depot.lon),
    )


def item_public(item: Item) -> ItemPublic:
    return ItemPublic(
        sku=item.sku,
        name=item.name,
        category=item.category,
        serialised=item.serialised,
        volume=item.volume,
        bed_slots=item.bed_slots,
        hoist_slots=item.hoist_slots,
        skills=item.skills.split(),
        install_minutes=item.install_minutes,
        returnable=item.returnable,
        needs_authorisation=item.needs_authorisation,
        inspection_regime=item.inspection_regime,
    )


@bp.get("/depots", responses={200: DepotList, 401: Problem})
@allow(*ALL_ROLES)
def list_depots():
    """The depots (stores) of the service."""
    depots = [depot_public(d) for d in catalogue.list_depots(get_db())]
    return DepotList(items=depots, total=len(depots)).model_dump(mode="json")


@bp.get("/items", responses={200: ItemList, 401: Problem, 422: Problem})
@allow(*ALL_ROLES)
def list_items(query: ItemQuery):
    """The catalogue, searchable by words in the SKU, name or category."""
    items, total = catalogue.search_items(
        get_db(), q=query.q, category=query.category, limit=query.limit, offset=query.offset
    )
    return ItemList(items=[item_public(i) for i in items], total=total).model_dump(mode="json")
