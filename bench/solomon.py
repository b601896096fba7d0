"""Solomon's 56 VRPTW instances: our router vs VROOM (pyvroom) vs PyVRP, one thread each.

DIMACS convention: d_ij = floor(10 * euclid), times x10, objective = total distance,
compared with bks.csv's bks_distance_x10. Every plan is checked by routing/check.py.

    python bench/solomon.py --seconds 10 [--instances C101,R101] [--solvers ours,vroom,pyvrp]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routing import solve_json
from routing.check import check

DATA = Path(os.environ.get("SOLOMON_DIR", ROOT.parent / "shared" / "benchmarks" / "solomon"))


def read_instance(name: str) -> dict:
    """Solomon text file -> VROOM input dict with integer (x10) matrices."""
    lines = (DATA / f"{name}.txt").read_text().splitlines()
    n_veh, cap = None, None
    rows = []
    for i, line in enumerate(lines):
        if line.strip().startswith("NUMBER"):
            n_veh, cap = map(int, lines[i + 1].split())
        parts = line.split()
        if len(parts) == 7 and all(p.replace(".", "").isdigit() for p in parts):
            rows.append([float(p) for p in parts])
    xy = np.array([[r[1], r[2]] for r in rows])
    diff = xy[:, None, :] - xy[None, :, :]
    d = np.floor(10 * np.sqrt((diff**2).sum(axis=2)) + 1e-9).astype(int)
    depot = rows[0]
    jobs = []
    for r in rows[1:]:
        jobs.append(
            {
                "id": int(r[0]),
                "location_index": int(r[0]),
                "delivery": [int(r[3])],
                "service": int(r[6]) * 10,
                "time_windows": [[int(r[4]) * 10, int(r[5]) * 10]],
            }
        )
    vehicles = [
        {
            "id": k,
            "start_index": 0,
            "end_index": 0,
            "capacity": [cap],
            "time_window": [int(depot[4]) * 10, int(depot[5]) * 10],
        }
        for k in range(n_veh)
    ]
    m = d.tolist()
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": m, "distances": m}}}


def bks() -> dict[str, int]:
    with open(DATA / "bks.csv") as f:
        return {r["instance"]: int(r["bks_distance_x10"]) for r in csv.DictReader(f)}


def run_ours(problem: dict, seconds: float, seed: int) -> dict:
    return solve_json(problem, seconds=seconds, seed=seed)


def run_vroom(problem: dict, seconds: float, seed: int) -> dict:
    import vroom  # optional (requirements-bench.txt): imported only when compared

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(problem, f)
        path = f.name
    try:
        inp = vroom.Input.from_json(path)
    finally:
        os.unlink(path)
    sol = inp.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=seconds))
    return sol.to_dict()


def run_pyvrp(problem: dict, seconds: float, seed: int) -> dict:
    # Optional (requirements-bench.txt): imported only when compared.
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    mat = problem["matrices"]["car"]["durations"]
    n = len(mat)
    m = Model()
    locs = [m.add_location(0, 0) for _ in range(n)]
    v0 = problem["vehicles"][0]
    depot = m.add_depot(locs[0], tw_early=v0["time_window"][0], tw_late=v0["time_window"][1])
    m.add_vehicle_type(
        num_available=len(problem["vehicles"]),
        capacity=v0["capacity"],
        start_depot=depot,
        end_depot=depot,
        tw_early=v0["time_window"][0],
        tw_late=v0["time_window"][1],
    )
    for j in problem["jobs"]:
        w = j["time_windows"][0]
        m.add_client(
            locs[j["location_index"]],
            delivery=j["delivery"],
            service_duration=j["service"],
            tw_early=w[0],
            tw_late=w[1],
        )
    for a in range(n):
        for b in range(n):
            m.add_edge(locs[a], locs[b], distance=mat[a][b], duration=mat[a][b])
    res = m.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    routes = []
    for k, route in enumerate(res.best.routes()):
        steps = [{"type": "start", "arrival": v0["time_window"][0]}]
        for act in route:
            if act.is_client():  # idx: client number, in the order clients were added
                steps.append({"type": "job", "id": problem["jobs"][act.idx]["id"]})
        steps.append({"type": "end"})
        routes.append({"vehicle": k, "steps": steps})
    return {"routes": routes, "unassigned": []}


SOLVERS = {"ours": run_ours, "vroom": run_vroom, "pyvrp": run_pyvrp}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--instances", default="")
    ap.add_argument("--solvers", default="ours,vroom,pyvrp")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    best = bks()
    names = args.instances.split(",") if args.instances else sorted(best, key=_order)
    solvers = args.solvers.split(",")
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    feasible = dict.fromkeys(solvers, 0)
    print(f"# Solomon, {args.seconds:g} s per instance per solver, one thread; gap % to DIMACS BKS")
    print(f"{'instance':9} {'bks':>6} " + " ".join(f"{s + ' gap%':>10} {s + ' ok':>8} {'t':>5}" for s in solvers))
    for name in names:
        prob = read_instance(name)
        cols = []
        for s in solvers:
            t0 = time.monotonic()
            try:
                sol = SOLVERS[s](prob, args.seconds, args.seed)
            except Exception as exc:  # noqa: BLE001 - report, keep going
                cols.append(f"{'error':>10} {type(exc).__name__[:8]:>8} {0:5.1f}")
                continue
            el = time.monotonic() - t0
            res = check(prob, sol)
            ok = not res["errors"] and res["unassigned"] == 0
            gap = 100.0 * (res["distance"] - best[name]) / best[name]
            gaps[s].append(gap)
            feasible[s] += ok
            cols.append(f"{gap:10.2f} {'yes' if ok else 'NO':>8} {el:5.1f}")
            if res["errors"]:
                print(f"  {s} {name}: {res['errors'][:3]}", file=sys.stderr)
        print(f"{name:9} {best[name]:6d} " + " ".join(cols), flush=True)
    print(
        "mean      "
        + " " * 6
        + " ".join(
            f"{(sum(gaps[s]) / len(gaps[s]) if gaps[s] else math.nan):10.2f} {f'{feasible[s]}/{len(names)}':>8} {'':5}"
            for s in solvers
        )
    )


def _order(name: str) -> tuple:
    prefix = name.rstrip("0123456789")
    return ({"C": 0, "R": 1, "RC": 2}[prefix], name)


if __name__ == "__main__":
    main()
