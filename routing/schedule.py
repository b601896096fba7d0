"""Timing of one route: earliest arrivals, waiting, loads, lateness (used for the output).

Two kinds of lateness: `lateness` is time past a hard window (only keep-order mode makes
any), `late_by` is time past a soft deadline (our extension, counted by the objective).
"""

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
    lateness: int = 0  # after the hard window's end
    late_by: int = 0  # service start after the task's deadline


@dataclass
class TimedRoute:
    vehicle: int
    steps: list[TimedStep] = field(default_factory=list)
    cost: int = 0
    lateness: int = 0  # total seconds after window ends (only in keep-order mode)
    overload: bool = False
    late: int = 0  # tasks served after their deadline
    late_by: int = 0  # their total seconds after it


def simulate(problem: Problem, v_idx: int, seq: Route) -> TimedRoute:
    """Earliest-start schedule of a route; the vehicle leaves as late as it usefully can."""
    v = problem.vehicles[v_idx]
    first = _forward(problem, v_idx, seq, v.window[0])
    if seq and seq[0][0] == "task" and first.steps[1].waiting > 0:
        # Leave later instead of waiting at the first stop.
        return _forward(problem, v_idx, seq, v.window[0] + first.steps[1].waiting)
    return first


def _forward(problem: Problem, v_idx: int, seq: Route, depart: int) -> TimedRoute:
    return _Drive(problem, v_idx, seq, depart).run(seq)


class _Drive:
    """One pass along a route from `depart`, appending timed steps as it goes."""

    def __init__(self, problem: Problem, v_idx: int, seq: Route, depart: int):
        self.p, self.v = problem, problem.vehicles[v_idx]
        v = self.v
        self.dur = problem.durations[v.profile]
        self.dist = problem.distances.get(v.profile)
        self.cost_m = problem.cost_matrix(v)
        self.load = [0] * problem.dims
        for kind, i in seq:
            task = problem.tasks[i] if kind == "task" else None
            if task is not None and task.kind == "job":
                for k, d in enumerate(task.delivery):
                    self.load[k] += d
        self.route = TimedRoute(vehicle=v_idx)
        self.route.overload = any(x > c for x, c in zip(self.load, v.capacity))
        self.t = depart
        self.travel = self.metres = 0
        self.cost = v.fixed if seq else 0
        self.prev = v.start
        self.pending: list[int] = []  # breaks to take on the next leg

    def run(self, seq: Route) -> TimedRoute:
        v, route = self.v, self.route
        route.steps.append(TimedStep("start", None, v.start, self.t, 0, 0, 0, 0, 0, tuple(self.load)))
        for kind, i in seq:
            if kind == "break":
                self.pending.append(i)
            else:
                self._task(i)
        self.t = self._leg(v.end)
        late = max(0, self.t - v.window[1])
        route.lateness += late
        route.steps.append(
            TimedStep("end", None, v.end, self.t, 0, 0, 0, self.travel, self.metres, tuple(self.load), late)
        )
        route.cost = self.cost
        return route

    def _leg(self, to: int) -> int:
        """Drive from the previous stop to `to`; returns the arrival time."""
        leg = int(self.dur[self.prev, to])
        arrival = self._breaks_on_leg(leg)
        self.travel += leg
        if self.dist is not None:
            self.metres += int(self.dist[self.prev, to])
        self.cost += int(self.cost_m[self.prev, to])
        return arrival

    def _breaks_on_leg(self, leg: int) -> int:
        """Drive a leg, taking the pending breaks on the way (or while waiting at its end)."""
        t_free, remaining = self.t, leg
        for b_idx in self.pending:
            b = self.v.breaks[b_idx]
            start = first_start(b.windows, t_free)
            late = 0
            if start is None:
                start, late = t_free, t_free - b.windows[-1][1]
            driven = min(remaining, start - t_free)
            remaining -= driven
            arrival = t_free + driven  # where the break begins, or the waiting before it
            self.route.steps.append(
                TimedStep(
                    "break",
                    b_idx,
                    None,
                    arrival,
                    start - arrival,
                    0,
                    b.service,
                    self.travel + leg - remaining,
                    self.metres,
                    tuple(self.load),
                    late,
                )
            )
            self.route.lateness += late
            t_free = start + b.service
        self.pending.clear()
        return t_free + remaining

    def _task(self, i: int) -> None:
        task, v = self.p.tasks[i], self.v
        arrival = self._leg(task.location)
        start = first_start(task.windows, arrival)
        late = 0
        if start is None:
            start, late = arrival, arrival - task.windows[-1][1]
        setup = task.setup if task.location != self.prev else 0
        for k, d in enumerate(task.delta):
            self.load[k] += d
        if any(x > c for x, c in zip(self.load, v.capacity)):
            self.route.overload = True
        self.route.steps.append(
            TimedStep(
                task.kind,
                i,
                task.location,
                arrival,
                start - arrival,
                setup,
                task.service,
                self.travel,
                self.metres,
                tuple(self.load),
                late,
                task.late_by(start),
            )
        )
        self.route.lateness += late
        self.route.late += task.late_by(start) > 0
        self.route.late_by += task.late_by(start)
        self.t = start + setup + task.service
        self.prev = task.location
