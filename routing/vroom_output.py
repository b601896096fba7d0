"""Timed routes -> VROOM's output document (with our `reason` on unassigned tasks)."""

from __future__ import annotations

from routing.problem import Problem
from routing.schedule import TimedRoute, TimedStep

TOTALS = ("cost", "setup", "service", "duration", "waiting_time", "priority", "distance")


def format_solution(
    problem: Problem, routes: list[TimedRoute], unassigned: list[tuple[int, str]], *, computing_ms: int = 0
) -> dict:
    """Build VROOM's output document from timed routes and (task index, reason) pairs."""
    dims = problem.dims
    out_routes = [_route(problem, r) for r in routes]
    total = {key: sum(r.get(key, 0) for r in out_routes) for key in TOTALS}
    lateness = sum(r.lateness for r in routes)
    late = sum(r.late for r in routes)
    late_by = sum(r.late_by for r in routes)
    summary = {
        "cost": total["cost"],
        "routes": len(out_routes),
        "unassigned": len(unassigned),
        "setup": total["setup"],
        "service": total["service"],
        "duration": total["duration"],
        "waiting_time": total["waiting_time"],
        "priority": total["priority"],
        "late": late,
        "lateness": late_by,
        "delivery": _sum_lists((r["delivery"] for r in out_routes), dims),
        "pickup": _sum_lists((r["pickup"] for r in out_routes), dims),
        "violations": [{"cause": "delay", "duration": lateness}] if lateness else [],
        "computing_times": {"loading": 0, "solving": computing_ms, "routing": 0},
    }
    if any(problem.has_distances(problem.vehicles[r.vehicle].profile) for r in routes):
        summary["distance"] = total["distance"]
    return {
        "code": 0,
        "summary": summary,
        "unassigned": [_unassigned(problem, i, why) for i, why in unassigned],
        "routes": out_routes,
    }


def _sum_lists(lists, dims: int) -> list[int]:
    out = [0] * dims
    for x in lists:
        out = [a + b for a, b in zip(out, x)]
    return out


def _route(problem: Problem, r: TimedRoute) -> dict:
    v = problem.vehicles[r.vehicle]
    has_dist = problem.has_distances(v.profile)
    steps = [_step(problem, r.vehicle, s, has_dist) for s in r.steps]
    tasks = [problem.tasks[s.index] for s in r.steps if s.type not in _NOT_TASKS]
    route = {
        "vehicle": v.id,
        "cost": r.cost,
        "setup": sum(s.setup for s in r.steps),
        "service": sum(s.service for s in r.steps),
        "duration": r.steps[-1].duration,
        "waiting_time": sum(s.waiting for s in r.steps),
        "priority": sum(t.priority for t in tasks),
        "late": r.late,
        "lateness": r.late_by,
        "delivery": _sum_lists(
            [t.delivery if t.kind == "job" else t.amount for t in tasks if t.kind != "pickup"], problem.dims
        ),
        "pickup": _sum_lists(
            [t.pickup if t.kind == "job" else t.amount for t in tasks if t.kind != "delivery"], problem.dims
        ),
        "steps": steps,
    }
    if has_dist:
        route["distance"] = r.steps[-1].distance
    route["violations"] = [{"cause": "delay", "duration": r.lateness}] if r.lateness else []
    return route


_NOT_TASKS = ("start", "end", "break")


def _step(problem: Problem, vehicle: int, s: TimedStep, has_dist: bool) -> dict:
    v = problem.vehicles[vehicle]
    step: dict = {"type": s.type}
    if s.type not in _NOT_TASKS:
        task = problem.tasks[s.index]
        step["id"] = task.id
        step["late_by"] = s.late_by
        if task.description:
            step["description"] = task.description
        _put_location(step, problem, s.location, task.coords)
    elif s.type == "break":
        step["id"] = v.breaks[s.index].id
    elif s.type == "start" and v.has_start:
        _put_location(step, problem, s.location, v.start_coords)
    elif s.type == "end" and v.has_end:
        _put_location(step, problem, s.location, v.end_coords)
    step.update(
        setup=s.setup,
        service=s.service,
        waiting_time=s.waiting,
        load=list(s.load),
        arrival=s.arrival,
        duration=s.duration,
    )
    if has_dist:
        step["distance"] = s.distance
    if s.lateness:
        step["violations"] = [{"cause": "delay", "duration": s.lateness}]
    return step


def _unassigned(problem: Problem, i: int, reason: str) -> dict:
    task = problem.tasks[i]
    u: dict = {"id": task.id, "type": task.kind}
    _put_location(u, problem, task.location, task.coords)
    if task.description:
        u["description"] = task.description
    u["reason"] = reason
    return u


def _put_location(step: dict, problem: Problem, index: int | None, coords) -> None:
    if coords is not None:
        step["location"] = list(coords)
    if problem.indices_given and index is not None:
        step["location_index"] = index
