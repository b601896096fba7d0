"""Several searches at once, one per core, each from its own seed; the best plan by the
objective is kept.

The search stops on the clock, and on a tight day two seeds can end far apart (on the same
60-job county day, 0 or 4 tasks late). A second core buys a second draw in the same time.

The other searches are fresh Python processes (`python -m routing.portfolio FILE`), not
forks or multiprocessing's spawn: a fork of a parent with threads (a web worker, a job
queue) can deadlock, and spawn runs the parent's main script again. Starting one, with
its imports and the compiled search loaded from its cache, took 0.5 s here (6 Dec); short
solves (MIN_SECONDS: urgent insertions, tests, quick re-plans) keep to one process, a
choice rather than a measurement. One that has not answered shortly after the deadline is
stopped and ignored; one that fails is ignored (and logged).

Only up to MAX_TASKS tasks, which is search.HUGE: above it the compiled search runs alone,
with its own schedule. On 6 Dec two searches on 500-job county days were worse by the
objective in 4 of 6 paired runs; since the compiled search got 2-5x faster and the second
search plans on time first, they were better in 7 and worse in 5 of 12 (7 Dec: 0.1 % more
priority, 22 tasks late against 33; bench/ROUTER.md, "Two searches up to 600 tasks").

With due times, each search plans on time first (ON_TIME_FIRST), from MIN_SECONDS of budget
and up to MAX_TASKS tasks (otherwise it stays plain): its most urgent tasks (the highest
priority among those due: the emergencies) are planned alone for a tenth of its time, and
the ones on time there, which can all be on time together, have their deadlines made hard
for its search (top_on_time_hard). Its plan is feasible for the problem as given and
competes by the objective like any other. Paired runs on county days (bench/ROUTER.md,
"Every search plans on time first"), 36 runs each: only the second of two searches doing
so, against none, emergencies late 10 against 20 (7 Dec, morning); both of two, against
only the second, 0 against 12, tasks late 96 against 117, 0.1 % less priority; one search
alone, 0 against 15, tasks late 103 against 125, 0.1 % less priority (7 Dec, evening). The
order ranks priority first and judged those last two 11 and 12 runs better, 21 and 16
worse, but on-time delivery is what the service is measured by.

With `isolated`, every search runs in another process, even a single one, and this process
only waits (and relays the progress of the first): a web process whose worker thread plans a
day keeps serving its pages (see `plan`).

The deadline is passed as time.monotonic(), whose clock is the system's, the same in every
process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from routing import late_repair, search
from routing.problem import Problem, Route
from routing.reasons import allowed_vehicles

log = logging.getLogger(__name__)

MAX_THREADS = 8
MIN_SECONDS = 6.0  # below this, one search (see the docstring)
MAX_TASKS = search.HUGE  # above this, one search (see the docstring)
GRACE_SECONDS = 0.3  # how long after the deadline to wait for the other searches
# ... and for the search in another process that stands in for this one's (`isolated`): it
# is waited for as if it ran here, where a search may end a little after its deadline on a
# busy machine; only a hung one is stopped.
STAND_IN_GRACE_SECONDS = 30.0
ON_TIME_FIRST = True  # with due times, from MIN_SECONDS and up to MAX_TASKS, each search plans on time first
ON_TIME_ALONE_SHARE = 0.1  # of its time, to find which of them can all be on time
SEED_STRIDE = 7919  # other searches' seeds: far from the seed + 1 the stages use inside
PROGRESS = "routing-progress "  # a line on a search's stderr: fraction and cost
ROOT = Path(__file__).resolve().parent.parent


def usable_threads(threads: int) -> int:
    """`threads`, capped at the machine's cores and at MAX_THREADS."""
    return max(1, min(threads, os.cpu_count() or 1, MAX_THREADS))


def plan(
    problem: Problem,
    *,
    deadline: float,
    seed: int = 0,
    threads: int = 1,
    on_progress: Callable[[float, int], None] | None = None,
    isolated: bool = False,
) -> tuple[list[Route], list[tuple[int, str]]]:
    """search.plan here and in threads - 1 other processes; the best of their plans.

    `isolated`: every search runs in another process and this one only waits, so that the
    caller's other threads (a web server's) keep running: the search holds the interpreter
    lock most of the time. While a web process planned a day in its own thread its answers
    took up to 2.1-2.8 s (p95 71-452 ms); with the search elsewhere, up to 0.67 s (p95 33-37
    ms; bench/pages_during_plan.py, 6 Dec). Progress is relayed from the first search."""
    searches = usable_threads(threads)
    # Several searches, each planning on time first, only with MIN_SECONDS and up to MAX_TASKS.
    full = deadline - time.monotonic() >= MIN_SECONDS and 0 < len(problem.tasks) <= MAX_TASKS
    if not full:
        searches = 1
    on_time_first = ON_TIME_FIRST and problem.has_deadlines and full
    if searches == 1 and not isolated:
        return _search(problem, deadline, seed, on_time_first, on_progress)
    first_elsewhere = 0 if isolated else 1
    with tempfile.TemporaryDirectory(prefix="routing-") as tmp:
        paths = [Path(tmp) / f"{k}.pickle" for k in range(first_elsewhere, searches)]
        running = [  # only a stand-in reports progress: nobody reads the others' until they end
            _start(
                path, problem, deadline, seed + k * SEED_STRIDE, report=isolated and k == 0, on_time_first=on_time_first
            )
            for k, path in enumerate(paths, first_elsewhere)
        ]
        try:
            plans = [] if isolated else [_search(problem, deadline, seed, on_time_first, on_progress)]
            for n, (proc, path) in enumerate(zip(running, paths)):
                stand_in = isolated and n == 0
                wait_until = deadline + (STAND_IN_GRACE_SECONDS if stand_in else GRACE_SECONDS)
                plans.extend(_collect(proc, _result_path(path), wait_until, on_progress if stand_in else None))
        finally:
            for proc in running:  # when this search failed: none left behind
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    if not plans:
        raise RuntimeError("the search failed in its own process (see the log)")
    return best(problem, plans)


def best(problem: Problem, plans: list) -> tuple[list[Route], list[tuple[int, str]]]:
    """The plan first by the objective (the first one on a tie: this process's own)."""
    scored = [
        (search.objective(problem, search.served_tasks(routes), routes), n) for n, (routes, _) in enumerate(plans)
    ]
    log.info("best of %d searches: %s", len(plans), ", ".join(f"{s}" for s, _ in scored))
    return plans[min(scored)[1]]


def top_on_time_hard(problem: Problem, deadline: float, seed: int) -> Problem:
    """The problem with the deadlines of its most urgent tasks (the highest priority among
    those with a deadline) made hard, for the ones that can all be on time together: those
    on time when they are planned alone (until `deadline`)."""
    due = [i for i, t in enumerate(problem.tasks) if t.deadline is not None and t.kind == "job"]
    if not due:
        return problem
    top = max(problem.tasks[i].priority for i in due)
    ids = [i for i in due if problem.tasks[i].priority == top]
    alone = dataclasses.replace(problem, tasks=tuple(problem.tasks[i] for i in ids))
    routes, _ = search.plan(alone, deadline=deadline, seed=seed)
    on_time = {ids[i] for i in search.served_tasks(routes) - late_repair.late_tasks(alone, routes)}
    allowed, _ = allowed_vehicles(problem)
    return late_repair.hardened(problem, allowed, on_time)[0]


def _search(
    problem: Problem,
    deadline: float,
    seed: int,
    on_time_first: bool,
    on_progress: Callable[[float, int], None] | None = None,
) -> tuple[list[Route], list[tuple[int, str]]]:
    """search.plan, after planning the most urgent tasks on time first when asked."""
    if not on_time_first:
        return search.plan(problem, deadline=deadline, seed=seed, on_progress=on_progress)
    # The plan is feasible for `problem` too: only windows were narrowed.
    by = time.monotonic() + ON_TIME_ALONE_SHARE * max(0.0, deadline - time.monotonic())
    solved = top_on_time_hard(problem, by, seed)
    routes, left_out = search.plan(solved, deadline=deadline, seed=seed, on_progress=on_progress)
    if solved is not problem:  # why a task is left out, as the problem was given
        left_out = search.left_out(problem, search.served_tasks(routes))
    return routes, left_out


def _start(
    path: Path, problem: Problem, deadline: float, seed: int, *, report: bool = False, on_time_first: bool = False
) -> subprocess.Popen:
    with open(path, "wb") as f:
        pickle.dump((problem, deadline, seed, report, on_time_first), f, protocol=pickle.HIGHEST_PROTOCOL)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "routing.portfolio", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        text=True,
    )


def _result_path(problem_path: Path) -> Path:
    """Where the search started on `problem_path` writes its plan."""
    return problem_path.with_suffix(".plan")


def _collect(
    proc: subprocess.Popen, result: Path, wait_until: float, on_progress: Callable[[float, int], None] | None = None
) -> list:
    """The other search's plan, read from `result`; nothing when it failed or is late (it is
    then stopped). Its progress lines are passed to `on_progress` as they come."""
    overran = threading.Event()

    def stop() -> None:
        overran.set()
        proc.kill()

    timer = threading.Timer(max(0.0, wait_until - time.monotonic()), stop)
    timer.start()
    said: deque[str] = deque(maxlen=20)
    try:
        for line in proc.stderr:  # until the search ends or is stopped
            if not line.startswith(PROGRESS):
                said.append(line.rstrip())
            elif on_progress is not None:
                fraction, cost = line[len(PROGRESS) :].split()
                on_progress(float(fraction), int(cost))
        proc.wait()
    finally:
        timer.cancel()
    if result.exists():  # written whole (renamed into place), even if stopped while exiting
        return [pickle.loads(result.read_bytes())]
    if overran.is_set():
        log.warning("a search overran its deadline and was stopped")
    else:
        log.warning("a search failed: %s", [s for s in said if s][-1:])
    return []


def _main(path: str) -> None:
    """In the other process: read (problem, deadline, seed, report, on_time_first), search,
    write the plan beside the problem; with `report`, progress goes to stderr as it comes."""
    with open(path, "rb") as f:
        problem, deadline, seed, report_progress, on_time_first = pickle.load(f)

    def report(fraction: float, cost: int) -> None:
        sys.stderr.write(f"{PROGRESS}{fraction:.4f} {cost}\n")
        sys.stderr.flush()

    result = _search(problem, deadline, seed, on_time_first, report if report_progress else None)
    partial = Path(path).with_suffix(".partial")
    partial.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(_result_path(Path(path)))  # whole or absent, never half written


if __name__ == "__main__":
    _main(sys.argv[1])
    # The plan is on disk: skip the interpreter's clean-up of numpy, numba and OR-Tools, which
    # took over 0.3 s on a busy machine while the caller waited.
    sys.stderr.flush()
    os._exit(0)
