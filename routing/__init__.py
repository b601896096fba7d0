"""The router: a VROOM-format planning problem in, a VROOM-format plan out."""

from __future__ import annotations

import time
from collections.abc import Callable

from routing.errors import ProblemError

__all__ = ["ProblemError", "solve_json"]


def solve_json(
    problem: dict,
    *,
    seconds: float = 5,
    seed: int = 0,
    keep_order: bool = False,
    threads: int = 1,
    isolated: bool = False,
    on_progress: Callable[[float, int], None] | None = None,
    osrm_url: str | None = None,
) -> dict:
    """Solve a VROOM input dict within `seconds`; return a VROOM output dict.

    `threads` > 1 runs that many searches at once, one per core, from different seeds, and
    keeps the best plan (routing/portfolio.py). `isolated` runs the search in other
    processes even with one thread, so that the caller's other threads are not held up
    while it runs (a web process planning in a background thread); not for `keep_order`."""
    # Imported here, not at the top: `python -m routing` imports this package before it
    # starts its clock, and these load numpy (and fixed/search load OR-Tools).
    from routing import schedule, vroom

    t0 = time.monotonic()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ProblemError(f"threads must be a positive integer, got {threads!r}")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ProblemError(f"seconds must be a positive number, got {seconds!r}")
    p = vroom.parse(problem, osrm_url=osrm_url)
    from routing import fixed, portfolio  # OR-Tools loads only for a valid problem

    # Leave a little time for building the output.
    deadline = t0 + max(0.05, seconds * 0.97 - 0.05 - 0.002 * len(p.tasks))
    if keep_order:
        routes, unassigned = fixed.insert_keeping_order(p, deadline=deadline)
    else:
        routes, unassigned = portfolio.plan(
            p, deadline=deadline, seed=seed, threads=threads, on_progress=on_progress, isolated=isolated
        )
    timed = [schedule.simulate(p, v, seq) for v, seq in enumerate(routes) if any(k == "task" for k, _ in seq)]
    ms = int((time.monotonic() - t0) * 1000)
    return vroom.format_solution(p, timed, unassigned, computing_ms=ms)
