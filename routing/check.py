"""Independent feasibility checker for VROOM-format plans.

Recomputes every route from the problem's own JSON and matrices (arrivals, waiting, time
windows, working hours, breaks, loads, capacity, skills, shipments, max_tasks, clean before
dirty) and never trusts the solver's numbers. It also recomputes each task's lateness
after its `deadline` (our extension) and compares it with the plan's `late_by` when given. Works for our router, VROOM and PyVRP plans alike (all in
VROOM format). It reads the input JSON itself and imports nothing from the router, so that
a bug in the router's model cannot hide here too.

    python -m routing.check PROBLEM.json SOLUTION.json
"""

from __future__ import annotations

import json
import math
import sys

ANY_TIME = [[0, math.inf]]


def check(problem: dict, solution: dict, *, durations=None, distances=None) -> dict:
    """Return {"errors": [...], "distance": int, "duration": int, "served": n, ...}."""
    dims = _dims(problem)
    tasks = _tasks(problem)
    vehicles = {v["id"]: v for v in problem["vehicles"]}
    errors: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    late_tasks: dict[tuple[str, int], int] = {}
    totals = {"distance": 0, "duration": 0, "served": 0, "priority": 0, "late": 0, "lateness": 0}
    for r in solution.get("routes", []):
        v = vehicles.get(r["vehicle"])
        if v is None:
            errors.append(f"route of unknown vehicle {r['vehicle']}")
            continue
        prof = v.get("profile", "car")
        mats = problem.get("matrices", {})
        walk = _Walk(
            v,
            tasks,
            dims,
            durations if durations is not None else mats[prof]["durations"],
            distances if distances is not None else mats[prof].get("distances"),
            errors,
        )
        walk.run(r["steps"], seen)
        late_tasks.update(walk.late_tasks)
        for key in totals:
            totals[key] += getattr(walk, key)
    _check_shipments(problem, seen, errors)
    summary = solution.get("summary", {})
    for key in ("late", "lateness"):
        if key in summary and summary[key] != totals[key]:
            errors.append(f"summary {key} {summary[key]} but recomputed {totals[key]}")
    listed = {(u.get("type", "job"), u["id"]) for u in solution.get("unassigned", [])}
    for key in tasks:
        if key not in seen and key not in listed:
            errors.append(f"{key[0]} {key[1]} neither served nor unassigned")
    return {"errors": errors, **totals, "late_tasks": late_tasks, "unassigned": len(tasks) - totals["served"]}


def _dims(problem: dict) -> int:
    for v in problem["vehicles"]:
        if "capacity" in v:
            return len(v["capacity"])
    return 0


def _tasks(problem: dict) -> dict[tuple[str, int], dict]:
    """(type, id) -> the task's source object, kind, shipment, skills and priority."""
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
            tasks[(half, s[half]["id"])] = {
                "src": s[half],
                "kind": half,
                "ship": s,
                "skills": set(s.get("skills", [])),
                "priority": s.get("priority", 0),
            }
    return tasks


def _check_shipments(problem: dict, seen: dict, errors: list[str]) -> None:
    """Both halves of a shipment on one vehicle, or neither served."""
    for s in problem.get("shipments", []):
        a = seen.get(("pickup", s["pickup"]["id"]))
        b = seen.get(("delivery", s["delivery"]["id"]))
        if (a is None) != (b is None) or (a is not None and a != b):
            errors.append(f"shipment {s['pickup']['id']}/{s['delivery']['id']} split")


class _Walk:
    """One route driven step by step from the vehicle's start, errors noted on the way."""

    def __init__(self, v: dict, tasks: dict, dims: int, dur_m, dist_m, errors: list):
        self.v, self.vid, self.tasks, self.dims = v, v["id"], tasks, dims
        self.dur_m, self.dist_m, self.errors = dur_m, dist_m, errors
        self.cap = v.get("capacity", [math.inf] * dims)
        self.tw = v.get("time_window", [0, math.inf])
        self.breaks = {b["id"]: b for b in v.get("breaks", [])}
        self.distance = self.duration = self.served = self.priority = 0
        self.late = self.lateness = 0
        self.late_tasks: dict[tuple[str, int], int] = {}  # (type, id) -> seconds late
        self.dirty = False  # picked something up (for pickups_after_deliveries)
        self.pending: list[dict] = []  # breaks on the current leg
        self.loc = v.get("start_index")

    def run(self, steps: list[dict], seen: dict) -> None:
        if not steps or steps[0]["type"] != "start" or steps[-1]["type"] != "end":
            self.errors.append(f"vehicle {self.vid}: route must begin with start and finish with end")
            return
        self.load = self._start_load(steps)
        self.t = steps[0]["arrival"]
        if self.t < self.tw[0]:
            self.errors.append(f"vehicle {self.vid}: leaves at {self.t} before its shift {self.tw}")
        self.picked: set[int] = set()
        self.taken: set[int] = set()
        for s in steps[1:]:
            if s["type"] == "break":
                self._break(s)
            elif s["type"] == "end":
                self._end()
            else:
                self._task(s, seen)
        if "max_tasks" in self.v and self.served > self.v["max_tasks"]:
            self.errors.append(f"vehicle {self.vid}: {self.served} tasks > max_tasks {self.v['max_tasks']}")
        if "max_travel_time" in self.v and self.duration > self.v["max_travel_time"]:
            self.errors.append(f"vehicle {self.vid}: travel time {self.duration} > max_travel_time")
        if self.served and set(self.breaks) - self.taken:
            missing = sorted(set(self.breaks) - self.taken)
            self.errors.append(f"vehicle {self.vid}: breaks {missing} not taken")

    def _start_load(self, steps: list[dict]) -> list[int]:
        """All deliveries of the route's jobs are on board when it leaves."""
        load = [0] * self.dims
        for s in steps:
            t = self.tasks.get(("job", s.get("id"))) if s["type"] == "job" else None
            if t:
                for k, d in enumerate(t["src"].get("delivery", [0] * self.dims)):
                    load[k] += d
        if any(a > c for a, c in zip(load, self.cap)):
            self.errors.append(f"vehicle {self.vid}: start load {load} exceeds capacity {self.cap}")
        return load

    def _move(self, to: int | None) -> None:
        """Drive to matrix index `to`, taking the pending breaks on the way.

        A break has no location: it can be taken anywhere along the leg, including while
        waiting at the next stop, and must start inside one of its windows.
        """
        leg = 0
        if to is not None and self.loc is not None:
            leg = self.dur_m[self.loc][to]
            self.duration += leg
            if self.dist_m is not None:
                self.distance += self.dist_m[self.loc][to]
        t_free, remaining = self.t, leg
        for b in self.pending:
            start = _start_in(b.get("time_windows", ANY_TIME), t_free)
            if start is None:
                self.errors.append(
                    f"vehicle {self.vid}: break {b['id']} cannot start in its windows (free from {t_free})"
                )
                start = t_free
            # Drive until the break starts (or until arrived), then rest.
            remaining -= min(remaining, start - t_free)
            t_free = start + b.get("service", 0)
        self.pending.clear()
        self.t = t_free + remaining

    def _break(self, s: dict) -> None:
        b = self.breaks.get(s.get("id"))
        if b is None:
            self.errors.append(f"vehicle {self.vid}: unknown break {s.get('id')}")
            return
        self.taken.add(b["id"])
        self.pending.append(b)
        if "max_load" in b and any(a > m for a, m in zip(self.load, b["max_load"])):
            self.errors.append(f"vehicle {self.vid}: load {self.load} above break max_load")

    def _end(self) -> None:
        end = self.v.get("end_index")
        self._move(end if self.loc is not None else None)
        if self.t > self.tw[1]:
            self.errors.append(f"vehicle {self.vid}: back at {self.t} after its shift ends {self.tw[1]}")

    def _task(self, s: dict, seen: dict) -> None:
        typ, vid = s["type"], self.vid
        key = (typ, s.get("id"))
        t = self.tasks.get(key)
        if t is None:
            self.errors.append(f"vehicle {vid}: unknown {typ} {s.get('id')}")
            return
        if key in seen:
            self.errors.append(f"{typ} {key[1]} served twice")
        seen[key] = vid
        self.served += 1
        self.priority += t["priority"]
        src = t["src"]
        if not t["skills"] <= set(self.v.get("skills", [])):
            self.errors.append(f"vehicle {vid} lacks skills for {typ} {key[1]}")
        tl = src.get("location_index")
        self._move(tl if self.loc is not None else None)
        start = _start_in(src.get("time_windows", ANY_TIME), self.t)
        if start is None:
            self.errors.append(f"vehicle {vid}: {typ} {key[1]} reached at {self.t}, after its windows")
            start = self.t
        self._lateness(s, src, start)
        setup = src.get("setup", 0) if tl != self.loc else 0
        self.t = start + setup + src.get("service", 0)
        self.loc = tl
        self._load_change(typ, t, key[1])

    def _lateness(self, s: dict, src: dict, start: int) -> None:
        """Seconds after the deadline (soft), recomputed; the plan's late_by must agree."""
        late = max(0, start - src["deadline"]) if "deadline" in src else 0
        self.late += late > 0
        self.lateness += late
        if late:
            self.late_tasks[(s["type"], s.get("id"))] = late
        if "late_by" in s and s["late_by"] != late:
            self.errors.append(
                f"vehicle {self.vid}: {s['type']} {s.get('id')} late_by {s['late_by']} but recomputed {late}"
            )

    def _clean_before_dirty(self, drops: bool, picks: bool, typ: str, tid: int) -> None:
        """pickups_after_deliveries: nothing delivered once something was picked up."""
        if not self.v.get("pickups_after_deliveries"):
            return
        if drops and self.dirty:
            self.errors.append(f"vehicle {self.vid}: {typ} {tid} delivers after a pickup (pickups_after_deliveries)")
        self.dirty = self.dirty or picks

    def _load_change(self, typ: str, t: dict, tid: int) -> None:
        zeros = [0] * self.dims
        if typ == "job":
            pick, drop = t["src"].get("pickup", zeros), t["src"].get("delivery", zeros)
            self._clean_before_dirty(any(drop), any(pick), typ, tid)
        elif typ == "pickup":
            self.picked.add(id(t["ship"]))
            pick, drop = t["ship"].get("amount", zeros), zeros
            self._clean_before_dirty(False, any(pick), typ, tid)
        else:
            if id(t["ship"]) not in self.picked:
                self.errors.append(f"vehicle {self.vid}: delivery {tid} before its pickup (or elsewhere)")
            pick, drop = zeros, t["ship"].get("amount", zeros)
            self._clean_before_dirty(any(drop), False, typ, tid)
        for k in range(self.dims):
            self.load[k] += pick[k] - drop[k]
        if any(a > c for a, c in zip(self.load, self.cap)) or any(a < 0 for a in self.load):
            self.errors.append(f"vehicle {self.vid}: load {self.load} outside capacity {self.cap} after {typ} {tid}")


def _start_in(windows, t):
    for a, b in sorted(windows):
        if t <= b:
            return max(t, a)
    return None


def main(argv: list[str]) -> int:
    with open(argv[0]) as f:
        prob = json.load(f)
    with open(argv[1]) as f:
        sol = json.load(f)
    res = check(prob, sol)
    print(json.dumps(res, indent=1))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
