"""Independent feasibility checker for VROOM-format plans.

Recomputes every route from the problem's own matrices (arrivals, waiting, time windows,
working hours, breaks, loads, capacity, skills, shipments, max_tasks) and never trusts the
solver's numbers. Works for our router, VROOM and PyVRP plans alike (all in VROOM format).

    python bench/feasibility.py PROBLEM.json SOLUTION.json
"""

from __future__ import annotations

import json
import math
import sys


def check(problem: dict, solution: dict, *, durations=None, distances=None) -> dict:
    """Return {"errors": [...], "distance": int, "duration": int, "served": n, ...}."""
    errors: list[str] = []
    mats = problem.get("matrices", {})
    dims = None
    for v in problem["vehicles"]:
        if "capacity" in v:
            dims = len(v["capacity"])
            break
    dims = dims or 0
    tasks: dict[tuple[str, int], dict] = {}
    for j in problem.get("jobs", []):
        tasks[("job", j["id"])] = {
            "src": j,
            "kind": "job",
            "skills": set(j.get("skills", [])),
            "priority": j.get("priority", 0),
        }
    for s in problem.get("shipments", []):
        for half in ("pickup", "delivery"):
            h = s[half]
            tasks[(half, h["id"])] = {
                "src": h,
                "kind": half,
                "ship": s,
                "skills": set(s.get("skills", [])),
                "priority": s.get("priority", 0),
            }
    vehicles = {v["id"]: v for v in problem["vehicles"]}
    seen: dict[tuple[str, int], int] = {}
    total_dist = total_dur = served = prio = 0

    for r in solution.get("routes", []):
        vid = r["vehicle"]
        v = vehicles.get(vid)
        if v is None:
            errors.append(f"route of unknown vehicle {vid}")
            continue
        prof = v.get("profile", "car")
        dur_m = durations if durations is not None else mats[prof]["durations"]
        dist_m = distances if distances is not None else mats[prof].get("distances")
        cap = v.get("capacity", [math.inf] * dims)
        vskills = set(v.get("skills", []))
        tw = v.get("time_window", [0, math.inf])
        breaks = {b["id"]: b for b in v.get("breaks", [])}
        steps = r["steps"]
        if not steps or steps[0]["type"] != "start" or steps[-1]["type"] != "end":
            errors.append(
                f"vehicle {vid}: route must begin with start and finish with end"
            )
            continue
        # Initial load: all deliveries of the route's jobs.
        load = [0] * dims
        for s in steps:
            if s["type"] == "job":
                t = tasks.get(("job", s.get("id")))
                if t:
                    for k, d in enumerate(t["src"].get("delivery", [0] * dims)):
                        load[k] += d
        if any(a > c for a, c in zip(load, cap)):
            errors.append(f"vehicle {vid}: start load {load} exceeds capacity {cap}")
        start_loc = v.get("start_index")
        t_now = steps[0]["arrival"]
        if t_now < tw[0]:
            errors.append(f"vehicle {vid}: leaves at {t_now} before its shift {tw}")
        loc = start_loc
        dist = dur = 0
        picked: set[int] = set()
        n_tasks = 0
        breaks_taken = set()
        pending: list[dict] = []  # breaks on the current leg

        def drive(t0: int, leg: int, pending=pending, vid=vid) -> int:
            """Arrival after a leg of `leg` seconds with the pending breaks taken on it.

            A break has no location: it can be taken anywhere along the leg, including
            while waiting at the next stop, and must start inside one of its windows.
            """
            t_free, remaining = t0, leg
            for b in pending:
                start = _start_in(b.get("time_windows", [[0, math.inf]]), t_free)
                if start is None:
                    errors.append(
                        f"vehicle {vid}: break {b['id']} cannot start in its windows "
                        f"(free from {t_free})"
                    )
                    start = t_free
                # Drive until the break starts (or until arrived), then rest.
                driven = min(remaining, start - t_free)
                remaining -= driven
                t_free = start + b.get("service", 0)
            pending.clear()
            return t_free + remaining

        for s in steps[1:]:
            typ = s["type"]
            if typ == "break":
                b = breaks.get(s.get("id"))
                if b is None:
                    errors.append(f"vehicle {vid}: unknown break {s.get('id')}")
                    continue
                breaks_taken.add(b["id"])
                pending.append(b)
                if "max_load" in b and any(a > m for a, m in zip(load, b["max_load"])):
                    errors.append(f"vehicle {vid}: load {load} above break max_load")
                continue
            if typ == "end":
                end_loc = v.get("end_index")
                leg = 0
                if end_loc is not None and loc is not None:
                    leg = dur_m[loc][end_loc]
                    dur += leg
                    if dist_m is not None:
                        dist += dist_m[loc][end_loc]
                t_now = drive(t_now, leg)
                if t_now > tw[1]:
                    errors.append(
                        f"vehicle {vid}: back at {t_now} after its shift ends {tw[1]}"
                    )
                continue
            key = (typ, s.get("id"))
            t = tasks.get(key)
            if t is None:
                errors.append(f"vehicle {vid}: unknown {typ} {s.get('id')}")
                continue
            if key in seen:
                errors.append(f"{typ} {key[1]} served twice")
            seen[key] = vid
            n_tasks += 1
            served += 1
            prio += t["priority"]
            src = t["src"]
            if not t["skills"] <= vskills:
                errors.append(f"vehicle {vid} lacks skills for {typ} {key[1]}")
            tl = src.get("location_index")
            leg = dur_m[loc][tl] if loc is not None else 0
            dur += leg
            if dist_m is not None and loc is not None:
                dist += dist_m[loc][tl]
            t_now = drive(t_now, leg)
            start = _start_in(src.get("time_windows", [[0, math.inf]]), t_now)
            if start is None:
                errors.append(
                    f"vehicle {vid}: {typ} {key[1]} reached at {t_now}, after its windows"
                )
                start = t_now
            setup = src.get("setup", 0) if tl != loc else 0
            t_now = start + setup + src.get("service", 0)
            loc = tl
            if typ == "job":
                for k in range(dims):
                    load[k] += (
                        src.get("pickup", [0] * dims)[k]
                        - src.get("delivery", [0] * dims)[k]
                    )
            elif typ == "pickup":
                picked.add(id(t["ship"]))
                for k in range(dims):
                    load[k] += t["ship"].get("amount", [0] * dims)[k]
            else:
                if id(t["ship"]) not in picked:
                    errors.append(
                        f"vehicle {vid}: delivery {key[1]} before its pickup (or elsewhere)"
                    )
                for k in range(dims):
                    load[k] -= t["ship"].get("amount", [0] * dims)[k]
            if any(a > c for a, c in zip(load, cap)) or any(a < 0 for a in load):
                errors.append(
                    f"vehicle {vid}: load {load} outside capacity {cap} after {typ} {key[1]}"
                )
        if "max_tasks" in v and n_tasks > v["max_tasks"]:
            errors.append(
                f"vehicle {vid}: {n_tasks} tasks > max_tasks {v['max_tasks']}"
            )
        if "max_travel_time" in v and dur > v["max_travel_time"]:
            errors.append(f"vehicle {vid}: travel time {dur} > max_travel_time")
        if n_tasks and set(breaks) - breaks_taken:
            errors.append(
                f"vehicle {vid}: breaks {sorted(set(breaks) - breaks_taken)} not taken"
            )
        total_dist += dist
        total_dur += dur
    # Shipments on one vehicle; everything served or listed as unassigned.
    for s in problem.get("shipments", []):
        a, b = (
            seen.get(("pickup", s["pickup"]["id"])),
            seen.get(("delivery", s["delivery"]["id"])),
        )
        if (a is None) != (b is None) or (a is not None and a != b):
            errors.append(f"shipment {s['pickup']['id']}/{s['delivery']['id']} split")
    listed = {(u.get("type", "job"), u["id"]) for u in solution.get("unassigned", [])}
    for key in tasks:
        if key not in seen and key not in listed:
            errors.append(f"{key[0]} {key[1]} neither served nor unassigned")
    return {
        "errors": errors,
        "distance": total_dist,
        "duration": total_dur,
        "served": served,
        "priority": prio,
        "unassigned": len(tasks) - served,
    }


def _start_in(windows, t):
    for a, b in sorted(windows):
        if t <= b:
            return max(t, a)
    return None


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        prob = json.load(f)
    with open(sys.argv[2]) as f:
        sol = json.load(f)
    res = check(prob, sol)
    print(json.dumps(res, indent=1))
    sys.exit(1 if res["errors"] else 0)
