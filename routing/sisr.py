"""Fast ruin and recreate, compiled with numba, for plans of jobs without breaks or shipments.

Slack induction by string removals (Christiaens and Vanden Berghe, 2020): remove strings of
consecutive stops from routes near a random stop, put the removed jobs back one by one at
their cheapest place (skipping a few places at random, "blinks"), and accept the new plan
by simulated annealing. Each iteration takes microseconds, so tens of thousands fit in a
second where the numpy version (lns.py) manages a few hundred.

Everything here works on integer arrays. A route's cached arrays give an O(1) test per gap:
`start` (earliest service start of each stop), `latest` (latest service start that keeps the
rest of the route on time), and prefix / suffix maxima of the on-board load.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from routing.insertion import Inserter

BIG = 1 << 60
AVG_REMOVED = 10  # SISR's c-bar: jobs removed per iteration on average
MAX_STRING = 10  # SISR's L-max: longest string removed from one route
BLINK = 0.01  # chance of skipping a place while inserting
CHUNK_SECONDS = 0.05  # hand back to Python this often to watch the clock


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
    from routing.insertion import Inserter
    from routing.reasons import allowed_vehicles

    problem = vroom.parse(
        {
            "vehicles": [
                {"id": 1, "start": [0.0, 52.0], "end": [0.0, 52.0], "capacity": [4]}
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
        ins, [[("task", 0), ("task", 1), ("task", 2)]], deadline=time.monotonic()
    )


class Plan:
    """Routes as arrays plus the cached data of each route; all of it passed to numba."""

    def __init__(self, ins: Inserter, routes: list[list[tuple[str, int]]]):
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
        self.loc, self.dur = ins.loc, ins.dur
        self.ws, self.we = ins.ws, ins.we
        self.deliv, self.pick = ins.deliv, ins.pick
        self.allowed = ins.allowed
        vs = p.vehicles
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
        # Neighbours of each job among the jobs, nearest first (itself first).
        C0 = self.C[0]
        jl = self.loc[jobs]
        sym = C0[np.ix_(jl, jl)] + C0[np.ix_(jl, jl)].T
        np.fill_diagonal(sym, -1)
        self.near = np.full((n, len(jobs)), -1, dtype=np.int64)
        self.near[jobs] = jobs[np.argsort(sym, axis=1, kind="stable")]
        # Sort keys for the recreate order: demand and distance from the first depot.
        self.demand = (self.deliv + self.pick).sum(axis=1).astype(np.int64)
        self.far = (C0[self.start[0], self.loc] + C0[self.loc, self.end[0]]).astype(
            np.int64
        )
        D = self.deliv.shape[1]
        M = int(min(n, max(self.max_tasks.max(), 1))) + 1
        self.route = np.full((V, M), -1, dtype=np.int64)
        self.rlen = np.zeros(V, dtype=np.int64)
        for v, r in enumerate(routes):
            ids = [i for k, i in r if k == "task"]
            self.route[v, : len(ids)] = ids
            self.rlen[v] = len(ids)
        self.st = np.zeros((V, M), dtype=np.int64)
        self.lt = np.zeros((V, M + 1), dtype=np.int64)
        self.pre = np.zeros((V, M + 1, D), dtype=np.int64)
        self.suf = np.zeros((V, M + 1, D), dtype=np.int64)
        self.rcost = np.zeros(V, dtype=np.int64)
        self.where = np.full(n, -1, dtype=np.int64)
        self.pos = np.full(n, -1, dtype=np.int64)
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
        )

    def routes(self) -> list[list[tuple[str, int]]]:
        return [
            [("task", int(i)) for i in self.route[v, : self.rlen[v]]]
            for v in range(len(self.rlen))
        ]


def ruin_recreate(
    ins: Inserter,
    routes: list[list[tuple[str, int]]],
    *,
    deadline: float,
    seed: int = 0,
    temperatures: tuple[float, float] = (0.5, 0.005),
    on_best=None,
) -> list[list[tuple[str, int]]]:
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
    v,
    T,
    C,
    vtype,
    loc,
    dur,
    ws,
    we,
    deliv,
    pick,
    start,
    end,
    tw0,
    tw1,
    route,
    rlen,
    st,
    lt,
    pre,
    suf,
    rcost,
    where,
    pos,
):
    """Recompute route v's cached arrays (and where/pos of its jobs)."""
    tt = vtype[v]
    n_r = rlen[v]
    t = tw0[v]
    lp = start[v]
    cost = 0
    D = deliv.shape[1]
    for d in range(D):
        pre[v, 0, d] = 0
    for i in range(n_r):
        j = route[v, i]
        where[j] = v
        pos[j] = i
        lj = loc[j]
        s = _first_start(ws, we, j, t + T[tt, lp, lj])
        st[v, i] = s
        t = s + dur[j]
        cost += C[tt, lp, lj]
        lp = lj
        for d in range(D):
            pre[v, 0, d] += deliv[j, d]
    if n_r == 0:
        rcost[v] = 0
    else:
        rcost[v] = cost + C[tt, lp, end[v]]
    # Latest starts, backwards; lt[v, n_r] is the latest arrival at the end.
    lt[v, n_r] = tw1[v]
    ln = end[v]
    for i in range(n_r - 1, -1, -1):
        j = route[v, i]
        lt[v, i] = _latest_start(ws, we, j, lt[v, i + 1] - T[tt, loc[j], ln] - dur[j])
        ln = loc[j]
    # Loads after each step (0 = leaving the depot with every delivery): prefix maxima.
    for i in range(n_r):
        j = route[v, i]
        for d in range(D):
            load = pre[v, i, d] if i == 0 else suf[v, i, d]
            suf[v, i + 1, d] = load - deliv[j, d] + pick[j, d]
    for d in range(D):
        suf[v, 0, d] = pre[v, 0, d]
    # suf currently holds the loads; turn it into suffix maxima and pre into prefix maxima.
    for d in range(D):
        m = suf[v, 0, d]
        for i in range(n_r + 1):
            m = max(m, suf[v, i, d])
            pre[v, i, d] = m
        m = -BIG
        for i in range(n_r, -1, -1):
            m = max(m, suf[v, i, d])
            suf[v, i, d] = m


@njit(cache=True)
def _best_gap(
    j,
    v,
    blink,
    allowed,
    cap,
    max_tasks,
    fixed,
    T,
    C,
    vtype,
    loc,
    dur,
    ws,
    we,
    deliv,
    pick,
    start,
    end,
    tw0,
    tw1,
    route,
    rlen,
    st,
    lt,
    pre,
    suf,
):
    """(added cost, gap) of the cheapest feasible place for job j in route v."""
    if not allowed[j, v] or rlen[v] + 1 > max_tasks[v]:
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
            prev = route[v, g - 1]
            lp = loc[prev]
            dep = st[v, g - 1] + dur[prev]
        s = _first_start(ws, we, j, dep + T[tt, lp, lj])
        if s >= BIG:
            continue
        ln = end[v] if g == n_r else loc[route[v, g]]
        if s + dur[j] + T[tt, lj, ln] > lt[v, g]:
            continue
        delta = C[tt, lp, lj] + C[tt, lj, ln] - C[tt, lp, ln]
        if n_r == 0:
            delta += fixed[v] + C[tt, lp, ln]
        if delta < best:
            best = delta
            best_g = g
    return best, best_g


@njit(cache=True)
def _iterate(
    n_iter,
    temp,
    cur,
    best,
    best_route,
    best_rlen,
    bk_route,
    bk_rlen,
    bk_st,
    bk_lt,
    bk_pre,
    bk_suf,
    bk_rcost,
    bk_where,
    bk_pos,
    allowed,
    cap,
    max_tasks,
    fixed,
    penalty,
    near,
    demand,
    far,
    jobs,
    T,
    C,
    vtype,
    loc,
    dur,
    ws,
    we,
    deliv,
    pick,
    start,
    end,
    tw0,
    tw1,
    route,
    rlen,
    st,
    lt,
    pre,
    suf,
    rcost,
    where,
    pos,
):
    """n_iter ruin-and-recreate steps; returns (current cost, best cost)."""
    V = rlen.shape[0]
    nj = jobs.shape[0]
    touched = np.zeros(V, dtype=np.bool_)
    pending = np.empty(nj, dtype=np.int64)
    keys = np.empty(nj, dtype=np.float64)
    for _ in range(n_iter):
        # Ruin: strings of consecutive jobs from routes near a random job.
        served = 0
        used = 0
        for v in range(V):
            if rlen[v] > 0:
                served += rlen[v]
                used += 1
        touched[:] = False
        n_pend = 0
        if served > 0:
            avg_len = served / used
            ls_max = min(float(MAX_STRING), avg_len)
            ks_max = 4.0 * AVG_REMOVED / (1.0 + ls_max) - 1.0
            ks = int(np.random.random() * ks_max) + 1
            seed_job = jobs[np.random.randint(0, nj)]
            n_ruined = 0
            for k in range(nj):
                c = near[seed_job, k]
                if c < 0 or n_ruined >= ks:
                    break
                v = where[c]
                if v < 0 or touched[v]:
                    continue
                touched[v] = True
                n_ruined += 1
                n_r = rlen[v]
                l_max = min(float(n_r), ls_max)
                length = int(np.random.random() * l_max) + 1
                p = pos[c]
                first = p - np.random.randint(0, length)
                first = max(first, 0)
                if first + length > n_r:
                    first = n_r - length
                # Split string: keep a few jobs inside the removed stretch.
                keep = 0
                if length < n_r and np.random.random() < 0.5:
                    keep = 1
                    while length + keep < n_r and np.random.random() < 0.5:
                        keep += 1
                    first = min(first, n_r - length - keep)
                kept_from = first + np.random.randint(0, length + 1)
                w = 0
                for i in range(n_r):
                    j = route[v, i]
                    removed = first <= i < first + length + keep and not (
                        kept_from <= i < kept_from + keep
                    )
                    if removed:
                        pending[n_pend] = j
                        n_pend += 1
                        where[j] = -1
                        pos[j] = -1
                    else:
                        route[v, w] = j
                        w += 1
                rlen[v] = w
            for v in range(V):
                if touched[v]:
                    _refresh(
                        v,
                        T,
                        C,
                        vtype,
                        loc,
                        dur,
                        ws,
                        we,
                        deliv,
                        pick,
                        start,
                        end,
                        tw0,
                        tw1,
                        route,
                        rlen,
                        st,
                        lt,
                        pre,
                        suf,
                        rcost,
                        where,
                        pos,
                    )
        # Jobs left out before are tried again too.
        for k in range(nj):
            j = jobs[k]
            if where[j] < 0:
                seen = False
                for q in range(n_pend):
                    if pending[q] == j:
                        seen = True
                        break
                if not seen:
                    pending[n_pend] = j
                    n_pend += 1
        # Recreate order: random, largest demand, farthest, or nearest first.
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
        order = np.argsort(keys[:n_pend])
        # Empty routes are all alike for one vehicle type: try one of each at most.
        for q in range(n_pend):
            j = pending[order[q]]
            best_d = BIG
            best_v = -1
            best_g = -1
            for v in range(V):
                d, g = _best_gap(
                    j,
                    v,
                    BLINK,
                    allowed,
                    cap,
                    max_tasks,
                    fixed,
                    T,
                    C,
                    vtype,
                    loc,
                    dur,
                    ws,
                    we,
                    deliv,
                    pick,
                    start,
                    end,
                    tw0,
                    tw1,
                    route,
                    rlen,
                    st,
                    lt,
                    pre,
                    suf,
                )
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
                v,
                T,
                C,
                vtype,
                loc,
                dur,
                ws,
                we,
                deliv,
                pick,
                start,
                end,
                tw0,
                tw1,
                route,
                rlen,
                st,
                lt,
                pre,
                suf,
                rcost,
                where,
                pos,
            )
        new = _total(rcost, where, jobs, penalty)
        if new < cur - temp * math.log(np.random.random() + 1e-300):
            cur = new
            for v in range(V):
                if touched[v]:
                    bk_route[v] = route[v]
                    bk_rlen[v] = rlen[v]
                    bk_st[v] = st[v]
                    bk_lt[v] = lt[v]
                    bk_pre[v] = pre[v]
                    bk_suf[v] = suf[v]
                    bk_rcost[v] = rcost[v]
            bk_where[:] = where
            bk_pos[:] = pos
            if new < best:
                best = new
                best_route[:] = route
                best_rlen[:] = rlen
        else:
            for v in range(V):
                if touched[v]:
                    route[v] = bk_route[v]
                    rlen[v] = bk_rlen[v]
                    st[v] = bk_st[v]
                    lt[v] = bk_lt[v]
                    pre[v] = bk_pre[v]
                    suf[v] = bk_suf[v]
                    rcost[v] = bk_rcost[v]
            where[:] = bk_where
            pos[:] = bk_pos
    return cur, best
