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

Only up to MAX_TASKS tasks. On 500-job county days the search is still improving when the
clock stops, and two searches side by side probably each run slower there (sharing the
cache and the memory bus; not measured): in paired runs two searches were worse by the
objective in 4 of 6 (10-20 less priority, though fewer late), where on 60-job days, whose
search has settled by then, they were better in 17 and worse in 5 of 24 (bench/ROUTER.md).

The deadline is passed as time.monotonic(), whose clock is the system's, the same in every
process.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from routing import search
from routing.problem import Problem, Route

log = logging.getLogger(__name__)

MAX_THREADS = 8
MIN_SECONDS = 6.0  # below this, one search (see the docstring)
MAX_TASKS = 300  # above this, one search (see the docstring)
GRACE_SECONDS = 0.3  # how long after the deadline to wait for the other searches
SEED_STRIDE = 7919  # other searches' seeds: far from the seed + 1 the stages use inside
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
) -> tuple[list[Route], list[tuple[int, str]]]:
    """search.plan here and in threads - 1 other processes; the best of their plans."""
    others = usable_threads(threads) - 1
    if others == 0 or deadline - time.monotonic() < MIN_SECONDS or not 0 < len(problem.tasks) <= MAX_TASKS:
        return search.plan(problem, deadline=deadline, seed=seed, on_progress=on_progress)
    with tempfile.TemporaryDirectory(prefix="routing-") as tmp:
        running = [
            _start(Path(tmp) / f"{k}.pickle", problem, deadline, seed + k * SEED_STRIDE) for k in range(1, others + 1)
        ]
        try:
            plans = [search.plan(problem, deadline=deadline, seed=seed, on_progress=on_progress)]
            for proc in running:
                plans.extend(_collect(proc, deadline + GRACE_SECONDS))
        finally:
            for proc in running:  # when this search failed: none left behind, blocked on a full pipe
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
    return best(problem, plans)


def best(problem: Problem, plans: list) -> tuple[list[Route], list[tuple[int, str]]]:
    """The plan first by the objective (the first one on a tie: this process's own)."""
    scored = [
        (search.objective(problem, search.served_tasks(routes), routes), n) for n, (routes, _) in enumerate(plans)
    ]
    log.info("best of %d searches: %s", len(plans), ", ".join(f"{s}" for s, _ in scored))
    return plans[min(scored)[1]]


def _start(path: Path, problem: Problem, deadline: float, seed: int) -> subprocess.Popen:
    with open(path, "wb") as f:
        pickle.dump((problem, deadline, seed), f, protocol=pickle.HIGHEST_PROTOCOL)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "routing.portfolio", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )


def _collect(proc: subprocess.Popen, wait_until: float) -> list:
    """The other search's plan; nothing when it failed or is late (it is then stopped)."""
    try:
        out, err = proc.communicate(timeout=max(0.0, wait_until - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        log.warning("a second search overran its deadline and was stopped")
        return []
    if proc.returncode != 0:
        log.warning("a second search failed: %s", err.decode(errors="replace").strip().splitlines()[-1:])
        return []
    return [pickle.loads(out)]


def _main(path: str) -> None:
    """In the other process: read (problem, deadline, seed), search, write the plan."""
    with open(path, "rb") as f:
        problem, deadline, seed = pickle.load(f)
    result = search.plan(problem, deadline=deadline, seed=seed)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    _main(sys.argv[1])
