"""Coordinators plan the day and review it on a map; clerks load the vans."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from sqlmodel import select
from xstatic.pkg import leaflet

from equipment import planning
from equipment.errors import DomainError
from equipment.models import Depot, Van
from equipment.planning import runs as jobs
from equipment.planning.problem import vans_on_shift
from equipment.planning.split_visits import split_visits
from equipment.vocabulary import Role
from equipment.web.access import ALL_ROLES, allow, current_principal
from equipment.web.database import get_db, get_engine
from equipment.web.form_checks import form_day
from equipment.web.local_time import local_text, service_tz, today
from equipment.web.map_layers import tile_settings

bp = Blueprint("planning_pages", __name__)
PLANNERS = (Role.ADMIN, Role.COORDINATOR)
LOADERS = (Role.ADMIN, Role.CLERK, Role.COORDINATOR)
ROUTE_COLOURS = [
    "#0b5cad",
    "#b3261e",
    "#1e7b34",
    "#9a6700",
    "#6a3d9a",
    "#00838f",
    "#c2185b",
    "#5d4037",
    "#33691e",
    "#283593",
]


@bp.app_template_filter("local_time")
def local_time_filter(moment: datetime | None, fmt: str = "%H:%M") -> str:
    return local_text(moment, fmt)


@bp.route("/vendor/leaflet/<path:filename>")
@allow(*ALL_ROLES)
def leaflet_asset(filename: str):
    """Leaflet's files straight from the xstatic-leaflet package."""
    return send_from_directory(leaflet.BASE_DIR, filename, max_age=86400)


@bp.route("/plans", methods=["GET", "POST"])
@allow(*PLANNERS)
def plans():
    """Recent plans and the form to plan a day."""
    session = get_db()
    depots = list(session.exec(select(Depot).order_by(Depot.code)))
    errors: dict[str, str] = {}
    form = {
        "date": (today() + timedelta(days=1)).isoformat(),
        "seconds": str(int(current_app.config.get("PLAN_SECONDS", 30))),
    }
    if request.method == "POST":
        form = {"date": request.form.get("date", ""), "seconds": request.form.get("seconds", "")}
        chosen = request.form.getlist("depots")
        try:
            day = form_day(form["date"])
        except ValueError as exc:
            errors["date"] = str(exc)
        try:
            seconds = float(form["seconds"] or current_app.config.get("PLAN_SECONDS", 30))
        except ValueError:
            errors["seconds"] = "Give a number of seconds."
        if not errors:
            try:
                jobs.clear_dead_plan(
                    session,
                    engine=get_engine(),
                    service_date=day,
                    depot_codes=chosen or None,
                    settings=current_app.config,
                )
                plan = planning.create_plan(
                    session,
                    service_date=day,
                    depot_codes=chosen or None,
                    seconds=seconds,
                    user_id=current_principal().id,
                )
                jobs.submit(engine=get_engine(), plan=plan, settings=current_app.config)
                return redirect(url_for("planning_pages.plan", plan_id=plan.id))
            except DomainError as exc:
                errors[exc.field or "date"] = exc.detail
    recent, _ = planning.list_plans(session, limit=30)
    return render_template("planning/plans.html", plans=recent, depots=depots, form=form, errors=errors), (
        422 if errors else 200
    )


def _map_data(view: planning.PlanView, depots: list[Depot]) -> dict:
    routes = []
    for n, rv in enumerate(view.routes):
        depot = next((d for d in depots if d.id == rv.van.depot_id), None)
        path = [[depot.lat, depot.lon]] if depot else []
        path += [[sv.stop.lat, sv.stop.lon] for sv in rv.stops]
        path += [[depot.lat, depot.lon]] if depot else []
        routes.append(
            {
                "van": rv.van.reg,
                "colour": ROUTE_COLOURS[n % len(ROUTE_COLOURS)],
                "path": path,
                "stops": [
                    {
                        "id": sv.stop.id,
                        "seq": sv.stop.sequence,
                        "lat": sv.stop.lat,
                        "lon": sv.stop.lon,
                        "eta": local_text(sv.stop.eta),
                        "late": sv.stop.late,
                        "refs": [o.ref for o in sv.orders],
                    }
                    for sv in rv.stops
                ],
            }
        )
    return {
        **tile_settings(),
        "depots": [{"code": d.code, "name": d.name, "lat": d.lat, "lon": d.lon} for d in depots],
        "routes": routes,
        "legend": True,
    }


@bp.route("/plans/<int:plan_id>")
@allow(*PLANNERS)
def plan(plan_id: int):
    """Review a plan: map, routes with stops and ETAs, load and hours, lateness, unplanned orders."""
    session = get_db()
    plan_row = planning.get_plan(session, plan_id)
    jobs.check_alive(session, engine=get_engine(), plan=plan_row, settings=current_app.config)
    view = planning.plan_view(session, plan_id)
    codes = view.plan.depots.split()
    depots = [d for d in session.exec(select(Depot).order_by(Depot.code)) if not codes or d.code in codes]
    vans = vans_on_shift(session, [d.id for d in depots], view.plan.service_date) if view.plan.status == "done" else []
    preview = request.args.get("preview")
    insertion = None
    if preview and view.plan.published_at:
        try:
            insertion = planning.insert_urgent(
                session,
                plan_id=plan_id,
                order_ref=preview,
                dry_run=True,
                user_id=current_principal().id,
                tz=service_tz(),
                osrm_url=current_app.config.get("OSRM_URL") or None,
            )
        except DomainError as exc:
            flash(f"{preview}: {exc.detail}")
    stats = {
        "vans": len(view.routes),
        "stops": sum(len(rv.stops) for rv in view.routes),
        "late": view.late,
        "overdue": view.overdue,
        "unplanned": len(view.unplanned),
        "km": round(sum(rv.route.distance_m for rv in view.routes) / 1000),
        "driving_hours": round(sum(rv.route.travel_s for rv in view.routes) / 3600, 1),
    }
    return render_template(
        "planning/plan.html",
        view=view,
        vans=vans,
        map_data=_map_data(view, depots),
        stats=stats,
        colours=ROUTE_COLOURS,
        insertion=insertion,
        preview=preview,
        waiting=planning.urgent_waiting(session, view.plan, [d.id for d in depots], tz=service_tz())
        if view.plan.published_at
        else [],
        split_visits=split_visits(view) if view.plan.status == "done" else [],
    )


def _act(plan_id: int, action, done: str):
    try:
        action()
        flash(done)
    except DomainError as exc:
        flash(exc.detail)
    return redirect(url_for("planning_pages.plan", plan_id=plan_id))


def _int_field(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400)


@bp.route("/plans/<int:plan_id>/publish", methods=["POST"])
@allow(*PLANNERS)
def publish(plan_id: int):
    return _act(
        plan_id,
        lambda: planning.publish_plan(get_db(), plan_id=plan_id, user_id=current_principal().id),
        "Published: drivers can see their routes.",
    )


@bp.route("/plans/<int:plan_id>/replace", methods=["POST"])
@allow(*PLANNERS)
def replace(plan_id: int):
    """Withdraw a published plan no outcome is recorded on and plan the day again."""
    seconds = float(current_app.config.get("PLAN_SECONDS", 30))
    try:
        new = planning.replace_plan(get_db(), plan_id=plan_id, seconds=seconds, user_id=current_principal().id)
    except DomainError as exc:
        flash(exc.detail)
        return redirect(url_for("planning_pages.plan", plan_id=plan_id))
    jobs.submit(engine=get_engine(), plan=new, settings=current_app.config)
    flash(f"Plan {plan_id} withdrawn from the drivers; planning the day again as plan {new.id}.")
    return redirect(url_for("planning_pages.plan", plan_id=new.id))


@bp.route("/plans/<int:plan_id>/retry", methods=["POST"])
@allow(*PLANNERS)
def retry(plan_id: int):
    def run():
        p = planning.retry_plan(get_db(), plan_id=plan_id, user_id=current_principal().id)
        jobs.submit(engine=get_engine(), plan=p, settings=current_app.config)

    return _act(plan_id, run, "Planning again.")


@bp.route("/plans/<int:plan_id>/move", methods=["POST"])
@allow(*PLANNERS)
def move(plan_id: int):
    stop_id, van = _int_field("stop_id"), request.form.get("van", "")
    return _act(
        plan_id,
        lambda: planning.move_stop(
            get_db(), plan_id=plan_id, stop_id=stop_id, van_reg=van, user_id=current_principal().id, tz=service_tz()
        ),
        f"Stop moved to {van}.",
    )


@bp.route("/plans/<int:plan_id>/lock", methods=["POST"])
@allow(*PLANNERS)
def lock(plan_id: int):
    route_id, locked = _int_field("route_id"), request.form.get("locked") == "1"
    return _act(
        plan_id,
        lambda: planning.set_route_lock(
            get_db(), plan_id=plan_id, route_id=route_id, locked=locked, user_id=current_principal().id
        ),
        "Route locked." if locked else "Route unlocked.",
    )


@bp.route("/plans/<int:plan_id>/reoptimise", methods=["POST"])
@allow(*PLANNERS)
def reoptimise(plan_id: int):
    def run():
        p = planning.queue_reoptimise(get_db(), plan_id=plan_id, seconds=5, user_id=current_principal().id)
        jobs.submit(engine=get_engine(), plan=p, settings=current_app.config)

    return _act(plan_id, run, "Re-optimising the unlocked routes.")


@bp.route("/plans/<int:plan_id>/insert", methods=["POST"])
@allow(*PLANNERS)
def insert(plan_id: int):
    ref = request.form.get("order_ref", "").strip().upper()
    if request.form.get("decline") == "1":
        return _act(
            plan_id,
            lambda: planning.decline_urgent(get_db(), plan_id=plan_id, order_ref=ref, user_id=current_principal().id),
            f"{ref}: no room made. It stays ready to be planned, with its predicted delay.",
        )
    if request.form.get("confirm") != "1":
        return redirect(url_for("planning_pages.plan", plan_id=plan_id, preview=ref))
    try:
        displace = [int(v) for v in request.form.getlist("displace")] or None
    except ValueError:
        abort(400)
    try:
        result = planning.insert_urgent(
            get_db(),
            plan_id=plan_id,
            order_ref=ref,
            dry_run=False,
            user_id=current_principal().id,
            tz=service_tz(),
            displace=displace,
        )
    except DomainError as exc:
        flash(f"{ref}: {exc.detail}")
        return redirect(url_for("planning_pages.plan", plan_id=plan_id, preview=ref))
    if not result.inserted:
        flash(f"{ref} fits in no route as things stand: {result.reason}")
        return redirect(url_for("planning_pages.plan", plan_id=plan_id, preview=ref))
    given_up = [r for d in result.displaced for r in d.order_refs]
    flash(f"{ref} inserted." + (f" Back to be planned: {', '.join(given_up)}." if given_up else ""))
    return redirect(url_for("planning_pages.plan", plan_id=plan_id))


@bp.route("/load-lists")
@allow(*LOADERS)
def load_lists():
    """Per van: what to load and which serials, for a day's published plan."""
    session = get_db()
    try:
        day = form_day(request.args.get("date", "")) if request.args.get("date") else None
    except ValueError:
        day = None
    # Without a day asked for: tomorrow's, or today's while tomorrow has nothing published.
    candidates = [day] if day else [today() + timedelta(days=1), today()]
    for candidate in candidates:
        lists = _published_load_lists(session, candidate)
        if lists:
            return render_template("planning/load_lists.html", day=candidate, lists=lists)
    return render_template("planning/load_lists.html", day=candidates[0], lists=[])


def _published_load_lists(session, day: date) -> list:
    plans_of_day, _ = planning.list_plans(session, service_date=day)
    return [entry for p in plans_of_day if p.published_at is not None for entry in planning.load_list(session, p.id)]


@bp.route("/load-lists/<int:route_id>/loaded", methods=["POST"])
@allow(*LOADERS)
def mark_loaded(route_id: int):
    day = request.form.get("date", "")
    try:
        route = planning.mark_loaded(get_db(), route_id=route_id, user_id=current_principal().id)
        van = get_db().get(Van, route.van_id)
        flash(f"{van.reg} marked loaded.")
    except DomainError as exc:
        flash(exc.detail)
    return redirect(url_for("planning_pages.load_lists", date=day))
