"""A plan's life: created queued, run by a worker (read the day, solve with no transaction
open, store the solution), failed with a reason when its job dies, retried.

`solve` is the one door to the router: every solve in planning goes through it, never inside
a database transaction, so the application keeps writing while the router thinks."""

from __future__ import annotations

import gzip
import json
import logging
import time as clock
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypedDict

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

import routing
from equipment import audit
from equipment.db import new_session, use_case, utcnow
from equipment.errors import Conflict, Invalid, InvalidTransition, NotFound
from equipment.models import Order, Plan, PlanProblem, ServiceUser, Van
from equipment.planning.problem import BuiltProblem, build_day_problem, depots_for
from equipment.planning.store import store_solution
from equipment.planning.views import get_plan
from equipment.service_time import DEFAULT_TZ
from equipment.vocabulary import PlanStatus

log = logging.getLogger(__name__)

MAX_SECONDS = 600


class RouterOptions(TypedDict, total=False):
    """How a planning job runs the router (routing.solve_json's keywords of the same names)."""

    threads: int  # searches at once, one per core (ROUTER_THREADS)
    isolated: bool  # every search in another process (in a web process: its pages stay fast)


ACTIVE = (PlanStatus.QUEUED, PlanStatus.RUNNING)


def solve(problem: dict, *, seconds: float, session: Session | None = None, **options) -> dict:
    """Run the router on a VROOM problem. `session`, when given, must have no transaction open:
    a solve takes seconds, and on SQLite an open transaction holds the write lock."""
    if session is not None and session.in_transaction():
        raise RuntimeError("a solve must not run inside a database transaction")
    return routing.solve_json(problem, seconds=seconds, **options)


def depot_set(session: Session, depot_codes: list[str] | None) -> str:
    """The plan's depots as stored: codes in order, empty for all of them."""
    chosen = {d.code for d in depots_for(session, depot_codes)}
    every = {d.code for d in depots_for(session, None)}
    return "" if not depot_codes or chosen == every else " ".join(sorted(chosen))


def active_plan(session: Session, *, service_date: date, depots: str) -> Plan | None:
    """The queued or running plan of the day whose depots overlap `depots` (empty = all)."""
    mine = set(depots.split())
    for plan in session.exec(
        select(Plan).where(Plan.service_date == service_date, Plan.status.in_(ACTIVE)).order_by(Plan.id)
    ):
        theirs = set(plan.depots.split())
        if not mine or not theirs or mine & theirs:
            return plan
    return None


def _already_running(plan: Plan) -> Conflict:
    return Conflict(
        f"plan {plan.id} for {plan.service_date} ({plan.depots or 'all depots'}) is already {plan.status}; "
        "wait for it to finish"
    )


def create_plan(
    session: Session, *, service_date: date, depot_codes: list[str] | None, seconds: float, user_id: int | None
) -> Plan:
    """A queued plan for a day; the caller hands it to a worker (equipment.planning.runs). One
    plan of a day and depot set is queued or running at a time: another is a Conflict naming it."""
    try:
        return _create_plan(
            session, service_date=service_date, depot_codes=depot_codes, seconds=seconds, user_id=user_id
        )
    except IntegrityError:
        # Another request queued the same day and depots a moment ago (the unique index said so).
        other = active_plan(session, service_date=service_date, depots=depot_set(session, depot_codes))
        session.rollback()
        if other is None:
            raise
        raise _already_running(other) from None


@use_case
def _create_plan(
    session: Session, *, service_date: date, depot_codes: list[str] | None, seconds: float, user_id: int | None
) -> Plan:
    if not 0 < seconds <= MAX_SECONDS:
        raise Invalid(f"seconds must be between 0 and {MAX_SECONDS}", field="seconds")
    depots = depot_set(session, depot_codes)
    other = active_plan(session, service_date=service_date, depots=depots)
    if other is not None:
        raise _already_running(other)
    plan = Plan(service_date=service_date, depots=depots, seconds=float(seconds), created_by=user_id)
    session.add(plan)
    session.flush()
    audit.record(
        session,
        user_id=user_id,
        action="plan_requested",
        entity="plan",
        entity_id=plan.id,
        detail=f"{service_date} {plan.depots or 'all depots'}",
    )
    return plan


@use_case
def retry_plan(session: Session, *, plan_id: int, user_id: int | None) -> Plan:
    """Queue a failed plan again."""
    plan = get_plan(session, plan_id)
    if plan.status != PlanStatus.FAILED:
        raise InvalidTransition(f"plan {plan.id} is {plan.status}; only a failed plan can be retried")
    other = active_plan(session, service_date=plan.service_date, depots=plan.depots)
    if other is not None:
        raise _already_running(other)
    plan.job = "plan"
    plan.status, plan.error, plan.progress, plan.best_cost = PlanStatus.QUEUED, "", 0.0, None
    plan.started_at = plan.finished_at = None
    session.add(plan)
    audit.record(session, user_id=user_id, action="plan_retried", entity="plan", entity_id=plan.id)
    return plan


def mark_failed(engine: Engine, plan_id: int, reason: str) -> None:
    """Record that a planning job died, with why; it may be retried."""
    with new_session(engine) as session:
        _mark_failed(session, plan_id, reason)


@use_case
def _mark_failed(session: Session, plan_id: int, reason: str) -> None:
    plan = session.get(Plan, plan_id)
    if plan is None or plan.status == PlanStatus.DONE:
        return
    give_up(plan, reason)
    session.add(plan)


def give_up(plan: Plan, reason: str) -> None:
    """A job that died: a plan fails; a re-optimisation leaves the plan as it was, saying why."""
    if plan.job == "reoptimise":
        plan.status, plan.job, plan.error = PlanStatus.DONE, "plan", f"re-optimising failed: {reason}"[:1000]
    else:
        plan.status, plan.error = PlanStatus.FAILED, reason[:1000]
    plan.finished_at = utcnow()


@use_case
def fail_if_stale(session: Session, plan: Plan, *, grace_s: float = 120.0, worker_alive: bool | None = None) -> Plan:
    """A plan still running long after its time budget (or whose worker is gone) has died."""
    if plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        return plan
    now = utcnow()
    reason = None
    if worker_alive is False:
        reason = "the planning worker stopped before finishing"
    elif (
        plan.status == PlanStatus.RUNNING
        and plan.started_at
        and now - plan.started_at > timedelta(seconds=(plan.job_seconds or plan.seconds) * 2 + grace_s)
    ):
        reason = "the planning job ran far past its time budget and was presumed dead"
    if reason:
        give_up(plan, reason)
        session.add(plan)
    return plan


# ---------------------------------------------------------------------------- running a plan


def run_plan(
    engine: Engine,
    plan_id: int,
    *,
    tz: str = DEFAULT_TZ,
    osrm_url: str | None = None,
    seed: int = 0,
    deadlines: bool = True,
    overdue_at_start: bool = True,
    router: RouterOptions | None = None,
) -> dict[str, float]:
    """Solve a queued plan and store it. Runs in a worker; short transactions only, so that the
    application keeps writing while the router thinks. `router`: solve_json's threads and
    isolated. Returns seconds spent per phase."""
    t0 = clock.monotonic()
    with new_session(engine) as session:
        plan = start_running(session, plan_id)
        if plan is None:
            return {}
        built = _read_day_problem(
            session, plan, tz=tz, osrm_url=osrm_url, deadlines=deadlines, overdue_at_start=overdue_at_start
        )
        seconds = plan.seconds
    t1 = clock.monotonic()
    if built.problem["jobs"] and built.problem["vehicles"]:
        output = solve(
            built.problem, seconds=seconds, seed=seed, on_progress=progress_writer(engine, plan_id), **(router or {})
        )
    else:
        output = {
            "routes": [],
            "unassigned": [{"id": j["id"], "reason": "no van on shift"} for j in built.problem["jobs"]],
            "summary": {"cost": 0},
        }
    t2 = clock.monotonic()
    with new_session(engine) as session:
        _store_run(session, plan_id, built, output)
    timings = {"build_s": t1 - t0, "solve_s": t2 - t1, "store_s": clock.monotonic() - t2}
    log.info(
        "plan %s: %d jobs, built in %.1fs, solved in %.1fs, stored in %.1fs",
        plan_id,
        len(built.jobs),
        timings["build_s"],
        timings["solve_s"],
        timings["store_s"],
    )
    return timings


@use_case
def start_running(session: Session, plan_id: int) -> Plan | None:
    """Mark a queued (or re-run) plan running; None when it is no longer waiting to run."""
    plan = get_plan(session, plan_id)
    if plan.status not in (PlanStatus.QUEUED, PlanStatus.RUNNING):
        return None
    plan.status, plan.started_at, plan.progress, plan.error = PlanStatus.RUNNING, utcnow(), 0.0, ""
    session.add(plan)
    return plan


@use_case
def _read_day_problem(
    session: Session, plan: Plan, *, tz: str, osrm_url: str | None, deadlines: bool, overdue_at_start: bool
) -> BuiltProblem:
    """The plan's day as a routing problem, read in one transaction that ends before the solve."""
    return build_day_problem(
        session,
        service_date=plan.service_date,
        depot_codes=plan.depots.split() or None,
        tz=tz,
        osrm_url=osrm_url,
        deadlines=deadlines,
        overdue_at_start=overdue_at_start,
    )


@use_case
def _store_run(session: Session, plan_id: int, built: BuiltProblem, output: dict) -> None:
    plan = get_plan(session, plan_id)
    _reattach(session, built)
    store_solution(session, plan, built, output)
    plan.status, plan.progress, plan.finished_at = PlanStatus.DONE, 1.0, utcnow()
    plan.best_cost = int(output.get("summary", {}).get("cost", 0))
    session.add(plan)
    keep_problem(session, plan.id, built.problem)


def keep_problem(session: Session, plan_id: int, problem: dict) -> None:
    """Keep the problem a plan was solved from (GET /plans/{id}/problem), gzipped."""
    body = gzip.compress(json.dumps(problem, separators=(",", ":")).encode(), compresslevel=6)
    row = session.get(PlanProblem, plan_id)
    if row is None:
        row = PlanProblem(plan_id=plan_id, body=body)
    row.body, row.created_at = body, utcnow()
    session.add(row)


def plan_problem(session: Session, plan_id: int) -> dict:
    """The routing problem a plan was solved from, as VROOM JSON."""
    plan = get_plan(session, plan_id)
    row = session.get(PlanProblem, plan.id)
    if row is None:
        raise NotFound(f"plan {plan.id} has no routing problem yet (it is {plan.status})")
    return json.loads(gzip.decompress(row.body))


def progress_writer(engine: Engine, plan_id: int) -> Callable[[float, int], None]:
    last = [0.0]

    def write(fraction: float, best_cost: int) -> None:
        now = clock.monotonic()
        if now - last[0] < 0.5 and fraction < 1:
            return
        last[0] = now
        try:
            with new_session(engine) as session:
                _record_progress(session, plan_id, fraction, best_cost)
        except OperationalError as exc:  # busy database: the next call (or the stored plan) says it
            log.warning("progress of plan %s not recorded this time: %s", plan_id, type(exc).__name__)
        except Exception:  # progress is a courtesy; never let it kill the solve
            log.exception("could not record progress of plan %s", plan_id)

    return write


@use_case
def _record_progress(session: Session, plan_id: int, fraction: float, best_cost: int | None) -> None:
    plan = session.get(Plan, plan_id)
    if plan is not None:
        plan.progress = round(min(max(fraction, 0.0), 0.99), 3)
        # The router's cost counts dropped jobs as huge penalties while it is still placing them.
        if best_cost is not None and 0 <= best_cost < 2**31:
            plan.best_cost = int(best_cost)
        session.add(plan)


def _reattach(session: Session, built: BuiltProblem) -> None:
    """Swap the problem's rows for this session's copies (they were read in another one)."""

    def load(model, ids) -> dict:
        ids, rows = list(set(ids)), {}
        for n in range(0, len(ids), 500):
            rows.update({r.id: r for r in session.exec(select(model).where(model.id.in_(ids[n : n + 500])))})
        return rows

    orders = load(
        Order, [o.id for info in built.jobs.values() for o in info.orders] + [o.id for o, _, _ in built.skipped]
    )
    people = load(ServiceUser, [info.service_user.id for info in built.jobs.values()])
    vans = load(Van, list(built.vans))
    for info in built.jobs.values():
        info.orders = [orders[o.id] for o in info.orders]
        info.service_user = people[info.service_user.id]
    built.vans = {k: vans[k] for k in built.vans}
    built.skipped = [(orders[o.id], r, c) for o, r, c in built.skipped]


def plan_day_now(
    engine: Engine,
    *,
    service_date: date,
    depot_codes: list[str] | None,
    seconds: float,
    user_id: int | None = None,
    tz: str = DEFAULT_TZ,
    osrm_url: str | None = None,
) -> int:
    """Create and run a plan in this thread (CLI, benchmark); returns its id."""
    with new_session(engine) as session:
        plan = create_plan(
            session, service_date=service_date, depot_codes=depot_codes, seconds=seconds, user_id=user_id
        )
        plan_id = plan.id
    run_plan(engine, plan_id, tz=tz, osrm_url=osrm_url)
    return plan_id
