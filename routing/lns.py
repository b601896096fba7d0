"""Ruin and recreate on top of the insertion machinery (jobs only), simulated annealing."""

from __future__ import annotations

import math
import time

import numpy as np

from routing.insertion import Inserter, RouteState, regret_insert

TEMP_START, TEMP_END, COOL = 0.1, 0.005, 0.1  # temperatures, in average cost per job
MAX_RUIN = 30
ROUTE_RUIN = 0.1  # share of ruins that empty a whole short route
STRING_RUIN = 0.5  # share of the others that remove strings (else nearest neighbours)


def _penalty(ins: Inserter, m0: int, m1: int, jobs) -> int:
    return sum(m1 * int(ins.prio[j]) + m0 for j in jobs)


def ruin_recreate(
    states: list[RouteState],
    unassigned: list[int],
    *,
    deadline: float,
    seed: int = 0,
    on_best=None,
    cool: bool = False,
) -> tuple[list[list], list[int]]:
    """Improve the routes in place until the deadline; return the best routes and leftovers."""
    if not states:
        return [], unassigned
    ins = states[0].ins
    rng = np.random.default_rng(seed)
    jobs = np.array(ins.jobs, dtype=np.int64)
    if len(jobs) < 2:
        return [list(s.steps) for s in states], unassigned
    m0 = 1 + sum(int(ins.C[0].max(axis=1).sum()) for _ in [0])
    m1 = m0 * (len(jobs) + 1)
    # Neighbours by location (cost of the first vehicle's matrix).
    C0 = ins.C[0]
    jl = ins.loc[jobs]
    near = np.argsort(C0[np.ix_(jl, jl)] + C0[np.ix_(jl, jl)].T, axis=1)
    pos_of = {int(j): k for k, j in enumerate(jobs)}

    def total(st, left) -> int:
        return sum(s.cost for s in st if s.n_tasks()) + _penalty(ins, m0, m1, left)

    cur_cost = total(states, unassigned)
    best_cost = cur_cost
    best = ([list(s.steps) for s in states], list(unassigned))
    t_start = time.monotonic()
    span = max(deadline - t_start, 1e-6)
    base_cost = max(1, sum(s.cost for s in states if s.n_tasks()))
    per_job = base_cost / max(1, len(jobs))
    t0_temp, t1_temp = TEMP_START * per_job, TEMP_END * per_job
    if cool:  # polishing a good plan: start cooler
        t0_temp = t0_temp * COOL
    where = {}
    it = 0
    n_max = min(len(jobs) - 1, max(5, len(jobs) // 8), MAX_RUIN)
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        it += 1
        frac = (now - t_start) / span
        temp = t0_temp * (t1_temp / t0_temp) ** frac
        where.clear()
        for r, s in enumerate(states):
            for k, i in s.steps:
                if k == "task":
                    where[i] = r
        # Ruin: a seed job and its nearest routed neighbours.
        seed_j = int(jobs[rng.integers(len(jobs))])
        size = int(rng.integers(min(3, n_max), n_max + 1))
        removed = []
        used = [r for r, st in enumerate(states) if st.n_tasks()]
        if len(used) > 1 and rng.random() < ROUTE_RUIN:
            # Empty one of the shortest routes: the only way to merge routes.
            short = sorted(used, key=lambda r: states[r].n_tasks())[:3]
            r0 = short[int(rng.integers(len(short)))]
            removed = [i for k, i in states[r0].steps if k == "task" and i in pos_of]
        elif rng.random() < STRING_RUIN:
            # Strings of consecutive stops from the routes nearest the seed (as in SISR).
            n_strings = int(rng.integers(1, 4))
            l_max = max(2, min(10, size))
            ruined: set[int] = set()
            for k in near[pos_of[seed_j]]:
                j = int(jobs[k])
                r = where.get(j)
                if r is None or r in ruined:
                    continue
                ruined.add(r)
                route = [i for kind, i in states[r].steps if kind == "task"]
                pos = route.index(j)
                length = int(rng.integers(1, min(l_max, len(route)) + 1))
                first = int(
                    rng.integers(
                        max(0, pos - length + 1), min(pos, len(route) - length) + 1
                    )
                )
                removed += [i for i in route[first : first + length] if i in pos_of]
                if len(ruined) >= n_strings:
                    break
        else:
            for k in near[pos_of[seed_j]]:
                j = int(jobs[k])
                if j in where:
                    removed.append(j)
                    if len(removed) >= size:
                        break
        touched = {where[j] for j in removed}
        saved = {r: list(states[r].steps) for r in touched}
        rem = set(removed)
        for r in touched:
            states[r].steps = [
                s for s in states[r].steps if not (s[0] == "task" and s[1] in rem)
            ]
            states[r].refresh()
        before = {r: list(states[r].steps) for r in range(len(states))}
        # Retry the unplaced jobs near the ruined area, and a few others at random.
        pool = set(unassigned)
        retry = [
            int(jobs[k])
            for j in removed
            for k in near[pos_of[j], 1:8]
            if int(jobs[k]) in pool
        ]
        if len(unassigned) > 0:
            extra = rng.choice(
                len(unassigned), size=min(len(unassigned), 5), replace=False
            )
            retry += [unassigned[e] for e in extra]
        retry = list(dict.fromkeys(retry))
        rest = [j for j in unassigned if j not in set(retry)]
        pending = removed + retry
        rng.shuffle(pending)
        cands = set(touched)
        for j in pending:
            for k in near[pos_of[j], 1:12]:
                r = where.get(int(jobs[k]))
                if r is not None:
                    cands.add(r)
        types = set()
        for r, s in enumerate(states):
            if s.n_tasks() == 0 and s.v not in types:
                cands.add(r)
                types.add(s.v)
                break
        left = regret_insert(
            states,
            pending,
            k=int(rng.integers(1, 4)),
            rng=rng,
            noise=0.2,
            candidates=sorted(cands),
        )
        left = left + rest
        new_cost = total(states, left)
        if new_cost < cur_cost or rng.random() < math.exp(
            -(new_cost - cur_cost) / max(temp, 1e-9)
        ):
            cur_cost = new_cost
            unassigned = left
            if new_cost < best_cost:
                best_cost = new_cost
                best = ([list(s.steps) for s in states], list(left))
                if on_best is not None:
                    on_best(best_cost)
        else:
            for r, s in enumerate(states):
                if s.steps != before[r] or r in saved:
                    s.steps = saved.get(r, before[r])
                    s.refresh()
    ruin_recreate.iterations = it
    return best[0], best[1]
