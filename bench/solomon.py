"""VRPTW benchmarks: our router vs VROOM (pyvroom) vs PyVRP, one thread each.

`--set solomon` (default): Solomon's 56 instances, 10 s each. `--set gh1000`: Gehring &
Homberger's six 1,000-customer instances (C1, C2, R1, R2, RC1, RC2 _10_1), 60 s each, ours
run through `python -m routing solve` so that its wall time includes start-up, reading the
1,000 x 1,000 matrix and writing the plan (`--seconds` must hold there too).

DIMACS convention: d_ij = floor(10 * euclid), times x10, objective = total distance,
compared with the best known (bks.csv's bks_distance_x10; the `Cost` line of each .sol
x10). Every plan is checked by routing/check.py. The `t` column is each solver's wall time.

    python bench/solomon.py --seconds 10 [--instances C101,R101] [--solvers ours,vroom,pyvrp]
    python bench/solomon.py --set gh1000 [--seconds 60] [--instances R2_10_1]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import subprocess
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

BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
DATA = Path(os.environ.get("SOLOMON_DIR", BENCHMARKS / "solomon"))
GH1000 = Path(os.environ.get("GH1000_DIR", BENCHMARKS / "gh1000"))
GH1000_NAMES = ("C1_10_1", "C2_10_1", "R1_10_1", "R2_10_1", "RC1_10_1", "RC2_10_1")


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
    windows = [(int(r[4]), int(r[5])) for r in rows]
    return _vroom_input(xy, [int(r[3]) for r in rows], windows, [int(r[6]) for r in rows], n_veh, cap)


def read_vrplib(name: str) -> dict:
    """Gehring & Homberger VRPLIB file (node 1 the depot) -> VROOM input dict, as above."""
    head: dict[str, str] = {}
    sections: dict[str, list[list[float]]] = {}
    current = None
    for line in (GH1000 / f"{name}.vrp").read_text().splitlines():
        parts = line.split()
        if not parts or parts[0] == "EOF":
            continue
        if parts[0].endswith("_SECTION"):
            current = sections.setdefault(parts[0], [])
        elif ":" in line and current is None:
            key, value = line.split(":", 1)
            head[key.strip()] = value.strip()
        else:
            current.append([float(p) for p in parts])
    xy = np.array([r[1:3] for r in sections["NODE_COORD_SECTION"]])
    demand = [int(r[1]) for r in sections["DEMAND_SECTION"]]
    windows = [(int(r[1]), int(r[2])) for r in sections["TIME_WINDOW_SECTION"]]
    service = [0] + [int(head["SERVICE_TIME"])] * (len(xy) - 1)
    return _vroom_input(xy, demand, windows, service, int(head["VEHICLES"]), int(head["CAPACITY"]))


def _vroom_input(xy, demand, windows, service, n_veh: int, cap: int) -> dict:
    """Row 0 the depot; DIMACS: distances floor(10 x euclid), times x10."""
    diff = xy[:, None, :] - xy[None, :, :]
    d = np.floor(10 * np.sqrt((diff**2).sum(axis=2)) + 1e-9).astype(int)
    jobs = [
        {
            "id": i,
            "location_index": i,
            "delivery": [demand[i]],
            "service": service[i] * 10,
            "time_windows": [[windows[i][0] * 10, windows[i][1] * 10]],
        }
        for i in range(1, len(xy))
    ]
    depot_window = [windows[0][0] * 10, windows[0][1] * 10]
    vehicles = [
        {"id": k, "start_index": 0, "end_index": 0, "capacity": [cap], "time_window": depot_window}
        for k in range(n_veh)
    ]
    m = d.tolist()
    return {"vehicles": vehicles, "jobs": jobs, "matrices": {"car": {"durations": m, "distances": m}}}


def bks() -> dict[str, int]:
    with open(DATA / "bks.csv") as f:
        return {r["instance"]: int(r["bks_distance_x10"]) for r in csv.DictReader(f)}


def bks_gh1000() -> dict[str, int]:
    """The `Cost` line of each .sol, in 0.1 units."""
    out = {}
    for name in GH1000_NAMES:
        cost = next(ln for ln in (GH1000 / f"{name}.sol").read_text().splitlines() if ln.startswith("Cost"))
        out[name] = round(float(cost.split()[1]) * 10)
    return out


def run_ours(problem: dict, seconds: float, seed: int) -> dict:
    return solve_json(problem, seconds=seconds, seed=seed)


def run_ours_cli(problem: dict, seconds: float, seed: int) -> dict:
    """`python -m routing solve` in a process of its own: start-up, reading and output count."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(problem, f)
        path = f.name
    try:
        cmd = [sys.executable, "-m", "routing", "solve", path, "--seconds", f"{seconds:g}", "--seed", str(seed)]
        t0 = time.monotonic()
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        wall = time.monotonic() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # the largest child so far
        print(f"  ours-cli: {wall:.1f} s wall, peak memory so far {peak} MB", file=sys.stderr)
    finally:
        os.unlink(path)
    return {**json.loads(out.stdout), "wall": wall}  # without writing the file


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


SOLVERS = {"ours": run_ours, "ours-cli": run_ours_cli, "vroom": run_vroom, "pyvrp": run_pyvrp}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=("solomon", "gh1000"), default="solomon")
    ap.add_argument("--seconds", type=float, default=None, help="per instance per solver (10; gh1000: 60)")
    ap.add_argument("--instances", default="")
    ap.add_argument("--solvers", default=None, help="ours,vroom,pyvrp (gh1000: ours-cli,vroom,pyvrp)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    large = args.set == "gh1000"
    seconds = args.seconds or (60.0 if large else 10.0)
    best = bks_gh1000() if large else bks()
    read = read_vrplib if large else read_instance
    names = args.instances.split(",") if args.instances else (list(GH1000_NAMES) if large else sorted(best, key=_order))
    solvers = (args.solvers or ("ours-cli,vroom,pyvrp" if large else "ours,vroom,pyvrp")).split(",")
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    feasible = dict.fromkeys(solvers, 0)
    title = "Gehring & Homberger 1,000" if large else "Solomon"
    print(f"# {title}, {seconds:g} s per instance per solver, one thread; gap % to DIMACS BKS; t: wall s")
    print(f"{'instance':9} {'bks':>6} " + " ".join(f"{s + ' gap%':>13} {'ok':>3} {'t':>5}" for s in solvers))
    for name in names:
        prob = read(name)
        cols = []
        for s in solvers:
            cols.append(_run_one(s, prob, name, best[name], seconds, args.seed, gaps, feasible))
        print(f"{name:9} {best[name]:6d} " + " ".join(cols), flush=True)
    means = (sum(gaps[s]) / len(gaps[s]) if gaps[s] else math.nan for s in solvers)
    print("mean" + " " * 12 + " ".join(f"{m:13.2f} {f'{feasible[s]}/{len(names)}':>9}" for m, s in zip(means, solvers)))


def _run_one(solver, prob, name, best, seconds, seed, gaps, feasible) -> str:
    """One solver on one instance, checked; its column of the table."""
    t0 = time.monotonic()
    try:
        sol = SOLVERS[solver](prob, seconds, seed)
    except Exception as exc:  # noqa: BLE001 - report, keep going
        print(f"  {solver} {name}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
        return f"{'error':>13} {'-':>3} {0:5.1f}"
    el = sol.pop("wall", time.monotonic() - t0)
    res = check(prob, sol)
    ok = not res["errors"] and res["unassigned"] == 0
    gap = 100.0 * (res["distance"] - best) / best
    gaps[solver].append(gap)
    feasible[solver] += ok
    if res["errors"]:
        print(f"  {solver} {name}: {res['errors'][:3]}", file=sys.stderr)
    return f"{gap:13.2f} {'yes' if ok else 'NO':>3} {el:5.1f}"


def _order(name: str) -> tuple:
    prefix = name.rstrip("0123456789")
    return ({"C": 0, "R": 1, "RC": 2}[prefix], name)


if __name__ == "__main__":
    main()
