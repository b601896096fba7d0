"""/api/v1/plans: plan a day off the request thread, review, adjust, publish, insert urgent jobs."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag

from equipment import planning
from equipment.planning import runs as jobs
from equipment.planning.schemas import (
    DisplacedStop,
    InsertRequest,
    InsertResult,
    Load,
    LockRequest,
    MoveRequest,
    PlanAccepted,
    PlanCreate,
    PlanList,
    PlanListQuery,
    PlanPath,
    PlanPublic,
    PlanSummary,
    ReoptimiseRequest,
    RoomOffer,
    RoutePath,
    RoutePublic,
    SplitVisitPublic,
    StopChange,
    StopPath,
    StopPublic,
    Unassigned,
    VroomProblem,
)
from equipment.planning.split_visits import split_visits
from equipment.schemas import Location, Problem
from equipment.vocabulary import Role
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db, get_engine
from equipment.web.local_time import service_tz

bp = APIBlueprint("api_plans", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="planning")])

PLANNERS = (Role.ADMIN, Role.COORDINATOR)
READERS = (Role.ADMIN, Role.COORDINATOR, Role.CLERK)
ERRORS = {401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


def _settings() -> dict:
    return current_app.config


def _osrm() -> str | None:
    return current_app.config.get("OSRM_URL") or None


def stop_public(sv: planning.StopView) -> StopPublic:
    s = sv.stop
    return StopPublic(
        id=s.id,
        sequence=s.sequence,
        order_refs=[o.ref for o in sv.orders],
        eta=s.eta,
        late=s.late,
        due_at=s.due_at,
        overdue=s.overdue,
        late_by_minutes=s.late_by_minutes,
        status=s.status,
        service_minutes=s.service_minutes,
        location=Location(lat=s.lat, lon=s.lon),
    )


def route_public(rv: planning.RouteView) -> RoutePublic:
    r = rv.route
    hours = (r.end_at - r.start_at).total_seconds() / 3600 if r.start_at and r.end_at else 0.0
    return RoutePublic(
        id=r.id,
        van=rv.van.reg,
        depot=rv.depot_code,
        driver=rv.driver.username if rv.driver else None,
        locked=r.locked,
        start_at=r.start_at,
        end_at=r.end_at,
        distance_km=round(r.distance_m / 1000, 1),
        hours=round(hours, 2),
        load=Load(volume=r.volume_loaded, capacity=rv.van.volume_capacity),
        loaded_at=r.loaded_at,
        stops=[stop_public(sv) for sv in rv.stops],
    )


def plan_summary(plan) -> PlanSummary:
    return PlanSummary(
        id=plan.id,
        date=plan.service_date,
        depots=plan.depots.split(),
        status=plan.status,
        progress=plan.progress,
        best_cost=plan.best_cost,
        error=plan.error,
        created_at=plan.created_at,
        finished_at=plan.finished_at,
        published_at=plan.published_at,
    )


def plan_public(view: planning.PlanView) -> PlanPublic:
    p = view.plan
    return PlanPublic(
        **plan_summary(p).model_dump(),
        started_at=p.started_at,
        seconds=p.seconds,
        job=p.job,
        late=view.late,
        overdue=view.overdue,
        routes=[route_public(rv) for rv in view.routes],
        unassigned=[Unassigned(order_ref=o.ref, reason=reason) for o, reason in view.unplanned],
        split_visits=[
            SplitVisitPublic(area=v.area, vans=v.vans, order_refs=v.order_refs, reason=v.reason)
            for v in split_visits(view)
        ],
    )


def _user_id() -> int:
    return current_principal().id


@bp.post("/plans", responses={202: PlanAccepted, **ERRORS})
@allow(*PLANNERS)
def create_plan(body: PlanCreate):
    """Plan a service day: answers 202 at once; poll GET /plans/{id} for progress. One plan of a
    day and depot set is queued or running at a time: another request answers 409 naming it."""
    session = get_db()
    seconds = body.seconds or float(current_app.config.get("PLAN_SECONDS", 30))
    jobs.clear_dead_plan(
        session, engine=get_engine(), service_date=body.date, depot_codes=body.depots, settings=_settings()
    )
    plan = planning.create_plan(
        session, service_date=body.date, depot_codes=body.depots, seconds=seconds, user_id=_user_id()
    )
    jobs.submit(engine=get_engine(), plan=plan, settings=_settings())
    return PlanAccepted(id=plan.id, status=plan.status).model_dump(mode="json"), 202


@bp.get("/plans", responses={200: PlanList, **ERRORS})
@allow(*READERS)
def list_plans(query: PlanListQuery):
    """Plans, newest first."""
    plans, total = planning.list_plans(get_db(), service_date=query.date, limit=query.limit, offset=query.offset)
    return PlanList(items=[plan_summary(p) for p in plans], total=total).model_dump(mode="json")


@bp.get("/plans/<int:id>", responses={200: PlanPublic, **ERRORS})
@allow(*READERS)
def get_plan(path: PlanPath):
    """Status, progress and best cost while solving; routes, stops and unassigned orders when done."""
    session = get_db()
    plan = planning.get_plan(session, path.id)
    jobs.check_alive(session, engine=get_engine(), plan=plan, settings=_settings())
    return plan_public(planning.plan_view(session, path.id)).model_dump(mode="json")


@bp.post("/plans/<int:id>/retry", responses={202: PlanAccepted, **ERRORS})
@allow(*PLANNERS)
def retry_plan(path: PlanPath):
    """Queue a failed plan again."""
    plan = planning.retry_plan(get_db(), plan_id=path.id, user_id=_user_id())
    jobs.submit(engine=get_engine(), plan=plan, settings=_settings())
    return PlanAccepted(id=plan.id, status=plan.status).model_dump(mode="json"), 202


@bp.post("/plans/<int:id>/publish", responses={200: PlanPublic, **ERRORS})
@allow(*PLANNERS)
def publish_plan(path: PlanPath):
    """Make the routes visible to drivers; the orders on them become planned."""
    session = get_db()
    planning.publish_plan(session, plan_id=path.id, user_id=_user_id())
    return plan_public(planning.plan_view(session, path.id)).model_dump(mode="json")


def _change(c: planning.StopChange) -> StopChange:
    return StopChange(
        stop_id=c.stop_id,
        van=c.van,
        order_refs=c.order_refs,
        eta=c.eta,
        previous_eta=c.old_eta,
        late=c.late,
        sequence=c.sequence,
    )


def _displaced(d) -> DisplacedStop:
    return DisplacedStop(
        stop_id=d.stop_id,
        order_refs=d.order_refs,
        due_at=d.due_at,
        brought_forward=d.brought_forward,
        misses_due=d.misses_due,
    )


def _offer(o: planning.RoomChoice) -> RoomOffer:
    return RoomOffer(
        van=o.van,
        displace=[d.stop_id for d in o.displaced],
        displaced=[_displaced(d) for d in o.displaced],
        stop=_change(o.stop),
        late_stops=[_change(c) for c in o.late_stops],
        made_late=o.made_late,
    )


@bp.post("/plans/<int:id>/insert", responses={200: InsertResult, **ERRORS})
@allow(*PLANNERS)
def insert_urgent(path: PlanPath, body: InsertRequest):
    """Insert an urgent order into the published routes without reordering their stops, aiming at
    its due time. When it fits nowhere, `offers` lists ways to make room: send one's `displace`
    to take it, or `decline: true` to make none."""
    if body.decline:
        planning.decline_urgent(get_db(), plan_id=path.id, order_ref=body.order_ref, user_id=_user_id())
        return InsertResult(
            inserted=False, dry_run=False, declined=True, stop=None, late_stops=[], displaced=[], offers=[]
        ).model_dump(mode="json")
    result = planning.insert_urgent(
        get_db(),
        plan_id=path.id,
        order_ref=body.order_ref,
        dry_run=body.dry_run,
        user_id=_user_id(),
        tz=service_tz(),
        osrm_url=_osrm(),
        displace=body.displace,
    )
    return InsertResult(
        inserted=result.inserted and not result.dry_run,
        dry_run=result.dry_run,
        stop=_change(result.stop) if result.stop else None,
        late_stops=[_change(c) for c in result.late_stops],
        displaced=[_displaced(d) for d in result.displaced],
        reason=result.reason,
        offers=[_offer(o) for o in result.offers],
    ).model_dump(mode="json")


@bp.post("/plans/<int:id>/stops/<int:stop_id>/move", responses={200: PlanPublic, **ERRORS})
@allow(*PLANNERS)
def move_stop(path: StopPath, body: MoveRequest):
    """Move a stop to another van (placed where it fits best; no route is reordered)."""
    session = get_db()
    planning.move_stop(
        session,
        plan_id=path.id,
        stop_id=path.stop_id,
        van_reg=body.van,
        user_id=_user_id(),
        tz=service_tz(),
        osrm_url=_osrm(),
    )
    return plan_public(planning.plan_view(session, path.id)).model_dump(mode="json")


@bp.post("/plans/<int:id>/routes/<int:route_id>/lock", responses={200: PlanPublic, **ERRORS})
@allow(*PLANNERS)
def lock_route(path: RoutePath, body: LockRequest):
    """Lock a route (re-optimising leaves it as it is) or unlock it."""
    session = get_db()
    planning.set_route_lock(session, plan_id=path.id, route_id=path.route_id, locked=body.locked, user_id=_user_id())
    return plan_public(planning.plan_view(session, path.id)).model_dump(mode="json")


@bp.post("/plans/<int:id>/reoptimise", responses={202: PlanAccepted, **ERRORS})
@allow(*PLANNERS)
def reoptimise(path: PlanPath, body: ReoptimiseRequest):
    """Solve again all but the locked routes (before publishing), off the request thread like
    planning a day: answers 202; poll GET /plans/{id} until it is done again."""
    plan = planning.queue_reoptimise(get_db(), plan_id=path.id, seconds=body.seconds, user_id=_user_id())
    jobs.submit(engine=get_engine(), plan=plan, settings=_settings())
    return PlanAccepted(id=plan.id, status=plan.status).model_dump(mode="json"), 202


@bp.get("/plans/<int:id>/problem", responses={200: VroomProblem, **ERRORS})
@allow(*PLANNERS)
def plan_problem(path: PlanPath):
    """The routing problem this plan was solved from, in VROOM's input format with our
    extensions (`deadline` on jobs, `pickups_after_deliveries` on vehicles): seconds of the
    service day from local midnight, amounts [volume, bed slots, hoist slots]."""
    return planning.plan_problem(get_db(), path.id)


@bp.post("/plans/<int:id>/routes/<int:route_id>/loaded", responses={200: PlanPublic, **ERRORS})
@allow(Role.ADMIN, Role.CLERK, Role.COORDINATOR)
def mark_loaded(path: RoutePath):
    """The van is loaded: its delivery lines move onto the van."""
    session = get_db()
    planning.mark_loaded(session, plan_id=path.id, route_id=path.route_id, user_id=_user_id())
    return plan_public(planning.plan_view(session, path.id)).model_dump(mode="json")
