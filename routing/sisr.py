"""Fast ruin and recreate, compiled with numba, for plans of jobs (no shipments).

This module prepares the arrays and watches the clock; the compiled kernels are in
sisr_kernels.py, and after every chunk of iterations the current plan's route ends are
exchanged where that is better (sisr_tails.py).

Slack induction by string removals (Christiaens and Vanden Berghe, 2020): remove strings of
consecutive stops from routes near a random stop, put the removed jobs back one by one at
their cheapest place (skipping a few places at random, "blinks"), and accept the new plan
by simulated annealing. Each iteration takes tens of microseconds: 22,000-33,000 a second
on a 60-job county day, 15,000-17,000 at 200 jobs, 7,500-8,100 at 500 (with and without due
times; `python bench/search_rate.py`, 6 Dec 2026), where lns.py manages a few hundred.

Everything here works on integer arrays. A route's cached arrays give an O(1) test per gap:
`start` (earliest service start of each stop), `latest` (latest service start that keeps the
rest of the route on time), and prefix / suffix maxima of the on-board load.

A break is a node of its route that is never removed. It has no location of its own: it is
taken where the van is (after the previous stop), as in insertion.py, so `rloc` holds each
node's effective location and an insertion just before a break moves the break with it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from routing import sisr_kernels as k
from routing import sisr_tails, vroom
from routing.insertion import Inserter
from routing.problem import Route
from routing.reasons import allowed_vehicles

BIG = k.BIG
CHUNK_SECONDS = 0.05  # hand back to Python this often to watch the clock
NEIGHBOURS = 100  # nearest jobs kept per job (memory stays linear in the jobs)
# Once the best plan's priority and lateness (and jobs served) have not improved for this
# long, annealing weighs them too (tuned on 60- and 500-job county days; without due times
# it also freed a tight 47-job day where every plan serving all was stuck, issue 13).
STALL_SECONDS = 1.0
STALL_SHARE = 0.2
TAILS = True  # the tail-exchange descent (sisr_tails.py) after every chunk


def compiled() -> bool:
    """True when every compiled function is cached on disk and fresh (no compile on call)."""
    try:
        return all(
            fn._cache._cache_file._load_index()  # numba's own freshness check
            for fn in (k.seed, k.total, k.refresh, k.iterate, sisr_tails.exchange_tails)
        )
    except Exception:  # noqa: BLE001 - a numba without this internal: assume not compiled
        return False


def compile_now() -> None:
    """Compile (about 20 s) and cache the functions by running them on a tiny problem.

    The old cache goes first: numba checks a cached function against its own file only,
    so after a change to sisr_route.py it would keep the kernels of sisr_kernels.py
    compiled with the old code."""
    for stale in Path(__file__).with_name("__pycache__").glob("sisr*.nb[ic]"):
        stale.unlink(missing_ok=True)
    problem = vroom.parse(
        {
            "vehicles": [
                {
                    "id": 1,
                    "start": [0.0, 52.0],
                    "end": [0.0, 52.0],
                    "capacity": [4],
                    "breaks": [{"id": 1, "service": 60}],
                }
            ],
            "jobs": [{"id": i, "location": [0.01 * i, 52.0], "delivery": [1], "pickup": [1]} for i in range(1, 4)],
        }
    )
    allowed, _ = allowed_vehicles(problem)
    ins = Inserter(problem, allowed)
    ruin_recreate(ins, [[("task", 0), ("break", 0), ("task", 1), ("task", 2)]], deadline=time.monotonic())


class Plan:
    """Routes as arrays plus the cached data of each route; all of it passed to numba."""

    def __init__(self, ins: Inserter, routes: list[Route], *, deadlines: bool = True):
        p = ins.p
        self.n, V = len(p.tasks), len(p.vehicles)
        self._matrices(ins)
        self._nodes(ins, deadlines)
        vs = p.vehicles
        self.allowed = ins.allowed
        self.start = np.array([v.start for v in vs], dtype=np.int64)
        self.end = np.array([v.end for v in vs], dtype=np.int64)
        self.tw0 = np.array([v.window[0] for v in vs], dtype=np.int64)
        self.tw1 = np.array([v.window[1] for v in vs], dtype=np.int64)
        self.cap = np.stack(ins.cap).astype(np.int64)
        self.max_tasks = np.array([self.n if v.max_tasks is None else v.max_tasks for v in vs], dtype=np.int64)
        self.fixed = np.array([v.fixed for v in vs], dtype=np.int64)
        self.cbd = np.array([v.pickups_after_deliveries for v in vs], dtype=np.bool_)
        self.jobs = np.array(ins.jobs, dtype=np.int64)
        self._choice_data(ins)
        self._kinds(ins)
        self._routes(routes, V, ins.deliv.shape[1])

    def _matrices(self, ins: Inserter) -> None:
        """Distinct (duration, cost) matrix pairs, stacked; each vehicle points at its pair."""
        V = len(ins.p.vehicles)
        pairs: dict[tuple[int, int], int] = {}
        vtype = np.zeros(V, dtype=np.int64)
        for v in range(V):
            key = (id(ins.T[v]), id(ins.C[v]))
            vtype[v] = pairs.setdefault(key, len(pairs))
        first = {t: v for v, t in reversed(list(enumerate(vtype.tolist())))}
        self.T = np.stack([np.asarray(ins.T[first[t]], dtype=np.int64) for t in range(len(pairs))])
        self.C = np.stack([np.asarray(ins.C[first[t]], dtype=np.int64) for t in range(len(pairs))])
        if np.array_equal(self.T, self.C):
            self.C = self.T  # one copy in the caches: each gap's test reads both (1,000 jobs: 8 MB each)
        # Transposed copies: a job's place is tried after many stops, T[., stop, job] is a
        # column of T but a row of TT (one cache line per few stops, not one per stop).
        self.TT = np.ascontiguousarray(self.T.transpose(0, 2, 1))
        self.CT = self.TT if self.C is self.T else np.ascontiguousarray(self.C.transpose(0, 2, 1))
        self.vtype = vtype

    def _nodes(self, ins: Inserter, deadlines: bool) -> None:
        """Nodes: the tasks, then each vehicle's breaks (node n + v * NB + b)."""
        n, vs = self.n, ins.p.vehicles
        V = len(vs)
        self.vbreaks = [v.breaks for v in vs]
        NB = max(len(v.breaks) for v in vs)
        K = max([ins.ws.shape[1]] + [len(b.windows) for v in vs for b in v.breaks])
        N = n + V * NB
        self.NB = NB
        self.loc = np.full(N, -1, dtype=np.int64)
        self.loc[:n] = ins.loc
        self.dur = np.zeros(N, dtype=np.int64)
        self.dur[:n] = ins.dur
        self.ws = np.full((N, K), BIG, dtype=np.int64)
        self.we = np.full((N, K), -1, dtype=np.int64)
        self.ws[:n, : ins.ws.shape[1]] = ins.ws
        self.we[:n, : ins.we.shape[1]] = ins.we
        for v, veh in enumerate(vs):
            for b, brk in enumerate(veh.breaks):
                node = n + v * NB + b
                self.dur[node] = brk.service
                for w, (a, e) in enumerate(brk.windows):
                    self.ws[node, w], self.we[node, w] = a, e
        D = ins.deliv.shape[1]
        self.deliv = np.zeros((N, D), dtype=np.int64)
        self.pick = np.zeros((N, D), dtype=np.int64)
        self.deliv[:n], self.pick[:n] = ins.deliv, ins.pick
        self.prio = np.zeros(N, dtype=np.int64)
        self.prio[:n] = ins.prio
        self.dl = np.full(N, BIG, dtype=np.int64)
        self.dlv = np.zeros(N, dtype=np.bool_)
        self.pck = np.zeros(N, dtype=np.bool_)
        for i, t in enumerate(ins.p.tasks):
            if t.deadline is not None and deadlines:
                self.dl[i] = t.deadline
            self.dlv[i], self.pck[i] = t.delivers, t.picks_up
        self.has_dl = ins.p.has_deadlines and deadlines

    def _choice_data(self, ins: Inserter) -> None:
        """Penalties of leaving jobs out, nearest neighbours, recreate sort keys."""
        n, jobs = self.n, self.jobs
        # Leaving a job out costs m0 (more than any plan's cost) in the objective's lo,
        # and its priority x nw in hi (nw: more than any number of late tasks).
        self.m0 = 1 + int(sum(int(self.C[t].max(axis=1).sum()) for t in range(len(self.C))))
        self.nw = len(jobs) + 1
        # Neighbours of each job among the jobs, nearest first (itself first).
        C0 = self.C[0]
        jl = self.loc[jobs]
        sym = C0[np.ix_(jl, jl)] + C0[np.ix_(jl, jl)].T
        np.fill_diagonal(sym, -1)
        width = min(len(jobs), NEIGHBOURS)
        nearest = np.argpartition(sym, width - 1, axis=1)[:, :width]
        rank = np.argsort(np.take_along_axis(sym, nearest, axis=1), axis=1, kind="stable")
        self.near = np.full((len(self.loc), width), -1, dtype=np.int64)
        self.near[jobs] = jobs[np.take_along_axis(nearest, rank, axis=1)]
        # Sort keys for the recreate order: demand and distance from the first depot.
        self.demand = (self.deliv + self.pick).sum(axis=1).astype(np.int64)
        self.far = np.zeros(len(self.loc), dtype=np.int64)
        self.far[:n] = C0[self.start[0], ins.loc] + C0[ins.loc, self.end[0]]

    def _routes(self, routes: list[Route], V: int, D: int) -> None:
        n, NB = self.n, self.NB
        N = len(self.loc)
        M = int(min(n, max(self.max_tasks.max(), 1))) + NB + 1
        self.route = np.full((V, M), -1, dtype=np.int64)
        self.rlen = np.zeros(V, dtype=np.int64)
        for v, r in enumerate(routes):
            breaks = len(self.vbreaks[v])
            if not any(kind == "task" for kind, _ in r):
                # An empty route holds all the vehicle's breaks: they are never removed,
                # so every van the search uses takes them.
                r = [("break", b) for b in range(breaks)]
            elif sum(kind == "break" for kind, _ in r) != breaks:
                raise ValueError(f"route of vehicle {v} lacks some of its breaks")
            ids = [i if kind == "task" else n + v * NB + i for kind, i in r]
            self.route[v, : len(ids)] = ids
            self.rlen[v] = len(ids)
        self.rloc = np.zeros((V, M), dtype=np.int64)
        self.ntask = np.zeros(V, dtype=np.int64)
        self.st = np.zeros((V, M), dtype=np.int64)
        self.lt = np.zeros((V, M + 1), dtype=np.int64)
        self.pre = np.zeros((V, M + 1, D), dtype=np.int64)
        self.suf = np.zeros((V, M + 1, D), dtype=np.int64)
        self.rcost = np.zeros(V, dtype=np.int64)
        self.where = np.full(N, -1, dtype=np.int64)
        self.pos = np.full(N, -1, dtype=np.int64)
        self.rnlate = np.zeros(V, dtype=np.int64)
        self.rlate = np.zeros(V, dtype=np.int64)
        self.fpick = np.zeros(V, dtype=np.int64)
        self.ldeliv = np.zeros(V, dtype=np.int64)
        for v in range(V):
            k.refresh(v, self.data(), self.state())

    def data(self) -> tuple:
        return (
            self.T,
            self.C,
            self.vtype,
            self.loc,
            self.dur,
            self.ws,
            self.we,
            self.deliv,
            self.pick,
            self.start,
            self.end,
            self.tw0,
            self.tw1,
            self.n,
            self.dl,
            self.has_dl,
            self.dlv,
            self.pck,
            self.TT,
            self.CT,
        )

    def fleet(self) -> tuple:
        return (self.allowed, self.cap, self.max_tasks, self.fixed, self.cbd)

    def search(self, unit: int = 0) -> tuple:
        """unit > 0: anneal on the whole objective in that cost unit (once the search is stuck)."""
        return (self.prio, self.near, self.demand, self.far, self.jobs, self.m0, self.nw, self.vclass, unit)

    def _kinds(self, ins: Inserter) -> None:
        """vclass: vehicles that are interchangeable while empty share a number (the
        recreate tries one empty van of each kind)."""
        kinds: dict[tuple, int] = {}
        self.vclass = np.zeros(len(self.start), dtype=np.int64)
        for v, veh in enumerate(ins.p.vehicles):
            key = (
                int(self.vtype[v]),
                veh.start,
                veh.end,
                veh.window,
                tuple(self.cap[v].tolist()),
                int(self.max_tasks[v]),
                veh.fixed,
                veh.pickups_after_deliveries,
                tuple((b.service, b.windows) for b in veh.breaks),
                self.allowed[:, v].tobytes(),
            )
            self.vclass[v] = kinds.setdefault(key, len(kinds))

    def state(self) -> tuple:
        return (
            self.route,
            self.rlen,
            self.st,
            self.lt,
            self.pre,
            self.suf,
            self.rcost,
            self.rloc,
            self.ntask,
            self.where,
            self.pos,
            self.rnlate,
            self.rlate,
            self.fpick,
            self.ldeliv,
        )

    def objective(self) -> tuple[int, int, int]:
        """(hi, mid, lo): see sisr_kernels' docstring."""
        return k.total(self.state(), self.jobs, self.prio, self.m0, self.nw)

    def routes(self) -> list[Route]:
        n, NB = self.n, self.NB
        return [
            [("task", int(i)) if i < n else ("break", int(i - n - v * NB)) for i in self.route[v, : self.rlen[v]]]
            for v in range(len(self.rlen))
        ]


def ruin_recreate(
    ins: Inserter,
    routes: list[Route],
    *,
    deadline: float,
    seed: int = 0,
    temperatures: tuple[float, float] = (2.0, 0.01),
    on_best=None,
    deadlines: bool = True,
) -> list[Route]:
    """Improve the routes until the deadline; return the best routes found.

    `temperatures` (start, end) are in units of the plan's average cost per job.
    `deadlines=False` searches as if no task had one (VROOM's order).
    """
    plan = Plan(ins, routes, deadlines=deadlines)
    jobs = plan.jobs
    served = int((plan.where[jobs] >= 0).sum())
    per_job = max(1.0, float(plan.rcost.sum()) / max(1, served))
    t_start, t_end = temperatures[0] * per_job, temperatures[1] * per_job
    best_route, best_rlen = plan.route.copy(), plan.rlen.copy()
    since_best = np.zeros(len(best_rlen), dtype=np.bool_)
    saved = tuple(a.copy() for a in plan.state())
    k.seed(seed)
    cur = best = plan.objective()
    began = time.monotonic()
    span = max(deadline - began, 1e-6)
    chunk = 50
    rest = (plan.data(), plan.fleet(), plan.state(), saved)
    improved = began
    while True:  # at least one chunk (of 50 iterations: about a millisecond)
        t0 = time.monotonic()
        temp = t_start * (t_end / t_start) ** min(1.0, (t0 - began) / span)
        # Stuck on priority, lateness or jobs served: let annealing weigh them too
        # (sisr_kernels._soft).
        unit = int(per_job) if t0 - improved > max(STALL_SECONDS, STALL_SHARE * span) else 0
        was = best
        cur, best = k.iterate(chunk, temp, cur, best, best_route, best_rlen, since_best, plan.search(unit), *rest)
        if TAILS:
            cur, best = _exchange_tails(plan, cur, best, best_route, best_rlen, since_best, saved)
        if (best[0], best[1]) != (was[0], was[1]):
            improved = time.monotonic()
        took = time.monotonic() - t0
        if on_best is not None:  # one number for progress: priority, then cost
            on_best(int(best[0]) * plan.m0 + int(best[2]))
        # Grow or shrink the chunk so that one takes about CHUNK_SECONDS.
        if took < CHUNK_SECONDS / 2:
            chunk *= 2
        elif took > CHUNK_SECONDS * 2 and chunk > 10:
            chunk //= 2
        if time.monotonic() + min(took, CHUNK_SECONDS) >= deadline:
            break
    plan.route[:], plan.rlen[:] = best_route, best_rlen
    return plan.routes()


def _exchange_tails(plan: Plan, cur, best, best_route, best_rlen, since_best, saved):
    """The tail-exchange descent on the current plan (sisr_tails.py); returns (current, best)."""
    touched = np.zeros(len(plan.rlen), dtype=np.bool_)
    spare = np.empty(plan.route.shape[1], dtype=np.int64)
    if not sisr_tails.exchange_tails(plan.near, plan.jobs, touched, spare, plan.data(), plan.fleet(), plan.state()):
        return cur, best
    k.copy_touched(touched, plan.state(), saved)
    since_best |= touched
    cur = plan.objective()
    if k.better(*cur, *best):
        best = cur
        k._copy_best(since_best, plan.route, plan.rlen, best_route, best_rlen)
    return cur, best
