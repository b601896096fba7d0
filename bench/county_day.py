"""A realistic (seeded) Suffolk county day: our router vs VROOM, both checked independently.

500 jobs (deliveries, collections, exchanges), 25 vans from 3 depots, skills (two-person crew,
hoist-trained), a 30-minute lunch break between 12:00 and 14:00, two capacity dimensions
(volume units, bed/hoist slots), AM/PM slots, priorities (emergency = 100), more work than
fits in the day.

Due times (issue 13, `deadline`, our extension; VROOM ignores it): each emergency is due 4
hours after it was received (between 08:00 and 12:00) instead of a hard 08:00-16:00 window,
and about a third of the other jobs are due by 13:00 (hospital discharges). `--no-deadlines`
gives the day as it was before (the same jobs, windows and figures). Every plan is checked
by routing/check.py, which recomputes each task's lateness from the matrix. The emergencies
are also solved alone, to show how many can be on time at all; one on time alone but late
in our plan makes the day be solved again with it due hard, for four times as long
(`--recheck-seconds`), to tell the search's weakness from the objective order's choice
(bench/county_checks.py). Nothing late: both solve the
day with every due time hard, to show how much priority fits with no task late. Travel at
equal service: ours plans exactly the jobs VROOM served, without and with due times
(`--no-checks` skips these three).

    python bench/county_day.py --seconds 30 [--seed 1] [--jobs 500 --vans 25]
        [--no-deadlines] [--no-checks] [--write problem.json] [--threads 2]

`--threads 2` gives both solvers two threads: VROOM's own, and two of our searches at once
from different seeds, the best plan kept (routing/portfolio.py).

`--insertions 50` instead measures urgent insertion (`--keep-order`): the day is planned
once (`--seconds`), published (its routes become the vans' `steps`), and then each of 50
random emergencies is inserted alone into it; it should be on time whenever some place
makes it so (found by trying every place), in under 2 s each.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import county_checks  # noqa: E402 - beside this file

from routing import solve_json
from routing import vroom as vroom_mod
from routing.check import check
from routing.matrix import build_matrices
from routing.reasons import allowed_vehicles
from routing.schedule import simulate

DEPOTS = {"IPS": (1.155, 52.06), "BSE": (0.71, 52.245), "ELL": (1.59, 52.435)}
TOWNS = [  # (lon, lat, weight): where service users live
    (1.155, 52.06, 10),
    (0.71, 52.245, 5),
    (1.59, 52.435, 2),
    (1.73, 52.48, 4),
    (1.33, 52.10, 3),
    (0.97, 52.19, 3),
    (1.50, 52.35, 2),
    (1.31, 51.96, 3),
    (0.92, 52.02, 2),
    (0.41, 52.25, 3),
    (1.05, 52.30, 1),
    (1.36, 52.22, 2),
    (1.62, 52.21, 2),
    (0.75, 52.08, 2),
    (1.45, 52.46, 1),
]
EMERGENCY, NEXT_DAY, THREE_DAY, STANDARD, COLLECTION = 100, 60, 40, 20, 10
H = 3600


def generate(seed: int = 1, n_jobs: int = 500, n_vans: int = 25, *, deadlines: bool = False) -> dict:
    """The day's problem in VROOM format, with matrices built by routing.matrix."""
    rng = np.random.default_rng(seed)
    w = np.array([t[2] for t in TOWNS], dtype=float)
    towns = rng.choice(len(TOWNS), size=n_jobs, p=w / w.sum())
    pts = [(TOWNS[t][0] + rng.normal(0, 0.06), TOWNS[t][1] + rng.normal(0, 0.04)) for t in towns]
    locations = list(DEPOTS.values()) + pts
    durations, distances = build_matrices(locations)
    vehicles = []
    depot_of = [0] * 11 + [1] * 8 + [2] * 6
    for k in range(n_vans):
        d = depot_of[k % len(depot_of)]
        big = k % 3 == 0
        skills = [1] if k % 4 == 0 else []  # two-person crew
        if k % 5 in (0, 2):
            skills.append(2)  # hoist-trained
        vehicles.append(
            {
                "id": k + 1,
                "start_index": d,
                "end_index": d,
                "description": f"van {k + 1}",
                "capacity": [24 if big else 14, 4 if big else 2],
                "skills": skills,
                "time_window": [8 * H, 18 * H],
                "breaks": [{"id": 1, "time_windows": [[12 * H, 14 * H]], "service": 30 * 60}],
            }
        )
    jobs = []
    for i in range(n_jobs):
        r = rng.random()
        kind = "delivery" if r < 0.55 else ("collection" if r < 0.85 else "exchange")
        cls = rng.choice([EMERGENCY, NEXT_DAY, THREE_DAY, STANDARD], p=[0.03, 0.2, 0.3, 0.47])
        if kind == "collection" and cls != EMERGENCY:
            cls = COLLECTION
        bed = rng.random() < 0.2
        vol = int(rng.integers(6, 12)) if bed else int(rng.integers(1, 5))
        amount = [vol, 1 if bed else 0]
        job = {
            "id": 1000 + i,
            "location_index": 3 + i,
            "priority": int(cls),
            "service": int(rng.choice([10, 15, 20, 30, 45]) * 60 + (15 * 60 if bed else 0)),
        }
        if kind in ("delivery", "exchange"):
            job["delivery"] = amount
        if kind in ("collection", "exchange"):
            job["pickup"] = amount if kind == "collection" else [max(1, vol // 2), amount[1]]
        skills = []
        if bed and rng.random() < 0.6:
            skills.append(1)
        if rng.random() < 0.12:
            skills.append(2)
        if skills:
            job["skills"] = skills
        slot = rng.random()
        if cls == EMERGENCY:
            job["time_windows"] = [[8 * H, 16 * H]]
        elif slot < 0.35:
            job["time_windows"] = [[8 * H, 12 * H]]
        elif slot < 0.7:
            job["time_windows"] = [[12 * H, 17 * H]]
        jobs.append(job)
    if deadlines:
        add_deadlines(jobs, seed)
    return {
        "vehicles": vehicles,
        "jobs": jobs,
        "matrices": {"car": {"durations": durations.tolist(), "distances": distances.tolist()}},
    }


def add_deadlines(jobs: list[dict], seed: int) -> None:
    """Emergencies due 4 h after receipt (no hard window); a third of the rest by 13:00.

    A separate random stream, so the day's jobs are the same with or without due times.
    """
    rng = np.random.default_rng(seed + 7919)
    for job in jobs:
        if job["priority"] == EMERGENCY:
            job.pop("time_windows", None)
            job["deadline"] = int(rng.integers(8 * H, 12 * H)) + 4 * H
        elif rng.random() < 1 / 3:
            job["deadline"] = 13 * H


def emergencies_alone(problem: dict) -> dict:
    """The same day with only its emergencies: how many can be on time at all."""
    return {**problem, "jobs": [j for j in problem["jobs"] if j.get("priority") == EMERGENCY]}


def _child(name: str, path: str, seconds: float, threads: int, conn) -> None:
    sys.path.insert(0, str(ROOT))
    with open(path) as f:
        problem = json.load(f)
    t = time.monotonic()
    if name == "ours":
        sol = solve_json(problem, seconds=seconds, threads=threads)
    else:
        import vroom  # pyvroom, optional: only when compared

        inp = vroom.Input.from_json(path)
        sol = inp.solve(exploration_level=5, nb_threads=threads, timeout=timedelta(seconds=seconds)).to_dict()
    elapsed = time.monotonic() - t
    # The largest of this process and the searches it started (routing/portfolio.py).
    rss_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    conn.send((sol, elapsed, rss_mb))
    conn.close()


def run(name: str, path: str, seconds: float, threads: int = 1):
    """Solve in a fresh process so that peak memory is the solver's own."""
    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(name, path, seconds, threads, b))
    p.start()
    out = a.recv()
    p.join()
    return out


def summarise(problem: dict, sol: dict) -> dict:
    res = check(problem, sol)
    served = {s["id"] for r in sol["routes"] for s in r["steps"] if s["type"] == "job"}
    emerg = {j["id"] for j in problem["jobs"] if j.get("priority", 0) == EMERGENCY}
    late_ids = {i for (typ, i) in res["late_tasks"] if typ == "job"}
    return {
        "errors": res["errors"],
        "priority": res["priority"],
        "served": len(served),
        "emergencies": len(emerg & served),
        "emergencies_on_time": len((emerg & served) - late_ids),
        "late": res["late"],
        "lateness": res["lateness"],
        "travel": res["duration"],
        "distance": res["distance"],
        "served_ids": served,
        "late_ids": late_ids,
        "on_time_emergencies": (emerg & served) - late_ids,
    }


def servable_emergencies(problem: dict) -> int:
    p = vroom_mod.parse(problem)
    allowed, _ = allowed_vehicles(p)
    return sum(1 for i, t in enumerate(p.tasks) if t.priority == EMERGENCY and allowed[i])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=500)
    ap.add_argument("--vans", type=int, default=25)
    ap.add_argument("--no-deadlines", action="store_true", help="the day without due times")
    ap.add_argument("--emergency-seconds", type=float, default=5)
    ap.add_argument(
        "--recheck-seconds",
        type=float,
        default=None,
        help="the day with late emergencies due hard, solved again for this long (default: 4 x --seconds)",
    )
    ap.add_argument("--write", default=None, help="also save the generated problem here")
    ap.add_argument("--solvers", default="ours,vroom")
    ap.add_argument("--insertions", type=int, default=0)
    ap.add_argument("--no-checks", action="store_true", help="skip the equal-service and hard-deadline solves")
    ap.add_argument("--threads", type=int, default=1, help="each solver's threads (ours: searches at once)")
    args = ap.parse_args()
    _matrix_timing()
    problem = generate(args.seed, args.jobs, args.vans, deadlines=not args.no_deadlines)
    if args.insertions:
        insertions(problem, args.seconds, args.insertions, args.seed)
        return
    if args.write:
        with open(args.write, "w") as f:
            json.dump(problem, f)
    n_em = sum(1 for j in problem["jobs"] if j.get("priority") == EMERGENCY)
    print(
        f"county day seed {args.seed}: {len(problem['jobs'])} jobs "
        f"({n_em} emergencies, {servable_emergencies(problem)} servable), "
        f"{len(problem['vehicles'])} vans, 3 depots, {args.seconds:g} s limit, {args.threads} thread(s) each, "
        f"{'no due times' if args.no_deadlines else 'due times'}"
    )
    rows = {
        name: _solve_and_print(name, problem, args.seconds, n_em, threads=args.threads)
        for name in args.solvers.split(",")
    }
    if "ours" in rows and "vroom" in rows:
        o, v = rows["ours"], rows["vroom"]
        print(
            f"ours/vroom: priority {o['priority'] / max(1, v['priority']):.3f}, "
            f"jobs {o['served'] / max(1, v['served']):.3f}, "
            f"late {o['late']}/{v['late']}, lateness {o['lateness']}/{v['lateness']} s, "
            f"travel time {o['travel'] / max(1, v['travel']):.3f}"
        )
    emergencies = None
    if not args.no_deadlines and n_em and "ours" in rows:
        emergencies = emergency_check(problem, rows["ours"], args, n_em)
    if "ours" not in rows or "vroom" not in rows or args.no_checks:
        return
    hard = None if args.no_deadlines else nothing_late(problem, rows, args, n_em)
    travel = equal_service(problem, rows["vroom"], args, n_em)
    if not args.no_deadlines:
        print("issue 13's bars on this day:")
        for line in county_checks.bars(
            rows["ours"], rows["vroom"], emergencies=emergencies, nothing_late=hard, equal_travel=travel
        ):
            print("  " + line)


def nothing_late(problem: dict, rows: dict, args, n_em: int) -> dict:
    """Every due time hard: the priority that fits with no task late, by both searches."""
    day = county_checks.all_due_hard(problem)
    got = {
        name: _solve_and_print(name, day, args.seconds, n_em, label=f"{name[0]}-hard", threads=args.threads)
        for name in ("ours", "vroom")
    }
    most = max(g["priority"] for g in got.values())
    print(
        f"nothing late (every due time hard): priority {got['ours']['priority']} (ours) / "
        f"{got['vroom']['priority']} (VROOM) vs VROOM's {rows['vroom']['priority']} without them: "
        + (
            "matching VROOM's priority needs some task late (as far as both find)"
            if most < rows["vroom"]["priority"]
            else "VROOM's priority fits with nothing late"
        )
    )
    return got


def emergency_check(problem: dict, ours: dict, args, n_em: int) -> tuple[int, int, int]:
    """Solve the emergencies alone; if one on time alone is late in our plan, ask why.
    Returns (on time in our plan, on time alone) of the emergencies on time alone, and how
    many emergencies are on time in our plan in all."""
    alone = _solve_and_print(
        "ours", emergencies_alone(problem), args.emergency_seconds, n_em, label="alone", threads=args.threads
    )
    could = alone["on_time_emergencies"]
    on_time = ours["on_time_emergencies"]
    missed = could - on_time
    print(
        f"emergencies alone: {len(could)} of {n_em} can be on time; in our plan {len(on_time & could)} of those {len(could)} are"
    )
    result = (len(on_time & could), len(could), len(on_time))
    if not missed or args.no_checks:
        return result
    seconds = args.recheck_seconds or 4 * args.seconds
    hard = _solve_and_print(
        "ours", county_checks.hardened(problem, missed), seconds, n_em, label="hard", threads=args.threads
    )
    print(f"late emergencies {sorted(missed)}: {county_checks.verdict(ours, hard)}")
    return result


def equal_service(problem: dict, v: dict, args, n_em: int) -> dict[str, tuple[float, int, int]]:
    """Ours on exactly the jobs VROOM served: travel without (and with) due times, as
    (ratio to VROOM's, jobs ours served, jobs VROOM served), by "without" / "with"."""
    ids = v["served_ids"]
    ratios = {}
    variants = [False] if args.no_deadlines else [False, True]
    for with_dl in variants:
        day = county_checks.only_jobs(problem, ids, deadlines=with_dl)
        label = "=v+due" if with_dl else "=vroom"
        # Lateness is always counted against the due times, even when the solve ignored them.
        judge = county_checks.only_jobs(problem, ids, deadlines=True)
        o = _solve_and_print("ours", day, args.seconds, n_em, label=label, threads=args.threads, judge=judge)
        print(
            f"equal service ({len(ids)} jobs VROOM served{', with due times' if with_dl else ''}): "
            f"ours serves {o['served']}, travel {o['travel'] / 3600:.2f} h vs VROOM's "
            f"{v['travel'] / 3600:.2f} h ({o['travel'] / max(1, v['travel']):.3f} x); "
            f"late {o['late']} vs {v['late']}"
        )
        ratios["with" if with_dl else "without"] = (o["travel"] / max(1, v["travel"]), o["served"], len(ids))
    return ratios


def insertions(problem: dict, seconds: float, n: int, seed: int) -> None:
    """Publish a plan of the day, then insert n random emergencies one at a time."""
    sol = solve_json(problem, seconds=seconds, seed=seed)
    published = publish(problem, sol)
    rng = np.random.default_rng(seed + 31)
    on_time = possible = 0
    took = []
    for k in range(n):
        job = {
            "id": 90000 + k,
            "location_index": int(rng.integers(3, len(problem["jobs"]) + 3)),
            "priority": EMERGENCY,
            "service": 30 * 60,
            "delivery": [int(rng.integers(1, 5)), 0],
            "deadline": int(rng.integers(10 * H, 16 * H)),
        }
        day = {**published, "jobs": published["jobs"] + [job]}
        t = time.monotonic()
        out = solve_json(day, seconds=2, keep_order=True)
        took.append(time.monotonic() - t)
        res = check(day, out)
        served = any(s.get("id") == job["id"] for r in out["routes"] for s in r["steps"])
        can = can_be_on_time(day, job["id"])
        possible += can
        on_time += can and served and ("job", job["id"]) not in res["late_tasks"]
        if res["errors"]:
            print("   ", res["errors"][:3])
    print(
        f"insertions: {n} emergencies into a published day of "
        f"{sum(len(v.get('steps', [])) for v in published['vehicles'])} steps: "
        f"on time in {on_time} of the {possible} that some place makes on time; "
        f"time per insertion median {np.median(took):.2f} s, max {max(took):.2f} s"
    )


def publish(problem: dict, sol: dict) -> dict:
    """The day as published: planned jobs only, each van's route as its `steps`."""
    steps = {
        r["vehicle"]: [{"type": s["type"], "id": s["id"]} for s in r["steps"] if s["type"] in ("job", "break")]
        for r in sol["routes"]
    }
    planned = {s["id"] for r in steps.values() for s in r if s["type"] == "job"}
    vehicles = [{**v, "steps": steps.get(v["id"], [])} for v in problem["vehicles"]]
    jobs = [j for j in problem["jobs"] if j["id"] in planned]
    return {**problem, "vehicles": vehicles, "jobs": jobs}


def can_be_on_time(day: dict, job_id: int) -> bool:
    """Some place in some route serves the job by its deadline, feasibly (every place tried)."""
    p = vroom_mod.parse(day)
    allowed, _ = allowed_vehicles(p)
    index = {(t.kind, t.id): i for i, t in enumerate(p.tasks)}
    i = index[("job", job_id)]
    for v in allowed[i]:
        bidx = {b.id: k for k, b in enumerate(p.vehicles[v].breaks)}
        route = [
            ("break", bidx[sid]) if typ == "break" else ("task", index[(typ, sid)]) for typ, sid in p.vehicles[v].steps
        ]
        for g in range(len(route) + 1):
            tr = simulate(p, v, route[:g] + [("task", i)] + route[g:])
            step = next(s for s in tr.steps if s.index == i and s.type == "job")
            if not tr.overload and tr.lateness == 0 and step.late_by == 0:
                return True
    return False


def _matrix_timing() -> None:
    rng = np.random.default_rng(0)
    pts = list(zip(rng.uniform(0.3, 1.8, 1000), rng.uniform(51.9, 52.6, 1000)))
    build_matrices(pts[:5])
    t = time.perf_counter()
    build_matrices(pts)
    print(f"matrix: 1000 locations built in {1000 * (time.perf_counter() - t):.1f} ms")


def _solve_and_print(
    name: str, problem: dict, seconds: float, n_em: int, label: str = "", threads: int = 1, judge: dict | None = None
) -> dict:
    """Solve `problem` and print its summary, checked against `judge` (default: the problem)."""
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(problem, f)
    try:
        sol, elapsed, rss = run(name, path, seconds, threads)
    finally:
        os.unlink(path)
    s = summarise(problem, sol)
    if judge is not None:  # feasible as solved; late against the due times it ignored
        s.update({k: v for k, v in summarise(judge, sol).items() if k != "errors"})
    print(
        f"{label or name:6} time {elapsed:5.1f} s  peak mem {rss:6.0f} MB  "
        f"priority {s['priority']:5d}  jobs {s['served']:3d}  "
        f"emergencies {s['emergencies']:2d}/{n_em} ({s['emergencies_on_time']} on time)  "
        f"late {s['late']:3d}  lateness {s['lateness'] / 3600:6.2f} h  "
        f"travel {s['travel'] / 3600:6.2f} h  feasible {'yes' if not s['errors'] else 'NO'}"
    )
    for e in s["errors"][:5]:
        print("   ", e)
    return s


if __name__ == "__main__":
    main()
