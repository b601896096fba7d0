"""Ruin and recreate on top of the insertion machinery (jobs only), simulated annealing.

The numpy version, used when the compiled one (sisr.py) is not compiled or cannot model
the problem.
"""

from __future__ import annotations

import math
import time

import numpy as np

from routing.insertion import Inserter, RouteState
from routing.regret import regret_insert

TEMP_START, TEMP_END, COOL = 0.1, 0.005, 0.1  # temperatures, in average cost per job
MAX_RUIN = 30
ROUTE_RUIN = 0.1  # share of ruins that empty a whole short route
STRING_RUIN = 0.5  # share of the others that remove strings (else nearest neighbours)


def _penalty(ins: Inserter, m0: int, m1: int, jobs) -> int:
    return sum(m1 * int(ins.prio[j]) + m0 for j in jobs)


class _Search:
    """What one run keeps: the jobs, their neighbours and where each one is."""

    def __init__(self, states: list[RouteState], rng: np.random.Generator):
        self.states, self.rng = states, rng
        self.ins = ins = states[0].ins
        self.jobs = jobs = np.array(ins.jobs, dtype=np.int64)
        # The objective as one Python int (no overflow): priority x m1 + late tasks x
        # w_n + lateness x w_l + jobs left out x m0 + cost.
        self.m0 = 1 + int(ins.C[0].max(axis=1).sum())
        self.w_l = self.m0 * (len(jobs) + 1)
        self.w_n = self.m1 = self.w_l
        if ins.has_dl:
            p = ins.p
            worst = sum(max(0, t.windows[-1][1] - t.deadline) for t in p.tasks if t.deadline is not None)
            self.w_n = self.w_l * (worst + 1)
            self.m1 = self.w_n * (len(p.tasks) + 1)
        # Neighbours by location (cost of the first vehicle's matrix).
        C0 = ins.C[0]
        jl = ins.loc[jobs]
        self.near = np.argsort(C0[np.ix_(jl, jl)] + C0[np.ix_(jl, jl)].T, axis=1)
        self.pos_of = {int(j): k for k, j in enumerate(jobs)}
        self.n_max = min(len(jobs) - 1, max(5, len(jobs) // 8), MAX_RUIN)
        self.where: dict[int, int] = {}

    def total(self, left) -> int:
        used = [s for s in self.states if s.n_tasks()]
        routes = sum(s.cost for s in used)
        if self.ins.has_dl:
            routes += sum(s.late_n * self.w_n + s.late_sum * self.w_l for s in used)
        return routes + _penalty(self.ins, self.m0, self.m1, left)

    def locate(self) -> None:
        self.where = {i: r for r, s in enumerate(self.states) for k, i in s.steps if k == "task"}

    def ruin_choice(self) -> list[int]:
        """The jobs to remove: a short route, strings near a seed job, or its neighbours."""
        rng, states = self.rng, self.states
        seed_j = int(self.jobs[rng.integers(len(self.jobs))])
        size = int(rng.integers(min(3, self.n_max), self.n_max + 1))
        used = [r for r, st in enumerate(states) if st.n_tasks()]
        if len(used) > 1 and rng.random() < ROUTE_RUIN:
            # Empty one of the shortest routes: the only way to merge routes.
            short = sorted(used, key=lambda r: states[r].n_tasks())[:3]
            r0 = short[int(rng.integers(len(short)))]
            return [i for k, i in states[r0].steps if k == "task" and i in self.pos_of]
        if rng.random() < STRING_RUIN:
            return self._strings(seed_j, size)
        removed = []
        for k in self.near[self.pos_of[seed_j]]:
            j = int(self.jobs[k])
            if j in self.where:
                removed.append(j)
                if len(removed) >= size:
                    break
        return removed

    def _strings(self, seed_j: int, size: int) -> list[int]:
        """Strings of consecutive stops from the routes nearest the seed (as in SISR)."""
        rng = self.rng
        n_strings = int(rng.integers(1, 4))
        l_max = max(2, min(10, size))
        ruined: set[int] = set()
        removed: list[int] = []
        for k in self.near[self.pos_of[seed_j]]:
            j = int(self.jobs[k])
            r = self.where.get(j)
            if r is None or r in ruined:
                continue
            ruined.add(r)
            route = [i for kind, i in self.states[r].steps if kind == "task"]
            pos = route.index(j)
            length = int(rng.integers(1, min(l_max, len(route)) + 1))
            first = int(rng.integers(max(0, pos - length + 1), min(pos, len(route) - length) + 1))
            removed += [i for i in route[first : first + length] if i in self.pos_of]
            if len(ruined) >= n_strings:
                break
        return removed

    def retries(self, removed: list[int], unassigned: list[int]) -> list[int]:
        """The unplaced jobs near the ruined area, and a few others at random."""
        pool = set(unassigned)
        retry = [
            int(self.jobs[k]) for j in removed for k in self.near[self.pos_of[j], 1:8] if int(self.jobs[k]) in pool
        ]
        if len(unassigned) > 0:
            extra = self.rng.choice(len(unassigned), size=min(len(unassigned), 5), replace=False)
            retry += [unassigned[e] for e in extra]
        return list(dict.fromkeys(retry))

    def candidates(self, pending: list[int], touched: set[int]) -> list[int]:
        """Routes worth trying: the ruined ones, those near the pending jobs, one empty."""
        cands = set(touched)
        for j in pending:
            for k in self.near[self.pos_of[j], 1:12]:
                r = self.where.get(int(self.jobs[k]))
                if r is not None:
                    cands.add(r)
        for r, s in enumerate(self.states):
            if s.n_tasks() == 0:
                cands.add(r)
                break
        return sorted(cands)


def _temperatures(states: list[RouteState], n_jobs: int, cool: bool) -> tuple:
    """Start and end temperatures, in units of the plan's average cost per job."""
    base_cost = max(1, sum(s.cost for s in states if s.n_tasks()))
    per_job = base_cost / max(1, n_jobs)
    t0_temp, t1_temp = TEMP_START * per_job, TEMP_END * per_job
    if cool:  # polishing a good plan: start cooler
        t0_temp = t0_temp * COOL
    return t0_temp, t1_temp


def _accept(new: int, cur: int, temp: float, rng: np.random.Generator) -> bool:
    """Simulated annealing: better always, worse with probability exp(-worse / temp)."""
    return new < cur or rng.random() < math.exp(-(new - cur) / max(temp, 1e-9))


def ruin_recreate(
    states: list[RouteState], unassigned: list[int], *, deadline: float, seed: int = 0, on_best=None, cool: bool = False
) -> tuple[list[list], list[int]]:
    """Improve the routes in place until the deadline; return the best routes and leftovers."""
    if not states:
        return [], unassigned
    rng = np.random.default_rng(seed)
    if len(states[0].ins.jobs) < 2:
        return [list(s.steps) for s in states], unassigned
    search = _Search(states, rng)
    cur_cost = best_cost = search.total(unassigned)
    best = ([list(s.steps) for s in states], list(unassigned))
    t_start = time.monotonic()
    span = max(deadline - t_start, 1e-6)
    t0_temp, t1_temp = _temperatures(states, len(search.jobs), cool)
    it = 0
    while (now := time.monotonic()) < deadline:
        it += 1
        temp = t0_temp * (t1_temp / t0_temp) ** ((now - t_start) / span)
        search.locate()
        removed = search.ruin_choice()
        touched = {search.where[j] for j in removed}
        saved = {r: list(states[r].steps) for r in touched}
        rem = set(removed)
        for r in touched:
            states[r].steps = [s for s in states[r].steps if not (s[0] == "task" and s[1] in rem)]
            states[r].refresh()
        before = {r: list(states[r].steps) for r in range(len(states))}
        retry = search.retries(removed, unassigned)
        rest = [j for j in unassigned if j not in set(retry)]
        pending = removed + retry
        rng.shuffle(pending)
        left = regret_insert(
            states,
            pending,
            k=int(rng.integers(1, 4)),
            rng=rng,
            noise=0.2,
            candidates=search.candidates(pending, touched),
        )
        left = left + rest
        new_cost = search.total(left)
        if _accept(new_cost, cur_cost, temp, rng):
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
