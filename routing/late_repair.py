"""A last try at the tasks the plan serves late: each one that some window still lets start
by its deadline is taken out and searched back in with that deadline hard.

The search's strict order (priority served first) makes a plan with a late task stay late
once every step towards on time passes through a plan that serves less; here the late
tasks are on time by construction and the search only has to win the priority back. The
late tasks are tried all together, then one at a time (highest priority first), each try
from the best plan so far and with the deadlines of the tries kept before it still hard:
all together often costs priority that one at a time does not. A try is kept only when it
is better by the objective, so this can only help.

`hardened` also serves routing/portfolio.py's on-time-first search.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from routing.insertion import Inserter, RouteState
from routing.problem import Problem, Route
from routing.regret import regret_insert
from routing.schedule import simulate

ONE_AT_A_TIME = True  # after the try with all of them (bench/late_repair_pairs.py measures it)

Search = Callable[[Inserter, list[Route], float], list[Route]]


def late_tasks(problem: Problem, routes: list[Route]) -> set[int]:
    """Tasks served after their deadline in the plan."""
    return {s.index for v, r in enumerate(routes) if r for s in simulate(problem, v, r).steps if s.late_by > 0}


def hardened(problem: Problem, allowed: list[set[int]], tasks: set[int]) -> tuple[Problem, set[int]]:
    """The problem with the deadlines of `tasks` made the end of their windows (those that
    no window lets start by the deadline keep theirs, soft); returns it and the tasks made hard."""
    out, hard = list(problem.tasks), set()
    for i in tasks:
        t = problem.tasks[i]
        windows = tuple((a, min(b, t.deadline)) for a, b in t.windows if a <= t.deadline)
        if windows and allowed[i]:
            out[i] = dataclasses.replace(t, windows=windows, deadline=None)
            hard.add(i)
    return dataclasses.replace(problem, tasks=tuple(out)), hard


def repair(
    problem: Problem,
    allowed: list[set[int]],
    routes: list[Route],
    search: Search,
    score: Callable[[list[Route]], tuple],
    until: float,
) -> list[Route] | None:
    """A plan better by `score` (lower is better) with late tasks searched back in on time,
    or None when none was found (or no late task can be on time). `search(ins, start,
    by)` improves routes until the clock reads `by`; the tries share the time to `until`."""
    _, can = hardened(problem, allowed, late_tasks(problem, routes))
    if not can:
        return None
    tries = [can]
    if ONE_AT_A_TIME and len(can) > 1:
        tries += [{i} for i in sorted(can, key=lambda i: (-problem.tasks[i].priority, i))]
    best, best_score, kept_hard, found = routes, score(routes), set(), False
    for k, tasks in enumerate(tries):
        late = late_tasks(problem, best)
        left = [t for t in tries[k:] if t & late]
        if not tasks & late:
            continue
        now = time.monotonic()
        if now >= until:
            break
        hard, made_hard = hardened(problem, allowed, kept_hard | tasks)
        moved = made_hard & tasks
        ins = Inserter(hard, allowed)
        start = [[s for s in r if not (s[0] == "task" and s[1] in moved)] for r in best]
        states = [RouteState(ins, v, r) for v, r in enumerate(start)]
        regret_insert(states, sorted(moved), k=2)
        out = search(ins, [list(s.steps) for s in states], now + (until - now) / len(left))
        out_score = score(out)
        if out_score < best_score:
            best, best_score, found = out, out_score, True
            kept_hard |= made_hard
    return best if found else None
