"""Timing of one route: earliest arrivals, waiting, loads, lateness (used for the output)."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.problem import Problem, Route, first_start


@dataclass
class TimedStep:
    type: str  # start, job, pickup, delivery, break, end
    index: int | None  # task or break index
    location: int | None
    arrival: int
    waiting: int
    setup: int
    service: int
    duration: int  # travel time so far
    distance: int  # distance so far
    load: tuple[int, ...]
    lateness: int = 0


@dataclass
class TimedRoute:
    vehicle: int
    steps: list[TimedStep] = field(default_factory=list)
    cost: int = 0
    lateness: int = 0  # total seconds after window ends (only in keep-order mode)
    overload: bool = False


def simulate(problem: Problem, v_idx: int, seq: Route) -> TimedRoute:
    """Earliest-start schedule of a route; the vehicle leaves as late as it usefully can."""
    v = problem.vehicles[v_idx]
    first = _forward(problem, v_idx, seq, v.window[0])
    if seq and seq[0][0] == "task" and first.steps[1].waiting > 0:
        # Leave later instead of waiting at the first stop.
        return _forward(problem, v_idx, seq, v.window[0] + first.steps[1].waiting)
    return first


def _forward(problem: Problem, v_idx: int, seq: Route, depart: int) -> TimedRoute:
    v = problem.vehicles[v_idx]
    dur = problem.durations[v.profile]
    dist = problem.distances.get(v.profile)
    cost_m = problem.cost_matrix(v)
    tasks = problem.tasks
    load = [0] * problem.dims
    for kind, i in seq:
        if kind == "task" and tasks[i].kind == "job":
            for k, d in enumerate(tasks[i].delivery):
                load[k] += d
    route = TimedRoute(vehicle=v_idx)
    route.overload = any(x > c for x, c in zip(load, v.capacity))
    t = depart
    travel = 0
    metres = 0
    cost = v.fixed if seq else 0
    prev = v.start
    route.steps.append(TimedStep("start", None, v.start, t, 0, 0, 0, 0, 0, tuple(load)))
    pending: list[int] = []

    def leg_with_breaks(t0: int, leg: int, travel0: int, metres0: int) -> int:
        """Drive a leg, taking the pending breaks on the way (or while waiting at its end)."""
        t_free, remaining = t0, leg
        for b_idx in pending:
            b = v.breaks[b_idx]
            start = first_start(b.windows, t_free)
            late = 0
            if start is None:
                start, late = t_free, t_free - b.windows[-1][1]
            driven = min(remaining, start - t_free)
            remaining -= driven
            arrival = (
                t_free + driven
            )  # where the break begins, or the waiting before it
            route.steps.append(
                TimedStep(
                    "break",
                    b_idx,
                    None,
                    arrival,
                    start - arrival,
                    0,
                    b.service,
                    travel0 + leg - remaining,
                    metres0,
                    tuple(load),
                    late,
                )
            )
            route.lateness += late
            t_free = start + b.service
        pending.clear()
        return t_free + remaining

    for kind, i in seq:
        if kind == "break":
            pending.append(i)
            continue
        task = tasks[i]
        leg = int(dur[prev, task.location])
        arrival = leg_with_breaks(t, leg, travel, metres)
        travel += leg
        if dist is not None:
            metres += int(dist[prev, task.location])
        cost += int(cost_m[prev, task.location])
        start = first_start(task.windows, arrival)
        late = 0
        if start is None:
            start, late = arrival, arrival - task.windows[-1][1]
        setup = task.setup if task.location != prev else 0
        for k, d in enumerate(task.delta):
            load[k] += d
        if any(x > c for x, c in zip(load, v.capacity)):
            route.overload = True
        route.steps.append(
            TimedStep(
                task.kind,
                i,
                task.location,
                arrival,
                start - arrival,
                setup,
                task.service,
                travel,
                metres,
                tuple(load),
                late,
            )
        )
        route.lateness += late
        t = start + setup + task.service
        prev = task.location
    leg = int(dur[prev, v.end])
    t = leg_with_breaks(t, leg, travel, metres)
    travel += leg
    if dist is not None:
        metres += int(dist[prev, v.end])
    cost += int(cost_m[prev, v.end])
    late = max(0, t - v.window[1])
    route.lateness += late
    route.steps.append(
        TimedStep("end", None, v.end, t, 0, 0, 0, travel, metres, tuple(load), late)
    )
    route.cost = cost
    return route
