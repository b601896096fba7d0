"""The planning problem as plain, validated, integer data (seconds, metres, units)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

INF_TIME = 10**12  # "no limit" for times; far below int64 limits even when summed


Window = tuple[int, int]
# The one route type of the router: a vehicle's steps in order, each ("task", task index)
# or ("break", index into the vehicle's breaks). Start and end are implied.
Step = tuple[str, int]
Route = list[Step]


@dataclass(frozen=True)
class Task:
    """One stop to serve: a job, or one half of a shipment."""

    kind: str  # "job", "pickup" or "delivery"
    id: int
    location: int  # index into the matrices
    setup: int
    service: int
    windows: tuple[Window, ...]
    delivery: tuple[int, ...]  # on board from the start until this stop (jobs only)
    pickup: tuple[int, ...]  # on board from this stop to the end (jobs only)
    amount: tuple[int, ...]  # shipment amount (pickup/delivery halves only)
    skills: frozenset[int]
    priority: int
    partner: int | None = None  # task index of the other half of a shipment
    coords: tuple[float, float] | None = None
    description: str | None = None
    deadline: int | None = None  # soft: latest service start that is on time

    def late_by(self, start: int) -> int:
        """Seconds after the deadline when service starts at `start` (0 when on time)."""
        return 0 if self.deadline is None else max(0, start - self.deadline)

    @property
    def delivers(self) -> bool:
        """Drops something off (a clean item): a job's delivery or a shipment's delivery."""
        if self.kind == "job":
            return any(self.delivery)
        return self.kind == "delivery" and any(self.amount)

    @property
    def picks_up(self) -> bool:
        """Takes something on board (a dirty item): a job's pickup or a shipment's pickup."""
        if self.kind == "job":
            return any(self.pickup)
        return self.kind == "pickup" and any(self.amount)

    @property
    def delta(self) -> tuple[int, ...]:
        """Change of the on-board load at this stop (deliveries are counted at the start)."""
        if self.kind == "job":
            return tuple(p - d for p, d in zip(self.pickup, self.delivery))
        if self.kind == "pickup":
            return self.amount
        return tuple(-a for a in self.amount)

    @property
    def duration(self) -> int:
        return self.setup + self.service


@dataclass(frozen=True)
class Break:
    id: int
    windows: tuple[Window, ...]
    service: int
    max_load: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Vehicle:
    id: int
    start: int  # location index (a virtual zero-distance location when not given)
    end: int
    capacity: tuple[int, ...]
    skills: frozenset[int]
    window: Window
    breaks: tuple[Break, ...] = ()
    max_tasks: int | None = None
    max_travel_time: int | None = None
    max_distance: int | None = None
    profile: str = "car"
    fixed: int = 0
    per_hour: int = 3600
    per_km: int = 0
    steps: tuple[tuple[str, int], ...] = ()  # given route: (type, id)
    start_coords: tuple[float, float] | None = None
    end_coords: tuple[float, float] | None = None
    has_start: bool = True
    has_end: bool = True
    pickups_after_deliveries: bool = False  # clean before dirty: no pickup before a delivery


@dataclass(frozen=True)
class Problem:
    tasks: tuple[Task, ...]
    vehicles: tuple[Vehicle, ...]
    durations: dict[str, np.ndarray]
    distances: dict[str, np.ndarray]
    costs: dict[str, np.ndarray] = field(default_factory=dict)
    dims: int = 0
    indices_given: bool = False  # the input used location_index (report it back)

    def cost_matrix(self, v: Vehicle) -> np.ndarray:
        """Per-vehicle arc costs: the profile's cost matrix, else per_hour/per_km rates."""
        if v.profile in self.costs:
            return self.costs[v.profile]
        dur = self.durations[v.profile]
        if v.per_km == 0 and v.per_hour == 3600:
            return dur
        cost = dur.astype(np.float64) * (v.per_hour / 3600.0)
        if v.per_km:
            cost += self.distances[v.profile].astype(np.float64) * (v.per_km / 1000.0)
        return np.rint(cost).astype(np.int64)

    def has_distances(self, profile: str) -> bool:
        return profile in self.distances

    @property
    def has_deadlines(self) -> bool:
        """Any deadline: the objective then counts lateness (VROOM_FORMAT.md)."""
        return any(t.deadline is not None for t in self.tasks)


def dirty_before_clean(p: Problem, route: list[Step]) -> int:
    """How many (pickup, later delivery) pairs the route has: 0 is clean before dirty."""
    pickups = pairs = 0
    for kind, i in route:
        if kind != "task":
            continue
        t = p.tasks[i]
        if t.delivers:
            pairs += pickups
        if t.picks_up:
            pickups += 1
    return pairs


def fits(amount: tuple[int, ...], capacity: tuple[int, ...]) -> bool:
    return all(a <= c for a, c in zip(amount, capacity))


def first_start(windows: tuple[Window, ...], t: int) -> int | None:
    """Earliest service start >= t inside one of the windows, or None."""
    for a, b in windows:
        if t <= b:
            return max(t, a)
    return None
