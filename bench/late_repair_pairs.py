"""The late-task repair (routing/late_repair.py) one way against another, from the same plan.

Paired runs of the whole router (county_pairs.py) differ in the 85 % of the search before
the repair as much as in the repair itself: the search stops on the clock. Here each county
day (with due times) is planned once with the repair off, and the repair then runs from that
very plan both ways, with the same time and seed, each judged by the objective order.

    python bench/late_repair_pairs.py [--days 60x4:1-6,200x10:4-6] [--seeds 1,2] [--seconds 20]
        [--setting ONE_AT_A_TIME --on true --off false]   # a setting of routing.late_repair
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import county_day  # noqa: E402 - beside this file
from county_pairs import parse_days, setting_value  # noqa: E402

from routing import late_repair, search, sisr, vroom  # noqa: E402
from routing.reasons import allowed_vehicles  # noqa: E402


def _repair(problem, allowed, routes, seconds: float, seed: int):
    """The repair from `routes` for `seconds`, as the search runs it; the best plan's objective."""
    score = lambda r: search.objective(problem, search.served_tasks(r), r)  # noqa: E731
    out = late_repair.repair(
        problem,
        allowed,
        routes,
        lambda ins, start, until: sisr.ruin_recreate(ins, start, deadline=until, seed=seed),
        score,
        time.monotonic() + seconds,
    )
    return min(score(routes), score(out)) if out is not None else score(routes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", default="60x4:1-6,200x10:4-6", help="JOBSxVANS:SEEDS, comma-separated")
    ap.add_argument("--seeds", default="1,2", help="solver seeds")
    ap.add_argument("--seconds", type=float, default=20.0, help="the whole solve; the repair gets REPAIR_SHARE")
    ap.add_argument("--setting", default="ONE_AT_A_TIME")
    ap.add_argument("--on", default="true")
    ap.add_argument("--off", default="false")
    args = ap.parse_args()
    sisr.compile_now()
    like = getattr(late_repair, args.setting)
    share = search.REPAIR_SHARE
    tally = {"better": 0, "worse": 0, "equal": 0}
    sums = {"on": [0, 0, 0], "off": [0, 0, 0], "start": [0, 0, 0]}
    for jobs, vans, day in parse_days(args.days):
        problem = vroom.parse(county_day.generate(day, jobs, vans, deadlines=True))
        allowed, _ = allowed_vehicles(problem)
        for seed in (int(s) for s in args.seeds.split(",")):
            search.REPAIR_SHARE = 0.0
            routes, _ = search.plan(problem, deadline=time.monotonic() + args.seconds * (1 - share), seed=seed)
            search.REPAIR_SHARE = share
            start = search.objective(problem, search.served_tasks(routes), routes)
            got = {}
            for side in ("on", "off"):
                setattr(late_repair, args.setting, setting_value(getattr(args, side), like))
                got[side] = _repair(problem, allowed, routes, args.seconds * share, seed + 1)
            setattr(late_repair, args.setting, like)
            verdict = "better" if got["on"] < got["off"] else "worse" if got["on"] > got["off"] else "equal"
            tally[verdict] += 1
            for side, key in (("start", start), ("on", got["on"]), ("off", got["off"])):
                sums[side] = [a + b for a, b in zip(sums[side], key[:3])]
            print(
                f"{jobs} jobs day {day} seed {seed}: before the repair (priority out, late, lateness h) "
                + "  |  ".join(
                    f"{name} {k[0]} {k[1]} {k[2] / 3600:.2f}"
                    for name, k in (("start", start), (args.on, got["on"]), (args.off, got["off"]))
                )
                + f"  -> {verdict}",
                flush=True,
            )
    print(
        f"{args.setting} {args.on} vs {args.off}: better in {tally['better']}, worse in {tally['worse']}, equal in "
        f"{tally['equal']}; totals (priority out, late, lateness h): "
        + ", ".join(f"{k} {v[0]} {v[1]} {v[2] / 3600:.1f}" for k, v in sums.items())
    )


if __name__ == "__main__":
    main()
