"""GET /api/v1/vans: the fleet, with each van's dirty compartment (segregated)."""

from flask_openapi3 import APIBlueprint, Tag

from equipment.planning.fleet import list_vans
from equipment.planning.schemas import VanCapacity, VanList, VanPublic
from equipment.schemas import PageQuery, Problem
from equipment.vocabulary import Role
from equipment.web.access import allow
from equipment.web.database import get_db

bp = APIBlueprint("api_fleet", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="planning")])


@bp.get("/vans", responses={200: VanList, 401: Problem, 403: Problem, 422: Problem})
@allow(Role.ADMIN, Role.COORDINATOR, Role.CLERK, Role.DRIVER)
def vans(query: PageQuery):
    """The vans: depot, capacity, crew skills, driver, and whether they have a separate dirty
    compartment (`segregated`; without one a van's collections come after its deliveries)."""
    rows, total = list_vans(get_db(), limit=query.limit, offset=query.offset)
    items = [
        VanPublic(
            reg=r.van.reg,
            name=r.van.name,
            depot=r.depot_code,
            capacity=VanCapacity(
                volume=r.van.volume_capacity, bed_slots=r.van.bed_slots, hoist_slots=r.van.hoist_slots
            ),
            skills=r.van.skills.split(),
            driver=r.driver,
            segregated=r.van.segregated,
            active=r.van.active,
        )
        for r in rows
    ]
    return VanList(items=items, total=total).model_dump(mode="json")
