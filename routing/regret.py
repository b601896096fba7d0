"""Regret-k insertion of jobs into routes (vectorised with RouteState.evaluate).

Jobs go in by priority first, then by regret (how much worse their k-th best route is
than their best); identical empty vehicles count as one option.
"""

from __future__ import annotations

import numpy as np

from routing.insertion import BIG, Inserter, RouteState
from routing.problem import Problem, Route

__all__ = ["initial_routes", "regret_insert", "regret_plan"]


def initial_routes(problem: Problem, ins: Inserter) -> list[Route]:
    """Empty routes holding each vehicle's breaks."""
    return [[("break", b) for b in range(len(v.breaks))] for v in problem.vehicles]


def regret_plan(problem: Problem, ins: Inserter, *, k: int = 2) -> list[Route]:
    """A plan from scratch by regret-k insertion (where the searches start)."""
    states = [RouteState(ins, v, r) for v, r in enumerate(initial_routes(problem, ins))]
    regret_insert(states, ins.jobs, k=k)
    return [list(s.steps) for s in states]


def regret_insert(
    states: list[RouteState],
    pending: list[int],
    *,
    k: int = 3,
    rng: np.random.Generator | None = None,
    noise: float = 0.0,
    candidates: list[int] | None = None,
) -> list[int]:
    """Insert pending jobs by priority then regret-k; returns the jobs that did not fit."""
    if not pending:
        return []
    ins = states[0].ins
    jobs = np.array(pending, dtype=np.int64)
    R = len(states)
    costs = np.empty((len(jobs), R), dtype=np.int64)
    gaps = np.empty((len(jobs), R), dtype=np.int64)
    late = np.zeros((len(jobs), R), dtype=bool)  # the best place makes a task late
    cand = set(range(R)) if candidates is None else set(candidates)
    for r, st in enumerate(states):
        if r in cand:
            costs[:, r], gaps[:, r], late[:, r] = st.evaluate(jobs)
        else:
            costs[:, r], gaps[:, r] = BIG, 0
    vtype = _vehicle_types(ins.p)
    alive = np.ones(len(jobs), dtype=bool)
    prio = ins.prio[jobs]
    left: list[int] = []
    while alive.any():
        idx = np.nonzero(alive)[0]
        cols = _columns(states, cand, vtype)
        c = costs[idx][:, cols]
        best = c.min(axis=1)
        dead = best >= BIG
        if dead.any():
            for j in idx[dead]:
                left.append(int(jobs[j]))
                alive[j] = False
            idx, c, best = idx[~dead], c[~dead], best[~dead]
            if not len(idx):
                break
        regret = _regret(c, best, min(k, len(cols)))
        if noise and rng is not None:
            regret = regret * (1 + noise * rng.random(len(regret)))
        top = prio[idx].max()
        top_mask = prio[idx] == top
        score = np.where(top_mask, regret, -np.inf)
        pick = int(idx[int(np.argmax(score))])
        r = int(np.argmin(costs[pick]))
        alive[pick] = False
        if prio[pick] == 0 and late[pick, r]:
            # Without priority, a job is left out rather than make a task late.
            left.append(int(jobs[pick]))
            continue
        st = states[r]
        st.insert(int(jobs[pick]), int(gaps[pick, r]))
        rest = np.nonzero(alive)[0]
        if len(rest):
            costs[rest, r], gaps[rest, r], late[rest, r] = st.evaluate(jobs[rest])
    return left


def _regret(c: np.ndarray, best: np.ndarray, kk: int) -> np.ndarray:
    """Regret-kk of each row of costs c (best: each row's minimum); -best when kk is 1."""
    if kk <= 1:
        return -best.astype(np.float64)
    part = np.partition(c, kk - 1, axis=1)[:, :kk]
    part = np.where(part >= BIG, best[:, None] * 2 + 10_000, part)
    return (part - best[:, None]).sum(axis=1).astype(np.float64)


def _vehicle_types(p: Problem) -> list[tuple]:
    """What makes two empty vehicles the same option."""
    return [
        (v.start, v.end, v.window, v.capacity, v.skills, v.profile, v.fixed, v.per_hour, v.per_km, len(v.breaks))
        for v in p.vehicles
    ]


def _columns(states: list[RouteState], cand: set[int], vtype: list[tuple]) -> list[int]:
    """The candidate routes, identical empty vehicles counted once when measuring regret."""
    seen_types = set()
    cols = []
    for r, st in enumerate(states):
        if r not in cand:
            continue
        if st.n_tasks() == 0:
            if vtype[st.v] in seen_types:
                continue
            seen_types.add(vtype[st.v])
        cols.append(r)
    return cols
