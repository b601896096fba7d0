"""A last try at the tasks the plan serves late: each one that some window still lets start
by its deadline is taken out and searched back in with that deadline hard.

The search's strict order (priority served first) makes a plan with a late task stay late
once every step towards on time passes through a plan that serves less; here the late
tasks are on time by construction and the search only has to win the priority back. The
result is kept only when it is better by the objective, so this can only help.
"""

from __future__ import annotations

import dataclasses

from routing.insertion import Inserter, RouteState
from routing.problem import Problem, Route
from routing.regret import regret_insert
from routing.schedule import simulate


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


def repair(problem: Problem, allowed: list[set[int]], routes: list[Route], search) -> list[Route] | None:
    """Routes with the late tasks that can be on time searched back in on time, or None
    when no task is late or none can be on time. `search(ins, routes)` improves routes."""
    late = late_tasks(problem, routes)
    if not late:
        return None
    hard, made_hard = hardened(problem, allowed, late)
    if not made_hard:
        return None
    ins = Inserter(hard, allowed)
    start = [[s for s in r if not (s[0] == "task" and s[1] in made_hard)] for r in routes]
    states = [RouteState(ins, v, r) for v, r in enumerate(start)]
    regret_insert(states, sorted(made_hard), k=2)
    return search(ins, [list(s.steps) for s in states])
