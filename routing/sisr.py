"""Fast ruin and recreate, compiled with numba, for plans of jobs (no shipments).

Slack induction by string removals (Christiaens and Vanden Berghe, 2020): remove strings of
consecutive stops from routes near a random stop, put the removed jobs back one by one at
their cheapest place (skipping a few places at random, "blinks"), and accept the new plan
by simulated annealing. Each iteration takes microseconds, so tens of thousands fit in a
second where the numpy version (lns.py) manages a few hundred.

Everything here works on integer arrays. A route's cached arrays give an O(1) test per gap:
`start` (earliest service start of each stop), `latest` (latest service start that keeps the
rest of the route on time), and prefix / suffix maxima of the on-board load.

A break is a node of its route that is never removed. It has no location of its own: it is
taken where the van is (after the previous stop), as in insertion.py, so `rloc` holds each
node's effective location and an insertion just before a break moves the break with it.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from routing.insertion import Inserter
from routing.problem import Route

BIG = 1 << 60
AVG_REMOVED = 10  # SISR's c-bar: jobs removed per iteration on average
MAX_STRING = 10  # SISR's L-max: longest string removed from one route
BLINK = 0.01  # chance of skipping a place while inserting
CHUNK_SECONDS = 0.05  # hand back to Python this often to watch the clock
NEIGHBOURS = 100  # nearest jobs kept per job (memory stays linear in the jobs)
RETRY_NEAR = 10  # a job left out is tried again when one of its nearest 10 was removed
RETRY_CHANCE = 0.02  # or at random


def compiled() -> bool:
    """True when every compiled function is cached on disk and fresh (no compile on call)."""
    try:
        return all(
            fn._cache._cache_file._load_index()  # numba's own freshness check
            for fn in (_seed, _total, _refresh, _iterate)
        )
    except Exception:  # noqa: BLE001 - a numba without this internal: assume not compiled
        return False


def compile_now() -> None:
    """Compile (about 20 s) and cache the functions by running them on a tiny problem."""
    from routing import vroom
    from routing.reasons import allowed_vehicles

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
            "jobs": [
                {"id": i, "location": [0.01 * i, 52.0], "delivery": [1], "pickup": [1]}
                for i in range(1, 4)
            ],
        }
    )
    allowed, _ = allowed_vehicles(problem)
    ins = Inserter(problem, allowed)
    ruin_recreate(
        ins,
        [[("task", 0), ("break", 0), ("task", 1), ("task", 2)]],
        deadline=time.monotonic(),
    )


class Plan:
    """Routes as arrays plus the cached data of each route; all of it passed to numba."""

    def __init__(self, ins: Inserter, routes: list[Route]):
        p = ins.p
        n, V = len(p.tasks), len(p.vehicles)
        # Distinct (duration, cost) matrix pairs, stacked; each vehicle points at its pair.
        pairs: dict[tuple[int, int], int] = {}
        vtype = np.zeros(V, dtype=np.int64)
        for v in range(V):
            key = (id(ins.T[v]), id(ins.C[v]))
            vtype[v] = pairs.setdefault(key, len(pairs))
        first = {t: v for v, t in reversed(list(enumerate(vtype.tolist())))}
        self.T = np.stack(
            [np.asarray(ins.T[first[t]], dtype=np.int64) for t in range(len(pairs))]
        )
        self.C = np.stack(
            [np.asarray(ins.C[first[t]], dtype=np.int64) for t in range(len(pairs))]
        )
        self.vtype = vtype
        # Nodes: the tasks, then each vehicle's breaks (node n + v * NB + b).
        vs = p.vehicles
        NB = max(len(v.breaks) for v in vs)
        K = max([ins.ws.shape[1]] + [len(b.windows) for v in vs for b in v.breaks])
        N = n + V * NB
        self.n, self.NB = n, NB
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
                for k, (a, e) in enumerate(brk.windows):
                    self.ws[node, k], self.we[node, k] = a, e
        D = ins.deliv.shape[1]
        self.deliv = np.zeros((N, D), dtype=np.int64)
        self.pick = np.zeros((N, D), dtype=np.int64)
        self.deliv[:n], self.pick[:n] = ins.deliv, ins.pick
        self.allowed = ins.allowed
        self.start = np.array([v.start for v in vs], dtype=np.int64)
        self.end = np.array([v.end for v in vs], dtype=np.int64)
        self.tw0 = np.array([v.window[0] for v in vs], dtype=np.int64)
        self.tw1 = np.array([v.window[1] for v in vs], dtype=np.int64)
        self.cap = np.stack(ins.cap).astype(np.int64)
        self.max_tasks = np.array(
            [n if v.max_tasks is None else v.max_tasks for v in vs], dtype=np.int64
        )
        self.fixed = np.array([v.fixed for v in vs], dtype=np.int64)
        jobs = np.array(ins.jobs, dtype=np.int64)
        self.jobs = jobs
        # Penalty of leaving a job out: priority first, then the number of jobs, then cost.
        m0 = 1 + int(sum(int(self.C[t].max(axis=1).sum()) for t in range(len(pairs))))
        m1 = m0 * (len(jobs) + 1)
        self.penalty = np.array(
            [m1 * int(ins.prio[i]) + m0 for i in range(n)], dtype=np.int64
        )
        self.prio = np.zeros(N, dtype=np.int64)
        self.prio[:n] = ins.prio
        # Neighbours of each job among the jobs, nearest first (itself first).
        C0 = self.C[0]
        jl = self.loc[jobs]
        sym = C0[np.ix_(jl, jl)] + C0[np.ix_(jl, jl)].T
        np.fill_diagonal(sym, -1)
        width = min(len(jobs), NEIGHBOURS)
        nearest = np.argpartition(sym, width - 1, axis=1)[:, :width]
        rank = np.argsort(
            np.take_along_axis(sym, nearest, axis=1), axis=1, kind="stable"
        )
        self.near = np.full((N, width), -1, dtype=np.int64)
        self.near[jobs] = jobs[np.take_along_axis(nearest, rank, axis=1)]
        # Sort keys for the recreate order: demand and distance from the first depot.
        self.demand = (self.deliv + self.pick).sum(axis=1).astype(np.int64)
        self.far = np.zeros(N, dtype=np.int64)
        self.far[:n] = C0[self.start[0], ins.loc] + C0[ins.loc, self.end[0]]
        M = int(min(n, max(self.max_tasks.max(), 1))) + NB + 1
        self.route = np.full((V, M), -1, dtype=np.int64)
        self.rlen = np.zeros(V, dtype=np.int64)
        for v, r in enumerate(routes):
            ids = [i if k == "task" else n + v * NB + i for k, i in r]
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
        for v in range(V):
            _refresh(v, *self._data(), *self._state())

    def _data(self) -> tuple:
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
        )

    def _state(self) -> tuple:
        return (
            self.route,
            self.rlen,
            self.st,
            self.lt,
            self.pre,
            self.suf,
            self.rcost,
            self.where,
            self.pos,
            self.rloc,
            self.ntask,
        )

    def routes(self) -> list[Route]:
        n, NB = self.n, self.NB
        return [
            [
                ("task", int(i)) if i < n else ("break", int(i - n - v * NB))
                for i in self.route[v, : self.rlen[v]]
            ]
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
) -> list[Route]:
    """Improve the routes until the deadline; return the best routes found.

    `temperatures` (start, end) are in units of the plan's average cost per job.
    """
    plan = Plan(ins, routes)
    jobs = plan.jobs
    served = int((plan.where[jobs] >= 0).sum())
    per_job = max(1.0, float(plan.rcost.sum()) / max(1, served))
    t_start, t_end = temperatures[0] * per_job, temperatures[1] * per_job
    best_route, best_rlen = plan.route.copy(), plan.rlen.copy()
    bk = [a.copy() for a in plan._state()]
    _seed(seed)
    cur = _total(plan.rcost, plan.where, jobs, plan.penalty)
    best = cur
    began = time.monotonic()
    span = max(deadline - began, 1e-6)
    chunk = 50
    while True:  # at least one chunk (of 50 iterations: about a millisecond)
        t0 = time.monotonic()
        f0 = min(1.0, (t0 - began) / span)
        cur, best = _iterate(
            chunk,
            t_start * (t_end / t_start) ** f0,
            cur,
            best,
            best_route,
            best_rlen,
            *bk,
            plan.allowed,
            plan.cap,
            plan.max_tasks,
            plan.fixed,
            plan.penalty,
            plan.prio,
            plan.near,
            plan.demand,
            plan.far,
            jobs,
            *plan._data(),
            *plan._state(),
        )
        took = time.monotonic() - t0
        if on_best is not None:
            on_best(int(best))
        # Grow or shrink the chunk so that one takes about CHUNK_SECONDS.
        if took < CHUNK_SECONDS / 2:
            chunk *= 2
        elif took > CHUNK_SECONDS * 2 and chunk > 10:
            chunk //= 2
        if time.monotonic() + min(took, CHUNK_SECONDS) >= deadline:
            break
    plan.route[:], plan.rlen[:] = best_route, best_rlen
    return plan.routes()


@njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


@njit(cache=True)
def _total(rcost, where, jobs, penalty):
    total = rcost.sum()
    for j in jobs:
        if where[j] < 0:
            total += penalty[j]
    return total


@njit(cache=True)
def _first_start(ws, we, j, t):
    for k in range(ws.shape[1]):
        if t <= we[j, k]:
            return max(t, ws[j, k])
    return BIG


@njit(cache=True)
def _latest_start(ws, we, j, bound):
    for k in range(ws.shape[1] - 1, -1, -1):
        if ws[j, k] <= bound:
            return min(bound, we[j, k])
    return -BIG


@njit(cache=True)
def _refresh(
    v, T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n,
    route, rlen, st, lt, pre, suf, rcost, where, pos, rloc, ntask,
):  # fmt: skip
    """Recompute route v's cached arrays (and where/pos of its nodes)."""
    tt = vtype[v]
    n_r = rlen[v]
    D = deliv.shape[1]
    # Forward: earliest starts, effective locations, cost, load at the start.
    t = tw0[v]
    lp = start[v]
    cost = 0
    count = 0
    for d in range(D):
        suf[v, 0, d] = 0
    for i in range(n_r):
        node = route[v, i]
        where[node] = v
        pos[node] = i
        if node >= n:  # a break: taken where the van is
            rloc[v, i] = lp
            s = _first_start(ws, we, node, t)
        else:
            lj = loc[node]
            rloc[v, i] = lj
            s = _first_start(ws, we, node, t + T[tt, lp, lj])
            cost += C[tt, lp, lj]
            lp = lj
            count += 1
            for d in range(D):
                suf[v, 0, d] += deliv[node, d]
        st[v, i] = s
        t = s + dur[node]
    ntask[v] = count
    rcost[v] = cost + C[tt, lp, end[v]] if count > 0 else 0
    # Backward: latest starts; lt[v, n_r] is the latest arrival at the end.
    lt[v, n_r] = tw1[v]
    next_loc = end[v]
    next_is_break = False
    for i in range(n_r - 1, -1, -1):
        node = route[v, i]
        travel = 0 if next_is_break else T[tt, rloc[v, i], next_loc]
        lt[v, i] = _latest_start(ws, we, node, lt[v, i + 1] - travel - dur[node])
        next_is_break = node >= n
        next_loc = rloc[v, i]
    # Loads after each step (step 0: leaving with every delivery), then their prefix
    # maxima (pre) and suffix maxima (suf).
    for i in range(n_r):
        node = route[v, i]
        for d in range(D):
            suf[v, i + 1, d] = suf[v, i, d] - deliv[node, d] + pick[node, d]
    for d in range(D):
        m = -BIG
        for i in range(n_r + 1):
            m = max(m, suf[v, i, d])
            pre[v, i, d] = m
        m = -BIG
        for i in range(n_r, -1, -1):
            m = max(m, suf[v, i, d])
            suf[v, i, d] = m


@njit(cache=True)
def _best_gap(
    j, v, blink, allowed, cap, max_tasks, fixed,
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n,
    route, rlen, st, lt, pre, suf, rloc, ntask,
):  # fmt: skip
    """(added cost, gap) of the cheapest feasible place for job j in route v."""
    if not allowed[j, v] or ntask[v] + 1 > max_tasks[v]:
        return BIG, -1
    tt = vtype[v]
    n_r = rlen[v]
    lj = loc[j]
    D = deliv.shape[1]
    best = BIG
    best_g = -1
    for g in range(n_r + 1):
        if blink > 0.0 and np.random.random() < blink:
            continue
        ok = True
        for d in range(D):
            if (
                pre[v, g, d] + deliv[j, d] > cap[v, d]
                or suf[v, g, d] + pick[j, d] > cap[v, d]
            ):
                ok = False
                break
        if not ok:
            continue
        if g == 0:
            lp = start[v]
            dep = tw0[v]
        else:
            lp = rloc[v, g - 1]
            dep = st[v, g - 1] + dur[route[v, g - 1]]
        s = _first_start(ws, we, j, dep + T[tt, lp, lj])
        if s >= BIG:
            continue
        # Breaks right after the gap are now taken at j's place, before driving on.
        t = s + dur[j]
        k = g
        while k < n_r and route[v, k] >= n:
            t = _first_start(ws, we, route[v, k], t)
            if t >= BIG:
                break
            t += dur[route[v, k]]
            k += 1
        if t >= BIG:
            continue
        ln = end[v] if k == n_r else loc[route[v, k]]
        if t + T[tt, lj, ln] > lt[v, k]:
            continue
        delta = C[tt, lp, lj] + C[tt, lj, ln] - C[tt, lp, ln]
        if ntask[v] == 0:
            delta += fixed[v] + C[tt, lp, ln]
        if delta < best:
            best = delta
            best_g = g
    return best, best_g


@njit(cache=True)
def _iterate(
    n_iter, temp, cur, best, best_route, best_rlen,
    bk_route, bk_rlen, bk_st, bk_lt, bk_pre, bk_suf, bk_rcost, bk_where, bk_pos,
    bk_rloc, bk_ntask,
    allowed, cap, max_tasks, fixed, penalty, prio, near, demand, far, jobs,
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n,
    route, rlen, st, lt, pre, suf, rcost, where, pos, rloc, ntask,
):  # fmt: skip
    """n_iter ruin-and-recreate steps at one temperature; returns (current, best) cost."""
    V = rlen.shape[0]
    nj = jobs.shape[0]
    touched = np.zeros(V, dtype=np.bool_)
    pending = np.empty(nj, dtype=np.int64)
    keys = np.empty(nj, dtype=np.float64)
    removed_flag = np.zeros(where.shape[0], dtype=np.bool_)
    for _ in range(n_iter):
        # Ruin: strings of consecutive jobs from routes near a random job.
        served = 0
        used = 0
        for v in range(V):
            if ntask[v] > 0:
                served += ntask[v]
                used += 1
        touched[:] = False
        n_pend = 0
        if served > 0:
            ls_max = min(float(MAX_STRING), served / used)
            ks_max = 4.0 * AVG_REMOVED / (1.0 + ls_max) - 1.0
            ks = int(np.random.random() * ks_max) + 1
            seed_job = jobs[np.random.randint(0, nj)]
            n_ruined = 0
            for k in range(near.shape[1]):
                c = near[seed_job, k]
                if c < 0 or n_ruined >= ks:
                    break
                v = where[c]
                if v < 0 or touched[v]:
                    continue
                touched[v] = True
                n_ruined += 1
                n_r = rlen[v]
                length = int(np.random.random() * min(float(ntask[v]), ls_max)) + 1
                length = min(length, n_r)
                first = max(pos[c] - np.random.randint(0, length), 0)
                first = min(first, n_r - length)
                # Split string: keep a few stops inside the removed stretch.
                keep = 0
                if length < n_r and np.random.random() < 0.5:
                    keep = 1
                    while length + keep < n_r and np.random.random() < 0.5:
                        keep += 1
                    first = min(first, n_r - length - keep)
                kept_from = first + np.random.randint(0, length + 1)
                w = 0
                for i in range(n_r):
                    node = route[v, i]
                    removed = (
                        node < n
                        and first <= i < first + length + keep
                        and not (kept_from <= i < kept_from + keep)
                    )
                    if removed:
                        pending[n_pend] = node
                        n_pend += 1
                        where[node] = -1
                        pos[node] = -1
                    else:
                        route[v, w] = node
                        w += 1
                rlen[v] = w
            for v in range(V):
                if touched[v]:
                    _refresh(
                        v, T, C, vtype, loc, dur, ws, we, deliv, pick, start, end,
                        tw0, tw1, n, route, rlen, st, lt, pre, suf, rcost, where, pos,
                        rloc, ntask,
                    )  # fmt: skip
        # Jobs left out before are tried again when they are near the ruined stretches,
        # and a few others at random.
        n_removed = n_pend
        for q in range(n_removed):
            removed_flag[pending[q]] = True
        for k in range(nj):
            j = jobs[k]
            if where[j] >= 0 or removed_flag[j]:
                continue
            retry = np.random.random() < RETRY_CHANCE
            for q in range(1, min(near.shape[1], RETRY_NEAR + 1)):
                if retry:
                    break
                retry = removed_flag[near[j, q]]
            if retry:
                pending[n_pend] = j
                n_pend += 1
        for q in range(n_removed):
            removed_flag[pending[q]] = False
        # Recreate order: priority first, then random, largest demand, farthest, or nearest.
        r = np.random.random() * 11.0
        for q in range(n_pend):
            j = pending[q]
            if r < 4.0:
                keys[q] = np.random.random()
            elif r < 8.0:
                keys[q] = -demand[j] + np.random.random() * 1e-3
            elif r < 10.0:
                keys[q] = -far[j] + np.random.random() * 1e-3
            else:
                keys[q] = far[j] + np.random.random() * 1e-3
            keys[q] -= prio[j] * 1e13
        order = np.argsort(keys[:n_pend])
        for q in range(n_pend):
            j = pending[order[q]]
            best_d = BIG
            best_v = -1
            best_g = -1
            for v in range(V):
                d, g = _best_gap(
                    j, v, BLINK, allowed, cap, max_tasks, fixed, T, C, vtype, loc,
                    dur, ws, we, deliv, pick, start, end, tw0, tw1, n, route, rlen,
                    st, lt, pre, suf, rloc, ntask,
                )  # fmt: skip
                if d < best_d:
                    best_d, best_v, best_g = d, v, g
            if best_v < 0:
                continue
            v = best_v
            for i in range(rlen[v], best_g, -1):
                route[v, i] = route[v, i - 1]
            route[v, best_g] = j
            rlen[v] += 1
            touched[v] = True
            _refresh(
                v, T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1,
                n, route, rlen, st, lt, pre, suf, rcost, where, pos, rloc, ntask,
            )  # fmt: skip
        # Accept by simulated annealing (a threshold drawn per iteration).
        new = _total(rcost, where, jobs, penalty)
        state = (route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos)
        saved = (bk_route, bk_rlen, bk_st, bk_lt, bk_pre, bk_suf, bk_rcost, bk_rloc,
                 bk_ntask, bk_where, bk_pos)  # fmt: skip
        if new < cur - temp * math.log(np.random.random() + 1e-300):
            cur = new
            _copy_touched(touched, *state, *saved)
            if new < best:
                best = new
                best_route[:] = route
                best_rlen[:] = rlen
        else:
            _copy_touched(touched, *saved, *state)
    return cur, best


@njit(cache=True)
def _copy_touched(
    touched, route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos,
    to_route, to_rlen, to_st, to_lt, to_pre, to_suf, to_rcost, to_rloc, to_ntask,
    to_where, to_pos,
):  # fmt: skip
    """Copy the touched routes' arrays (and every job's place) from one plan to the other."""
    for v in range(touched.shape[0]):
        if touched[v]:
            to_route[v] = route[v]
            to_rlen[v] = rlen[v]
            to_st[v] = st[v]
            to_lt[v] = lt[v]
            to_pre[v] = pre[v]
            to_suf[v] = suf[v]
            to_rcost[v] = rcost[v]
            to_rloc[v] = rloc[v]
            to_ntask[v] = ntask[v]
    to_where[:] = where
    to_pos[:] = pos
