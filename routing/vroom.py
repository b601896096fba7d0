"""VROOM JSON input -> Problem, and routes -> VROOM JSON output."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from routing import matrix as matrix_mod
from routing.errors import ProblemError
from routing.problem import INF_TIME, Break, Problem, Task, Vehicle


def _int(value: Any, where: str, *, minimum: int | None = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProblemError(f"{where} must be an integer, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ProblemError(f"{where} must be an integer, got {value!r}")
        value = int(value)
    if minimum is not None and value < minimum:
        raise ProblemError(f"{where} must be >= {minimum}, got {value}")
    return value


def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ProblemError(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise ProblemError(f"{where} must be an array")
    return value


def _amounts(value: Any, where: str, dims: int | None) -> tuple[int, ...]:
    items = _list(value, where)
    out = tuple(_int(x, f"{where}[{i}]") for i, x in enumerate(items))
    if dims is not None and len(out) != dims:
        raise ProblemError(
            f"{where} has {len(out)} dimensions but capacities have {dims}"
        )
    return out


def _windows(value: Any, where: str) -> tuple[tuple[int, int], ...]:
    items = _list(value, where)
    if not items:
        raise ProblemError(f"{where} must not be empty")
    out = []
    for i, w in enumerate(items):
        w = _list(w, f"{where}[{i}]")
        if len(w) != 2:
            raise ProblemError(f"{where}[{i}] must be [start, end]")
        a, b = _int(w[0], f"{where}[{i}][0]"), _int(w[1], f"{where}[{i}][1]")
        if b < a:
            raise ProblemError(f"{where}[{i}] ends ({b}) before it starts ({a})")
        out.append((a, b))
    out.sort()
    for (a1, b1), (a2, b2) in itertools.pairwise(out):
        if a2 <= b1:
            raise ProblemError(f"{where} has overlapping windows")
    return tuple(out)


def _skills(value: Any, where: str) -> frozenset[int]:
    return frozenset(
        _int(s, f"{where}[{i}]") for i, s in enumerate(_list(value, where))
    )


def _coords(value: Any, where: str) -> tuple[float, float]:
    items = _list(value, where)
    if len(items) != 2 or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in items
    ):
        raise ProblemError(f"{where} must be [lon, lat]")
    lon, lat = float(items[0]), float(items[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ProblemError(f"{where} [{lon}, {lat}] is not a valid [lon, lat]")
    return lon, lat


class _Locations:
    """Collects location references; resolves them to matrix indices."""

    def __init__(self, n_matrix: int | None):
        self.n_matrix = n_matrix
        self.coords: list[tuple[float, float]] = []
        self.index_of: dict[tuple[float, float], int] = {}
        self.virtual_needed = False

    def resolve(self, obj: dict, idx_key: str, loc_key: str, where: str):
        """Return (index or None, coords or None)."""
        coords = _coords(obj[loc_key], f"{where}.{loc_key}") if loc_key in obj else None
        if idx_key in obj:
            if self.n_matrix is None:
                raise ProblemError(f"{where}.{idx_key} given but there is no matrix")
            i = _int(obj[idx_key], f"{where}.{idx_key}")
            if i >= self.n_matrix:
                raise ProblemError(
                    f"{where}.{idx_key} {i} is out of range "
                    f"(matrix has {self.n_matrix} locations)"
                )
            return i, coords
        if coords is None:
            return None, None
        if self.n_matrix is not None:
            raise ProblemError(f"{where} needs {idx_key} when matrices are given")
        if coords not in self.index_of:
            self.index_of[coords] = len(self.coords)
            self.coords.append(coords)
        return self.index_of[coords], coords


def _read_matrices(data: dict) -> tuple[dict, dict, dict, int | None]:
    if "matrices" not in data:
        return {}, {}, {}, None
    mats = _obj(data["matrices"], "matrices")
    durations: dict[str, np.ndarray] = {}
    distances: dict[str, np.ndarray] = {}
    costs: dict[str, np.ndarray] = {}
    size = None
    for profile, m in mats.items():
        m = _obj(m, f"matrices.{profile}")
        if "durations" not in m:
            raise ProblemError(f"matrices.{profile}.durations is missing")
        for key, out in (
            ("durations", durations),
            ("distances", distances),
            ("costs", costs),
        ):
            if key not in m:
                continue
            where = f"matrices.{profile}.{key}"
            rows = _list(m[key], where)
            n = len(rows)
            if n == 0:
                raise ProblemError(f"{where} is empty")
            for i, r in enumerate(rows):
                if not isinstance(r, list) or len(r) != n:
                    raise ProblemError(
                        f"{where} must be square: row {i} is not {n} long"
                    )
            try:
                arr = np.array(rows, dtype=np.int64)
            except (TypeError, ValueError, OverflowError):
                raise ProblemError(f"{where} must hold integers") from None
            if not np.array_equal(arr, np.array(rows, dtype=np.float64)):
                raise ProblemError(f"{where} must hold integers")
            if (arr < 0).any():
                raise ProblemError(f"{where} must not hold negative values")
            if size is None:
                size = n
            elif n != size:
                raise ProblemError(
                    f"{where} is {n}x{n} but another matrix is {size}x{size}"
                )
            out[profile] = arr
    return durations, distances, costs, size


def parse(data: Any, *, osrm_url: str | None = None) -> Problem:
    """Validate a VROOM input dict and turn it into a Problem."""
    data = _obj(data, "problem")
    durations, distances, costs, n_matrix = _read_matrices(data)
    locs = _Locations(n_matrix)
    raw_vehicles = (
        _list(data.get("vehicles"), "vehicles") if "vehicles" in data else None
    )
    if not raw_vehicles:
        raise ProblemError("vehicles must be a non-empty array")
    dims: int | None = None
    vehicles_raw = []
    seen: set[int] = set()
    for k, v in enumerate(raw_vehicles):
        where = f"vehicles[{k}]"
        v = _obj(v, where)
        if "id" not in v:
            raise ProblemError(f"{where}.id is missing")
        vid = _int(v["id"], f"{where}.id")
        if vid in seen:
            raise ProblemError(f"{where}.id {vid} is a duplicate vehicle id")
        seen.add(vid)
        cap = (
            _amounts(v.get("capacity", []), f"{where}.capacity", dims)
            if "capacity" in v
            else None
        )
        if cap is not None and dims is None:
            dims = len(cap)
        vehicles_raw.append((v, vid, cap))
    dims = dims or 0
    vehicles_raw = [
        (v, vid, cap if cap is not None else (INF_TIME,) * dims)
        for v, vid, cap in vehicles_raw
    ]
    for k, (v, vid, cap) in enumerate(vehicles_raw):
        if len(cap) != dims:
            raise ProblemError(
                f"vehicles[{k}].capacity has {len(cap)} dimensions but others have {dims}"
            )

    tasks: list[dict] = []
    job_ids: set[int] = set()
    for k, j in enumerate(_list(data.get("jobs", []), "jobs")):
        where = f"jobs[{k}]"
        j = _obj(j, where)
        if "id" not in j:
            raise ProblemError(f"{where}.id is missing")
        jid = _int(j["id"], f"{where}.id")
        if jid in job_ids:
            raise ProblemError(f"{where}.id {jid} is a duplicate job id")
        job_ids.add(jid)
        idx, coords = locs.resolve(j, "location_index", "location", where)
        if idx is None:
            raise ProblemError(f"{where} has no location or location_index")
        tasks.append(
            {
                "kind": "job",
                "id": jid,
                "location": idx,
                "coords": coords,
                "setup": _int(j.get("setup", 0), f"{where}.setup"),
                "service": _int(j.get("service", 0), f"{where}.service"),
                "windows": _windows(j["time_windows"], f"{where}.time_windows")
                if "time_windows" in j
                else ((0, INF_TIME),),
                "delivery": _amounts(j["delivery"], f"{where}.delivery", dims)
                if "delivery" in j
                else (0,) * dims,
                "pickup": _amounts(j["pickup"], f"{where}.pickup", dims)
                if "pickup" in j
                else (0,) * dims,
                "amount": (0,) * dims,
                "skills": _skills(j.get("skills", []), f"{where}.skills"),
                "priority": _priority(j, where),
                "description": j.get("description")
                if isinstance(j.get("description"), str)
                else None,
            }
        )
    pickup_ids: set[int] = set()
    delivery_ids: set[int] = set()
    for k, s in enumerate(_list(data.get("shipments", []), "shipments")):
        where = f"shipments[{k}]"
        s = _obj(s, where)
        amount = (
            _amounts(s["amount"], f"{where}.amount", dims)
            if "amount" in s
            else (0,) * dims
        )
        skills = _skills(s.get("skills", []), f"{where}.skills")
        prio = _priority(s, where)
        first = len(tasks)
        for half, ids in (("pickup", pickup_ids), ("delivery", delivery_ids)):
            w = f"{where}.{half}"
            if half not in s:
                raise ProblemError(f"{w} is missing")
            h = _obj(s[half], w)
            if "id" not in h:
                raise ProblemError(f"{w}.id is missing")
            hid = _int(h["id"], f"{w}.id")
            if hid in ids:
                raise ProblemError(f"{w}.id {hid} is a duplicate {half} id")
            ids.add(hid)
            idx, coords = locs.resolve(h, "location_index", "location", w)
            if idx is None:
                raise ProblemError(f"{w} has no location or location_index")
            tasks.append(
                {
                    "kind": half,
                    "id": hid,
                    "location": idx,
                    "coords": coords,
                    "setup": _int(h.get("setup", 0), f"{w}.setup"),
                    "service": _int(h.get("service", 0), f"{w}.service"),
                    "windows": _windows(h["time_windows"], f"{w}.time_windows")
                    if "time_windows" in h
                    else ((0, INF_TIME),),
                    "delivery": (0,) * dims,
                    "pickup": (0,) * dims,
                    "amount": amount,
                    "skills": skills,
                    "priority": prio,
                    "partner": first + 1 if half == "pickup" else first,
                    "description": h.get("description")
                    if isinstance(h.get("description"), str)
                    else None,
                }
            )
    if not tasks:
        raise ProblemError("there are no jobs or shipments to plan")

    vehicles: list[dict] = []
    for k, (v, vid, cap) in enumerate(vehicles_raw):
        where = f"vehicles[{k}]"
        start, start_c = locs.resolve(v, "start_index", "start", where)
        end, end_c = locs.resolve(v, "end_index", "end", where)
        if start is None and end is None:
            raise ProblemError(f"{where} has neither a start nor an end")
        window = (0, INF_TIME)
        if "time_window" in v:
            window = _windows([v["time_window"]], f"{where}.time_window")[0]
        breaks = []
        break_ids = set()
        for b_i, b in enumerate(_list(v.get("breaks", []), f"{where}.breaks")):
            bw = f"{where}.breaks[{b_i}]"
            b = _obj(b, bw)
            bid = _int(b.get("id"), f"{bw}.id") if "id" in b else None
            if bid is None:
                raise ProblemError(f"{bw}.id is missing")
            if bid in break_ids:
                raise ProblemError(f"{bw}.id {bid} is a duplicate break id")
            break_ids.add(bid)
            breaks.append(
                Break(
                    id=bid,
                    windows=_windows(b["time_windows"], f"{bw}.time_windows")
                    if "time_windows" in b
                    else ((0, INF_TIME),),
                    service=_int(b.get("service", 0), f"{bw}.service"),
                    max_load=_amounts(b["max_load"], f"{bw}.max_load", dims)
                    if "max_load" in b
                    else None,
                )
            )
        for b_i, b in enumerate(breaks):
            if not any(
                max(a, window[0]) + b.service <= window[1] and max(a, window[0]) <= e
                for a, e in b.windows
            ):
                raise ProblemError(
                    f"{where}.breaks[{b_i}] cannot be taken within the vehicle's time_window"
                )
        vcosts = _obj(v.get("costs", {}), f"{where}.costs")
        profile = v.get("profile", "car")
        if not isinstance(profile, str):
            raise ProblemError(f"{where}.profile must be a string")
        if n_matrix is not None and profile not in durations:
            raise ProblemError(f"{where}.profile {profile!r} has no matrix")
        steps = []
        for s_i, st in enumerate(_list(v.get("steps", []), f"{where}.steps")):
            sw = f"{where}.steps[{s_i}]"
            st = _obj(st, sw)
            typ = st.get("type")
            if typ not in ("start", "end", "job", "pickup", "delivery", "break"):
                raise ProblemError(
                    f"{sw}.type {typ!r} is not start/end/job/pickup/delivery/break"
                )
            if typ in ("start", "end"):
                continue
            steps.append((typ, _int(st.get("id"), f"{sw}.id")))
        vehicles.append(
            {
                "id": vid,
                "start": start,
                "end": end,
                "capacity": cap,
                "skills": _skills(v.get("skills", []), f"{where}.skills"),
                "window": window,
                "breaks": tuple(sorted(breaks, key=lambda b: b.windows[0])),
                "max_tasks": _int(v["max_tasks"], f"{where}.max_tasks")
                if "max_tasks" in v
                else None,
                "max_travel_time": _int(
                    v["max_travel_time"], f"{where}.max_travel_time"
                )
                if "max_travel_time" in v
                else None,
                "max_distance": _int(v["max_distance"], f"{where}.max_distance")
                if "max_distance" in v
                else None,
                "profile": profile,
                "fixed": _int(vcosts.get("fixed", 0), f"{where}.costs.fixed"),
                "per_hour": _int(
                    vcosts.get("per_hour", 3600), f"{where}.costs.per_hour"
                ),
                "per_km": _int(vcosts.get("per_km", 0), f"{where}.costs.per_km"),
                "steps": tuple(steps),
                "start_coords": start_c,
                "end_coords": end_c,
                "has_start": start is not None,
                "has_end": end is not None,
            }
        )

    # Known ids for given steps.
    known = {("job", t["id"]) for t in tasks if t["kind"] == "job"}
    known |= {(t["kind"], t["id"]) for t in tasks if t["kind"] != "job"}
    used = set()
    for k, v in enumerate(vehicles):
        bids = {b.id for b in v["breaks"]}
        for s_i, (typ, sid) in enumerate(v["steps"]):
            if typ == "break":
                if sid not in bids:
                    raise ProblemError(
                        f"vehicles[{k}].steps[{s_i}] refers to unknown break {sid}"
                    )
                continue
            if (typ, sid) not in known:
                raise ProblemError(
                    f"vehicles[{k}].steps[{s_i}] refers to unknown {typ} {sid}"
                )
            if (typ, sid) in used:
                raise ProblemError(
                    f"vehicles[{k}].steps[{s_i}] {typ} {sid} is in more than one route"
                )
            used.add((typ, sid))

    # Matrices: given, or built from coordinates.
    if n_matrix is None:
        built_d, built_s = matrix_mod.build_matrices(locs.coords, osrm_url=osrm_url)
        profiles = {v["profile"] for v in vehicles}
        durations = dict.fromkeys(profiles, built_d)
        distances = dict.fromkeys(profiles, built_s)
        n = len(locs.coords)
    else:
        n = n_matrix
    if any(v["start"] is None or v["end"] is None for v in vehicles):
        # A virtual location, zero away from everything, for open routes.
        def grow(m: np.ndarray) -> np.ndarray:
            out = np.zeros((n + 1, n + 1), dtype=np.int64)
            out[:n, :n] = m
            return out

        durations = {p: grow(m) for p, m in durations.items()}
        distances = {p: grow(m) for p, m in distances.items()}
        costs = {p: grow(m) for p, m in costs.items()}
        for v in vehicles:
            if v["start"] is None:
                v["start"] = n
            if v["end"] is None:
                v["end"] = n

    return Problem(
        tasks=tuple(Task(**t) for t in tasks),
        vehicles=tuple(Vehicle(**v) for v in vehicles),
        durations=durations,
        distances=distances,
        costs=costs,
        dims=dims,
        indices_given=n_matrix is not None,
    )


def _priority(obj: dict, where: str) -> int:
    p = _int(obj.get("priority", 0), f"{where}.priority")
    if p > 100:
        raise ProblemError(f"{where}.priority must be between 0 and 100, got {p}")
    return p


def format_solution(
    problem: Problem,
    routes: list,  # list[TimedRoute]
    unassigned: list[tuple[int, str]],
    *,
    computing_ms: int = 0,
) -> dict:
    """Build VROOM's output document from timed routes and (task index, reason) pairs."""
    dims = problem.dims
    out_routes = []
    total = {
        "cost": 0,
        "setup": 0,
        "service": 0,
        "duration": 0,
        "waiting_time": 0,
        "priority": 0,
        "distance": 0,
        "lateness": 0,
    }
    tot_delivery = [0] * dims
    tot_pickup = [0] * dims
    any_distance = False
    for r in routes:
        v = problem.vehicles[r.vehicle]
        has_dist = problem.has_distances(v.profile)
        any_distance |= has_dist
        steps = []
        setup = service = waiting = priority = 0
        delivery = [0] * dims
        pickup = [0] * dims
        for s in r.steps:
            step: dict = {"type": s.type}
            if s.type in ("job", "pickup", "delivery"):
                task = problem.tasks[s.index]
                step["id"] = task.id
                if task.description:
                    step["description"] = task.description
                _put_location(step, problem, s.location, task.coords)
                priority += task.priority
                if task.kind == "job":
                    delivery = [a + b for a, b in zip(delivery, task.delivery)]
                    pickup = [a + b for a, b in zip(pickup, task.pickup)]
                elif task.kind == "pickup":
                    pickup = [a + b for a, b in zip(pickup, task.amount)]
                else:
                    delivery = [a + b for a, b in zip(delivery, task.amount)]
            elif s.type == "break":
                step["id"] = v.breaks[s.index].id
            elif s.type == "start" and v.has_start:
                _put_location(step, problem, s.location, v.start_coords)
            elif s.type == "end" and v.has_end:
                _put_location(step, problem, s.location, v.end_coords)
            step.update(
                setup=s.setup,
                service=s.service,
                waiting_time=s.waiting,
                load=list(s.load),
                arrival=s.arrival,
                duration=s.duration,
            )
            if has_dist:
                step["distance"] = s.distance
            if s.lateness:
                step["violations"] = [{"cause": "delay", "duration": s.lateness}]
            steps.append(step)
            setup += s.setup
            service += s.service
            waiting += s.waiting
        route = {
            "vehicle": v.id,
            "cost": r.cost,
            "setup": setup,
            "service": service,
            "duration": r.steps[-1].duration,
            "waiting_time": waiting,
            "priority": priority,
            "delivery": delivery,
            "pickup": pickup,
            "steps": steps,
        }
        if has_dist:
            route["distance"] = r.steps[-1].distance
        route["violations"] = (
            [{"cause": "delay", "duration": r.lateness}] if r.lateness else []
        )
        out_routes.append(route)
        total["cost"] += r.cost
        total["setup"] += setup
        total["service"] += service
        total["duration"] += route["duration"]
        total["waiting_time"] += waiting
        total["priority"] += priority
        total["distance"] += route.get("distance", 0)
        total["lateness"] += r.lateness
        tot_delivery = [a + b for a, b in zip(tot_delivery, delivery)]
        tot_pickup = [a + b for a, b in zip(tot_pickup, pickup)]
    out_unassigned = []
    for i, reason in unassigned:
        task = problem.tasks[i]
        u: dict = {"id": task.id, "type": task.kind}
        _put_location(u, problem, task.location, task.coords)
        if task.description:
            u["description"] = task.description
        u["reason"] = reason
        out_unassigned.append(u)
    summary = {
        "cost": total["cost"],
        "routes": len(out_routes),
        "unassigned": len(out_unassigned),
        "setup": total["setup"],
        "service": total["service"],
        "duration": total["duration"],
        "waiting_time": total["waiting_time"],
        "priority": total["priority"],
        "delivery": tot_delivery,
        "pickup": tot_pickup,
        "violations": (
            [{"cause": "delay", "duration": total["lateness"]}]
            if total["lateness"]
            else []
        ),
        "computing_times": {"loading": 0, "solving": computing_ms, "routing": 0},
    }
    if any_distance:
        summary["distance"] = total["distance"]
    return {
        "code": 0,
        "summary": summary,
        "unassigned": out_unassigned,
        "routes": out_routes,
    }


def _put_location(step: dict, problem: Problem, index: int | None, coords) -> None:
    if coords is not None:
        step["location"] = list(coords)
    if problem.indices_given and index is not None:
        step["location_index"] = index
