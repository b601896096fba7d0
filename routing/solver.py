"""OR-Tools model and search (the only module that imports ortools)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.problem import INF_TIME, Problem, Route

FINALIZE_CUMULS = True


class Model:
    """The routing model of a problem, for the tasks allowed on some vehicle."""

    def __init__(self, problem: Problem, allowed: list[set[int]]):
        self.p = problem
        self._nodes(allowed)
        self._arc_costs()
        self._time()
        self._breaks()
        for k in range(problem.dims):
            self._capacity(k)
        self._limits()
        self._skills(allowed)
        self._shipments()
        self._clean_before_dirty()
        self._penalties()

    def _nodes(self, allowed: list[set[int]]) -> None:
        """One node per task allowed somewhere, then one per depot location."""
        problem = self.p
        tasks, vehs = problem.tasks, problem.vehicles
        self.task_nodes = [i for i in range(len(tasks)) if allowed[i]]
        self.node_of_task = {t: n for n, t in enumerate(self.task_nodes)}
        N, V = len(self.task_nodes), len(vehs)
        self.N, self.V = N, V
        # Vehicles share depot nodes: identical vehicles then form one vehicle class,
        # which OR-Tools' operators exploit (no symmetric moves between empty vans).
        depots = sorted({v.start for v in vehs} | {v.end for v in vehs})
        depot_node = {d: N + k for k, d in enumerate(depots)}
        self.loc = np.array([tasks[t].location for t in self.task_nodes] + depots, dtype=np.int64)
        self.node_dur = np.zeros(len(self.loc), dtype=np.int64)
        self.node_dur[:N] = [tasks[t].setup + tasks[t].service for t in self.task_nodes]
        starts = [depot_node[v.start] for v in vehs]
        ends = [depot_node[v.end] for v in vehs]
        self.manager = pywrapcp.RoutingIndexManager(len(self.loc), V, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)

    def _node_matrix(self, mat: np.ndarray) -> list[list[int]]:
        return mat[np.ix_(self.loc, self.loc)].tolist()

    def _arc_costs(self) -> None:
        """Arc costs, shared between vehicles with the same cost matrix; fixed costs."""
        r, vehs = self.routing, self.p.vehicles
        cost_cache: dict[tuple, int] = {}
        self.bound = 1
        for vi, v in enumerate(vehs):
            key = (v.profile, v.per_hour, v.per_km)
            if key not in cost_cache:
                cm = self.p.cost_matrix(v)[np.ix_(self.loc, self.loc)]
                self.bound = max(self.bound, int(cm.max(axis=1).sum()) + 1)
                cost_cache[key] = r.RegisterTransitMatrix(cm.tolist())
            r.SetArcCostEvaluatorOfVehicle(cost_cache[key], vi)
            if v.fixed:
                r.SetFixedCostOfVehicle(v.fixed, vi)
        self.bound += sum(v.fixed for v in vehs)

    def _time(self) -> None:
        """Time: service (with setup) at the origin plus the drive; windows and shifts."""
        problem, r, m = self.p, self.routing, self.manager
        tasks, vehs = problem.tasks, problem.vehicles
        dur = self.node_dur
        horizon = max(
            [w[1] for v in vehs for w in [v.window] if w[1] < INF_TIME]
            + [w[1] for t in tasks for w in t.windows if w[1] < INF_TIME]
            + [b.windows[-1][1] for v in vehs for b in v.breaks if b.windows[-1][1] < INF_TIME]
            + [0]
        )
        time_cache: dict[str, int] = {}
        for v in vehs:
            if v.profile not in time_cache:
                tm = problem.durations[v.profile][np.ix_(self.loc, self.loc)]
                time_cache[v.profile] = r.RegisterTransitMatrix((tm + dur[:, None]).tolist())
        total_work = int(dur.sum()) + sum(int(problem.durations[p].max()) for p in time_cache) * (self.N + 1)
        self.horizon = horizon = min(INF_TIME, horizon + total_work + 1)
        r.AddDimensionWithVehicleTransits([time_cache[v.profile] for v in vehs], horizon, horizon, False, "time")
        self.time = time_dim = r.GetDimensionOrDie("time")
        for n, t in enumerate(self.task_nodes):
            w = tasks[t].windows
            var = time_dim.CumulVar(m.NodeToIndex(n))
            var.SetRange(w[0][0], min(w[-1][1], horizon))
            for (_a1, b1), (a2, _b2) in itertools.pairwise(w):
                var.RemoveInterval(b1 + 1, a2 - 1)
        for vi, v in enumerate(vehs):
            lo, hi = v.window[0], min(v.window[1], horizon)
            time_dim.CumulVar(r.Start(vi)).SetRange(lo, hi)
            time_dim.CumulVar(r.End(vi)).SetRange(lo, hi)
            r.AddVariableMinimizedByFinalizer(time_dim.CumulVar(r.Start(vi)))
            r.AddVariableMinimizedByFinalizer(time_dim.CumulVar(r.End(vi)))

    def _breaks(self) -> None:
        """Breaks: intervals on the time dimension, never during a visit."""
        r, m, solver = self.routing, self.manager, self.routing.solver()
        self.breaks: dict[int, list] = {}
        # Visit durations by routing index (not node): a break never overlaps a visit.
        visit = [int(self.node_dur[m.IndexToNode(i)]) for i in range(r.Size() + self.V)]
        for vi, v in enumerate(self.p.vehicles):
            if not v.breaks:
                continue
            ivs = []
            for b in v.breaks:
                # Inside the shift too: OR-Tools may put a break before the route's start
                # or after its end, and the plan then takes it on the first or last leg.
                lo = max(b.windows[0][0], v.window[0])
                hi = min(b.windows[-1][1], v.window[1] - b.service, self.horizon)
                sv = solver.IntVar(lo, max(lo, hi), f"b{vi}_{b.id}")
                for (_a1, b1), (a2, _b2) in itertools.pairwise(b.windows):
                    sv.RemoveInterval(b1 + 1, a2 - 1)
                iv = solver.FixedDurationIntervalVar(sv, b.service, f"break{vi}_{b.id}")
                ivs.append(iv)
            self.time.SetBreakIntervalsOfVehicle(ivs, vi, visit)
            self.breaks[vi] = ivs
        if self.breaks and FINALIZE_CUMULS:
            # Without this, restoring a given plan with breaks fails now and then.
            for n in range(self.N):
                r.AddVariableMinimizedByFinalizer(self.time.CumulVar(m.NodeToIndex(n)))

    def _capacity(self, k: int) -> None:
        """Capacity dimension k.

        A simple dimension when it only delivers or only picks up; otherwise an on-board
        load dimension whose start equals the route's deliveries.
        """
        r, tasks, vehs = self.routing, self.p.tasks, self.p.vehicles
        caps = [int(v.capacity[k]) for v in vehs]
        dl = [0] * len(self.loc)
        pk = [0] * len(self.loc)
        mixed = False
        for n, t in enumerate(self.task_nodes):
            task = tasks[t]
            if task.kind == "job":
                dl[n], pk[n] = task.delivery[k], task.pickup[k]
            else:
                mixed = mixed or task.amount[k] != 0
        if not any(dl) and not any(pk) and not mixed:
            return
        if not mixed and (not any(pk) or not any(dl)):
            cb = r.RegisterUnaryTransitVector(dl if any(dl) else pk)
            r.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"cap{k}")
            return
        delta = [0] * len(self.loc)
        for n, t in enumerate(self.task_nodes):
            delta[n] = tasks[t].delta[k]
        cb = r.RegisterUnaryTransitVector(delta)
        r.AddDimensionWithVehicleCapacity(cb, 0, caps, False, f"load{k}")
        cb2 = r.RegisterUnaryTransitVector(dl)
        r.AddDimensionWithVehicleCapacity(cb2, 0, caps, True, f"deliv{k}")
        load, deliv = r.GetDimensionOrDie(f"load{k}"), r.GetDimensionOrDie(f"deliv{k}")
        for vi in range(self.V):
            r.solver().Add(load.CumulVar(r.Start(vi)) == deliv.CumulVar(r.End(vi)))

    def _limits(self) -> None:
        """max_tasks, max_travel_time and max_distance as capacity-like dimensions."""
        problem, r, vehs, N = self.p, self.routing, self.p.vehicles, self.N
        if any(v.max_tasks is not None for v in vehs):
            cb = r.RegisterUnaryTransitVector([1] * N + [0] * (len(self.loc) - N))
            caps = [v.max_tasks if v.max_tasks is not None else N for v in vehs]
            r.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "tasks")
        if any(v.max_travel_time is not None for v in vehs):
            cbs = [r.RegisterTransitMatrix(self._node_matrix(problem.durations[v.profile])) for v in vehs]
            caps = [v.max_travel_time if v.max_travel_time is not None else self.horizon for v in vehs]
            r.AddDimensionWithVehicleTransitAndCapacity(cbs, 0, caps, True, "travel")
        if any(v.max_distance is not None for v in vehs):
            cbs = [
                r.RegisterTransitMatrix(
                    self._node_matrix(problem.distances.get(v.profile, problem.durations[v.profile]))
                )
                for v in vehs
            ]
            caps = [v.max_distance if v.max_distance is not None else INF_TIME for v in vehs]
            r.AddDimensionWithVehicleTransitAndCapacity(cbs, 0, caps, True, "distance")

    def _skills(self, allowed: list[set[int]]) -> None:
        """Skills and reachability: each task only on the vehicles allowed for it."""
        all_v = set(range(self.V))
        for n, t in enumerate(self.task_nodes):
            if allowed[t] != all_v:
                # -1 keeps "not performed" possible.
                index = self.manager.NodeToIndex(n)
                self.routing.VehicleVar(index).SetValues([-1] + sorted(allowed[t]))

    def _shipments(self) -> None:
        """Pickup before delivery, on the same vehicle, both or neither."""
        r, m, solver = self.routing, self.manager, self.routing.solver()
        for n, t in enumerate(self.task_nodes):
            task = self.p.tasks[t]
            if task.kind == "pickup" and task.partner in self.node_of_task:
                pi = m.NodeToIndex(n)
                di = m.NodeToIndex(self.node_of_task[task.partner])
                r.AddPickupAndDelivery(pi, di)
                solver.Add(r.VehicleVar(pi) == r.VehicleVar(di))
                solver.Add(r.ActiveVar(pi) == r.ActiveVar(di))
                solver.Add(self.time.CumulVar(pi) <= self.time.CumulVar(di))

    def _clean_before_dirty(self) -> None:
        """Vehicles with pickups_after_deliveries: no delivery after a pickup.

        A dimension counts the pickups made so far on those vehicles (0 on the others); a
        delivery must find it at 0. A job with both counts its pickup only after itself.
        """
        vehs, tasks, r = self.p.vehicles, self.p.tasks, self.routing
        if not any(v.pickups_after_deliveries for v in vehs):
            return
        picks = [0] * len(self.loc)
        for n, t in enumerate(self.task_nodes):
            picks[n] = int(tasks[t].picks_up)
        cb_picks = r.RegisterUnaryTransitVector(picks)
        cb_none = r.RegisterUnaryTransitVector([0] * len(self.loc))
        transits = [cb_picks if v.pickups_after_deliveries else cb_none for v in vehs]
        r.AddDimensionWithVehicleTransits(transits, 0, self.N + 1, True, "dirty")
        dirty = r.GetDimensionOrDie("dirty")
        for n, t in enumerate(self.task_nodes):
            if tasks[t].delivers:
                dirty.CumulVar(self.manager.NodeToIndex(n)).SetMax(0)

    def _penalties(self) -> None:
        """Dropping: priority first, then the number of tasks served, then cost.

        With deadlines, lateness goes between priority and the number served: a soft upper
        bound on the time of each task with a deadline, per second a little more than any
        route's cost could save. OR-Tools cannot count late tasks; the plans it returns
        are compared by the full order (search.objective) afterwards.
        """
        self.m0 = self.bound
        self.m1 = self.m0 * (self.N + 1)
        if self.p.has_deadlines:
            self.m1 += self._soft_deadlines()
        for n, t in enumerate(self.task_nodes):
            pen = self.m1 * self.p.tasks[t].priority + self.m0
            self.routing.AddDisjunction([self.manager.NodeToIndex(n)], pen)

    def _soft_deadlines(self) -> int:
        """Put the soft upper bounds; return the most lateness can cost in all."""
        tasks = self.p.tasks
        late = [
            (n, tasks[t].deadline, max(0, min(tasks[t].windows[-1][1], self.horizon) - tasks[t].deadline))
            for n, t in enumerate(self.task_nodes)
            if tasks[t].deadline is not None
        ]
        worst = sum(w for _, _, w in late) + 1
        per_second = self.m0
        total_prio = sum(tasks[t].priority for t in self.task_nodes) + 1
        # int64 objective: keep every possible total below 2^62 (coarser seconds if not).
        while per_second > 1 and (per_second * worst + self.m1) * total_prio > 1 << 62:
            per_second //= 16
        for n, deadline, _ in late:
            index = self.manager.NodeToIndex(n)
            self.time.SetCumulVarSoftUpperBound(index, deadline, per_second)
        return per_second * worst

    def params(self, ms: int, *, lam: float = 0.1) -> object:
        prm = pywrapcp.DefaultRoutingSearchParameters()
        prm.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        prm.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        prm.guided_local_search_lambda_coefficient = lam
        prm.time_limit.FromMilliseconds(max(ms, 1))
        return prm

    def routes_to_assignment(self, routes: list[Route]):
        m = self.manager
        idx = [
            [m.NodeToIndex(self.node_of_task[i]) for kind, i in rt if kind == "task" and i in self.node_of_task]
            for rt in routes
        ]
        return self.routing.ReadAssignmentFromRoutes(idx, True)

    def extract(self, sol) -> tuple[list[Route], set[int]]:
        """Routes (with breaks placed) and the task indices served."""
        r, m, _tasks = self.routing, self.manager, self.p.tasks
        routes: list[Route] = []
        served: set[int] = set()
        for vi in range(self.V):
            seq: Route = []
            deps: list[int] = []
            idx = sol.Value(r.NextVar(r.Start(vi)))
            while not r.IsEnd(idx):
                node = m.IndexToNode(idx)
                t = self.task_nodes[node]
                seq.append(("task", t))
                served.add(t)
                deps.append(sol.Value(self.time.CumulVar(idx)) + int(self.node_dur[node]))
                idx = sol.Value(r.NextVar(idx))
            if vi in self.breaks and seq:
                placed = []
                for b, iv in enumerate(self.breaks[vi]):
                    bstart = sol.StartValue(iv)
                    pos = sum(1 for d in deps if d <= bstart)
                    placed.append((pos, bstart, b))
                for pos, _, b in sorted(placed, reverse=True):
                    seq.insert(pos, ("break", b))
            routes.append(seq)
        return routes, served


def solve(
    problem: Problem,
    allowed: list[set[int]],
    initial: list[Route] | None,
    *,
    deadline: float,
    seed: int = 0,
    on_progress: Callable[[int], None] | None = None,
    lam: float = 0.1,
) -> tuple[list[Route], set[int]] | None:
    """Improve `initial` with OR-Tools' guided local search until the deadline."""
    model = Model(problem, allowed)
    r = model.routing
    for ivs in model.breaks.values():
        for iv in ivs:
            r.AddIntervalToAssignment(iv)
    ms = int((deadline - time.monotonic()) * 1000)
    if ms <= 50:
        return None
    prm = model.params(ms, lam=lam)
    r.CloseModelWithParameters(prm)
    if on_progress is not None:

        def cb() -> None:
            on_progress(int(r.CostVar().Max()))

        r.AddAtSolutionCallback(cb)
    start = None
    if initial is not None:
        start = model.routes_to_assignment(initial)
        if start is None:
            # Restoring a plan with breaks is not always accepted at once: keep the
            # routes OR-Tools accepts; its search inserts the rest again.
            kept = [[] for _ in initial]
            for v, route in enumerate(initial):
                if time.monotonic() > deadline - 0.5:
                    break
                kept[v] = route
                if model.routes_to_assignment(kept) is None:
                    kept[v] = []
            start = model.routes_to_assignment(kept)
    ms = int((deadline - time.monotonic()) * 1000)
    prm.time_limit.FromMilliseconds(max(ms, 1))
    sol = r.SolveFromAssignmentWithParameters(start, prm) if start is not None else r.SolveWithParameters(prm)
    if sol is None:
        return None
    return model.extract(sol)
