"""Iterations a second of the compiled ruin and recreate (routing/sisr_kernels.iterate) on
county days, with and without their due times, from the same regret-insertion plan
(regret.regret_plan); the objective reached is printed too, so that two trees can be seen
to search alike.

    python bench/search_rate.py [--iterations 20000] [--days 60x4:3,200x10:3,500x25:3]
    ROUTING_ROOT=/path/to/another/checkout python bench/search_rate.py   # that tree's router
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("ROUTING_ROOT", str(ROOT)))

# The router first: the bench modules below put this checkout on the path too.
from routing import sisr, vroom  # noqa: E402, I001
from routing import sisr_kernels as k  # noqa: E402
from routing.insertion import Inserter  # noqa: E402
from routing.reasons import allowed_vehicles  # noqa: E402
from routing.regret import regret_plan  # noqa: E402

sys.path.insert(1, str(Path(__file__).resolve().parent))
import county_day  # noqa: E402 - beside this file
from county_pairs import parse_days  # noqa: E402

TEMPERATURE = 100.0  # seconds of cost: a walk that accepts some worse plans, as the search does


def rate(ins: Inserter, routes: list, iterations: int, deadlines: bool) -> tuple[float, tuple]:
    """(iterations a second, objective reached) of `iterations` steps at one temperature."""
    plan = sisr.Plan(ins, routes, deadlines=deadlines)
    saved = tuple(a.copy() for a in plan.state())
    best_route, best_rlen = plan.route.copy(), plan.rlen.copy()
    since_best = np.zeros(len(best_rlen), dtype=np.bool_)
    cur = best = plan.objective()
    k.seed(1)
    rest = (plan.data(), plan.fleet(), plan.state(), saved)
    k.iterate(0, TEMPERATURE, cur, best, best_route, best_rlen, since_best, plan.search(0), *rest)  # loaded
    t = time.perf_counter()
    cur, best = k.iterate(iterations, TEMPERATURE, cur, best, best_route, best_rlen, since_best, plan.search(0), *rest)
    return iterations / (time.perf_counter() - t), tuple(int(x) for x in best)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--days", default="60x4:3,200x10:3,500x25:3", help="JOBSxVANS:SEEDS, comma-separated")
    args = ap.parse_args()
    if not sisr.compiled():
        sisr.compile_now()
    for jobs, vans, day in parse_days(args.days):
        problem = vroom.parse(county_day.generate(day, jobs, vans, deadlines=True))
        allowed, _ = allowed_vehicles(problem)
        ins = Inserter(problem, allowed)
        routes = regret_plan(problem, ins, k=2)
        for deadlines in (True, False):
            per_second, best = rate(ins, routes, args.iterations, deadlines)
            print(
                f"{jobs} jobs day {day}, {'with' if deadlines else 'without'} due times: "
                f"{per_second:,.0f} iterations a second; best (hi, mid, lo) {best}",
                flush=True,
            )


if __name__ == "__main__":
    main()
