"""The driver's day on a phone: their own route only, outcomes that survive a weak signal, and a
printable run sheet."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlmodel import select

from equipment import deliveries
from equipment.errors import DomainError
from equipment.models import Depot
from equipment.vocabulary import CAUSE_LABELS, Role
from equipment.web import local_time
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db
from equipment.web.form_checks import form_day
from equipment.web.map_layers import tile_settings

bp = Blueprint("driver_pages", __name__, url_prefix="/driver")
FAIL_CHOICES = [(cause.value, CAUSE_LABELS[cause]) for cause in deliveries.FAIL_REASONS]


def _day() -> date:
    text = request.args.get("date", "")
    try:
        return form_day(text) if text else local_time.today()
    except ValueError:
        return local_time.today()


def _my_routes(day: date):
    """Only the signed-in driver's own van's published routes, and only today's (another day is 403)."""
    me = current_principal()
    return deliveries.routes_for_day(
        get_db(), service_date=day, viewer=deliveries.Actor(me.id, me.role, me.van_id), tz=local_time.service_tz()
    )


def _depots_of(routes) -> list[dict]:
    """Where the routes start and end, for the map."""
    codes = {r.depot for r in routes}
    if not codes:
        return []
    found = get_db().exec(select(Depot).where(Depot.code.in_(codes)).order_by(Depot.code))
    return [{"code": d.code, "name": d.name, "lat": d.lat, "lon": d.lon} for d in found]


def _map_data(routes) -> dict:
    return {
        **tile_settings(),
        "depots": _depots_of(routes),
        "routes": [
            {
                "van": r.van,
                "colour": "#0b5cad",
                "path": [[s.location.lat, s.location.lon] for s in r.stops],
                "stops": [
                    {
                        "id": s.id,
                        "seq": s.sequence,
                        "lat": s.location.lat,
                        "lon": s.location.lon,
                        "eta": local_time.local_text(s.eta),
                        "late": s.late,
                        "refs": s.order_refs,
                    }
                    for s in r.stops
                ],
            }
            for r in routes
        ],
    }


@bp.route("/today")
@allow(Role.DRIVER)
def today():
    """Today's route in visiting order, with what to do at each stop and the outcome buttons."""
    day = _day()
    routes = _my_routes(day)
    van_id = current_principal().van_id
    upcoming = None if routes else deliveries.next_published_day(get_db(), van_id=van_id, after=day)
    return render_template(
        "driver/today.html",
        day=day,
        routes=routes,
        upcoming=upcoming,
        fail_choices=FAIL_CHOICES,
        map_data=_map_data(routes),
        new_key=lambda: uuid.uuid4().hex,
    )


@bp.route("/run-sheet")
@allow(Role.DRIVER)
def run_sheet():
    """The day's route on paper: the fallback when the phone fails."""
    day = _day()
    return render_template("driver/run_sheet.html", day=day, routes=_my_routes(day))


def _visit_report() -> dict:
    """An inspection or recall visit's fields: each unit's result, the examiner, the acknowledgement."""
    results = [
        {"serial": name.removeprefix("result-")[:40], "result": value}
        for name, value in request.form.items()
        if name.startswith("result-") and value
    ]
    report: dict = {"inspections": results[:50]} if results else {}
    if request.form.get("examiner"):
        report["examiner"] = request.form["examiner"][:120]
    if request.form.get("acknowledged"):
        report["acknowledged"] = True
    return report


@bp.route("/stops/<int:stop_id>/outcome", methods=["POST"])
@allow(Role.DRIVER)
def record_outcome(stop_id: int):
    """The outcome form without JavaScript; the form's own key makes a double tap harmless."""
    me = current_principal()
    payload = {"status": request.form.get("status", "")}
    if request.form.get("reason"):
        payload["reason"] = request.form["reason"]
    if request.form.get("recipient"):
        payload["recipient"] = request.form["recipient"]
    serials = request.form.getlist("serials")
    if serials:
        payload["serials"] = serials
    payload.update(_visit_report())
    try:
        deliveries.record_outcome(
            get_db(),
            stop_id=stop_id,
            actor=deliveries.Actor(me.id, me.role, me.van_id),
            payload=payload,
            idempotency_key=(request.form.get("idempotency_key") or "")[:100] or None,
            method="POST",
            path=request.path,
            tz=local_time.service_tz(),
            attribution=local_time.attribution(),
        )
        flash("Saved.")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(f"Not saved: {exc.detail}")
    return redirect(url_for("driver_pages.today", date=request.form.get("date") or None) + f"#stop-{stop_id}")
