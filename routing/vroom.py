"""VROOM JSON input -> Problem (validated); the output side is in vroom_output.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from routing import fields as f
from routing import matrix as matrix_mod
from routing.errors import ProblemError
from routing.problem import INF_TIME, Break, Problem, Task, Vehicle
from routing.vroom_output import format_solution

__all__ = ["format_solution", "parse"]

ANY_TIME = ((0, INF_TIME),)
STEP_TYPES = ("start", "end", "job", "pickup", "delivery", "break")


def parse(data: Any, *, osrm_url: str | None = None) -> Problem:
    """Validate a VROOM input dict and turn it into a Problem."""
    data = f.obj(data, "problem")
    durations, distances, costs, n_matrix = _read_matrices(data)
    locs = _Locations(n_matrix)
    heads, dims = _vehicle_heads(data)
    tasks = _jobs(data, locs, dims)
    tasks += _shipments(data, locs, dims, first=len(tasks))
    if not tasks:
        raise ProblemError("there are no jobs or shipments to plan")
    vehicles = [
        _vehicle(v, vid, cap, f"vehicles[{k}]", locs, dims, n_matrix, durations)
        for k, (v, vid, cap) in enumerate(heads)
    ]
    _check_given_steps(tasks, vehicles)
    if n_matrix is None:  # built from coordinates
        built_d, built_s = matrix_mod.build_matrices(locs.coords, osrm_url=osrm_url)
        profiles = {v["profile"] for v in vehicles}
        durations = dict.fromkeys(profiles, built_d)
        distances = dict.fromkeys(profiles, built_s)
    if any(v["start"] is None or v["end"] is None for v in vehicles):
        n = len(locs.coords) if n_matrix is None else n_matrix
        durations, distances, costs = (
            {p: _with_virtual(m, n) for p, m in mats.items()} for mats in (durations, distances, costs)
        )
        for v in vehicles:
            v["start"] = n if v["start"] is None else v["start"]
            v["end"] = n if v["end"] is None else v["end"]
    return Problem(
        tasks=tuple(Task(**t) for t in tasks),
        vehicles=tuple(Vehicle(**v) for v in vehicles),
        durations=durations,
        distances=distances,
        costs=costs,
        dims=dims,
        indices_given=n_matrix is not None,
    )


def _with_virtual(m: np.ndarray, n: int) -> np.ndarray:
    """The matrix grown by a virtual location, zero away from everything (open routes)."""
    out = np.zeros((n + 1, n + 1), dtype=np.int64)
    out[:n, :n] = m
    return out


class _Locations:
    """Collects location references; resolves them to matrix indices."""

    def __init__(self, n_matrix: int | None):
        self.n_matrix = n_matrix
        self.coords: list[tuple[float, float]] = []
        self.index_of: dict[tuple[float, float], int] = {}

    def resolve(self, obj: dict, idx_key: str, loc_key: str, where: str):
        """Return (index or None, coords or None)."""
        coords = f.coords(obj[loc_key], f"{where}.{loc_key}") if loc_key in obj else None
        if idx_key in obj:
            if self.n_matrix is None:
                raise ProblemError(f"{where}.{idx_key} given but there is no matrix")
            i = f.integer(obj[idx_key], f"{where}.{idx_key}")
            if i >= self.n_matrix:
                raise ProblemError(f"{where}.{idx_key} {i} is out of range (matrix has {self.n_matrix} locations)")
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
    """(durations, distances, costs) per profile, and their common size (None: none given)."""
    if "matrices" not in data:
        return {}, {}, {}, None
    found: dict[str, dict[str, np.ndarray]] = {"durations": {}, "distances": {}, "costs": {}}
    size = None
    for profile, m in f.obj(data["matrices"], "matrices").items():
        m = f.obj(m, f"matrices.{profile}")
        if "durations" not in m:
            raise ProblemError(f"matrices.{profile}.durations is missing")
        for key, out in found.items():
            if key not in m:
                continue
            where = f"matrices.{profile}.{key}"
            arr = _square_matrix(m[key], where)
            if size is None:
                size = len(arr)
            elif len(arr) != size:
                n = len(arr)
                raise ProblemError(f"{where} is {n}x{n} but another matrix is {size}x{size}")
            out[profile] = arr
    return found["durations"], found["distances"], found["costs"], size


def _square_matrix(value: Any, where: str) -> np.ndarray:
    rows = f.array(value, where)
    n = len(rows)
    if n == 0:
        raise ProblemError(f"{where} is empty")
    for i, r in enumerate(rows):
        if not isinstance(r, list) or len(r) != n:
            raise ProblemError(f"{where} must be square: row {i} is not {n} long")
    try:
        arr = np.array(rows, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise ProblemError(f"{where} must hold integers") from None
    if not np.array_equal(arr, np.array(rows, dtype=np.float64)):
        raise ProblemError(f"{where} must hold integers")
    if (arr < 0).any():
        raise ProblemError(f"{where} must not hold negative values")
    return arr


def _vehicle_heads(data: dict) -> tuple[list[tuple[dict, int, tuple]], int]:
    """Each vehicle's (raw object, id, capacity) and the number of capacity dimensions."""
    raw = f.array(data.get("vehicles"), "vehicles") if "vehicles" in data else None
    if not raw:
        raise ProblemError("vehicles must be a non-empty array")
    dims: int | None = None
    heads = []
    seen: set[int] = set()
    for k, v in enumerate(raw):
        where = f"vehicles[{k}]"
        v = f.obj(v, where)
        if "id" not in v:
            raise ProblemError(f"{where}.id is missing")
        vid = f.integer(v["id"], f"{where}.id")
        if vid in seen:
            raise ProblemError(f"{where}.id {vid} is a duplicate vehicle id")
        seen.add(vid)
        cap = f.amounts(v.get("capacity", []), f"{where}.capacity", dims) if "capacity" in v else None
        if cap is not None and dims is None:
            dims = len(cap)
        heads.append((v, vid, cap))
    dims = dims or 0
    heads = [(v, vid, cap if cap is not None else (INF_TIME,) * dims) for v, vid, cap in heads]
    for k, (_v, _vid, cap) in enumerate(heads):
        if len(cap) != dims:
            raise ProblemError(f"vehicles[{k}].capacity has {len(cap)} dimensions but others have {dims}")
    return heads, dims


def _stop(h: dict, where: str, locs: _Locations, kind: str, sid: int) -> dict:
    """The fields a job and a shipment's half have in common."""
    idx, coords = locs.resolve(h, "location_index", "location", where)
    if idx is None:
        raise ProblemError(f"{where} has no location or location_index")
    return {
        "kind": kind,
        "id": sid,
        "location": idx,
        "coords": coords,
        "setup": f.integer(h.get("setup", 0), f"{where}.setup"),
        "service": f.integer(h.get("service", 0), f"{where}.service"),
        "windows": f.windows(h["time_windows"], f"{where}.time_windows") if "time_windows" in h else ANY_TIME,
        "description": f.description(h),
    }


def _jobs(data: dict, locs: _Locations, dims: int) -> list[dict]:
    tasks: list[dict] = []
    job_ids: set[int] = set()
    for k, j in enumerate(f.array(data.get("jobs", []), "jobs")):
        where = f"jobs[{k}]"
        j = f.obj(j, where)
        if "id" not in j:
            raise ProblemError(f"{where}.id is missing")
        jid = f.integer(j["id"], f"{where}.id")
        if jid in job_ids:
            raise ProblemError(f"{where}.id {jid} is a duplicate job id")
        job_ids.add(jid)
        task = _stop(j, where, locs, "job", jid)
        for key in ("delivery", "pickup"):
            task[key] = f.amounts(j[key], f"{where}.{key}", dims) if key in j else (0,) * dims
        task["amount"] = (0,) * dims
        task["skills"] = f.skills(j.get("skills", []), f"{where}.skills")
        task["priority"] = f.priority(j, where)
        task["deadline"] = _deadline(j, where)
        tasks.append(task)
    return tasks


def _shipments(data: dict, locs: _Locations, dims: int, first: int) -> list[dict]:
    """Both halves of each shipment, pickup first; `first` is the pickup's task index."""
    tasks: list[dict] = []
    ids: dict[str, set[int]] = {"pickup": set(), "delivery": set()}
    for k, s in enumerate(f.array(data.get("shipments", []), "shipments")):
        where = f"shipments[{k}]"
        s = f.obj(s, where)
        amount = f.amounts(s["amount"], f"{where}.amount", dims) if "amount" in s else (0,) * dims
        shared = {
            "delivery": (0,) * dims,
            "pickup": (0,) * dims,
            "amount": amount,
            "skills": f.skills(s.get("skills", []), f"{where}.skills"),
            "priority": f.priority(s, where),
        }
        here = first + len(tasks)
        for half in ("pickup", "delivery"):
            w = f"{where}.{half}"
            if half not in s:
                raise ProblemError(f"{w} is missing")
            h = f.obj(s[half], w)
            if "id" not in h:
                raise ProblemError(f"{w}.id is missing")
            hid = f.integer(h["id"], f"{w}.id")
            if hid in ids[half]:
                raise ProblemError(f"{w}.id {hid} is a duplicate {half} id")
            ids[half].add(hid)
            task = _stop(h, w, locs, half, hid)
            task.update(shared, partner=here + 1 if half == "pickup" else here)
            if half == "delivery":
                task["deadline"] = _deadline(h, w)
            tasks.append(task)
    return tasks


def _vehicle(
    v: dict,
    vid: int,
    cap: tuple[int, ...],
    where: str,
    locs: _Locations,
    dims: int,
    n_matrix: int | None,
    durations: dict,
) -> dict:
    """The fields of one Vehicle (start/end None when not given)."""
    start, start_c = locs.resolve(v, "start_index", "start", where)
    end, end_c = locs.resolve(v, "end_index", "end", where)
    if start is None and end is None:
        raise ProblemError(f"{where} has neither a start nor an end")
    window = (0, INF_TIME)
    if "time_window" in v:
        window = f.windows([v["time_window"]], f"{where}.time_window")[0]
    breaks = _breaks(v, where, dims, window)
    vcosts = f.obj(v.get("costs", {}), f"{where}.costs")
    profile = v.get("profile", "car")
    if not isinstance(profile, str):
        raise ProblemError(f"{where}.profile must be a string")
    if n_matrix is not None and profile not in durations:
        raise ProblemError(f"{where}.profile {profile!r} has no matrix")

    def limit(key: str) -> int | None:
        return f.integer(v[key], f"{where}.{key}") if key in v else None

    return {
        "id": vid,
        "start": start,
        "end": end,
        "capacity": cap,
        "skills": f.skills(v.get("skills", []), f"{where}.skills"),
        "window": window,
        "breaks": tuple(sorted(breaks, key=lambda b: b.windows[0])),
        "max_tasks": limit("max_tasks"),
        "max_travel_time": limit("max_travel_time"),
        "max_distance": limit("max_distance"),
        "profile": profile,
        "fixed": f.integer(vcosts.get("fixed", 0), f"{where}.costs.fixed"),
        "per_hour": f.integer(vcosts.get("per_hour", 3600), f"{where}.costs.per_hour"),
        "per_km": f.integer(vcosts.get("per_km", 0), f"{where}.costs.per_km"),
        "steps": _given_steps(v, where),
        "start_coords": start_c,
        "end_coords": end_c,
        "has_start": start is not None,
        "has_end": end is not None,
        "pickups_after_deliveries": f.boolean(
            v.get("pickups_after_deliveries", False), f"{where}.pickups_after_deliveries"
        ),
    }


def _deadline(obj: dict, where: str) -> int | None:
    """Our extension: the soft latest service start (VROOM_FORMAT.md, "Our extensions")."""
    if "deadline" not in obj:
        return None
    return f.integer(obj["deadline"], f"{where}.deadline")


def _breaks(v: dict, where: str, dims: int, window: tuple[int, int]) -> list[Break]:
    breaks = []
    break_ids = set()
    for b_i, b in enumerate(f.array(v.get("breaks", []), f"{where}.breaks")):
        bw = f"{where}.breaks[{b_i}]"
        b = f.obj(b, bw)
        if "id" not in b:
            raise ProblemError(f"{bw}.id is missing")
        bid = f.integer(b.get("id"), f"{bw}.id")
        if bid in break_ids:
            raise ProblemError(f"{bw}.id {bid} is a duplicate break id")
        break_ids.add(bid)
        brk = Break(
            id=bid,
            windows=f.windows(b["time_windows"], f"{bw}.time_windows") if "time_windows" in b else ANY_TIME,
            service=f.integer(b.get("service", 0), f"{bw}.service"),
            max_load=f.amounts(b["max_load"], f"{bw}.max_load", dims) if "max_load" in b else None,
        )
        breaks.append(brk)
    for b_i, b in enumerate(breaks):
        if not any(max(a, window[0]) + b.service <= window[1] and max(a, window[0]) <= e for a, e in b.windows):
            raise ProblemError(f"{where}.breaks[{b_i}] cannot be taken within the vehicle's time_window")
    return breaks


def _given_steps(v: dict, where: str) -> tuple[tuple[str, int], ...]:
    steps = []
    for s_i, st in enumerate(f.array(v.get("steps", []), f"{where}.steps")):
        sw = f"{where}.steps[{s_i}]"
        st = f.obj(st, sw)
        typ = st.get("type")
        if typ not in STEP_TYPES:
            raise ProblemError(f"{sw}.type {typ!r} is not start/end/job/pickup/delivery/break")
        if typ in ("start", "end"):
            continue
        steps.append((typ, f.integer(st.get("id"), f"{sw}.id")))
    return tuple(steps)


def _check_given_steps(tasks: list[dict], vehicles: list[dict]) -> None:
    """Given routes name known tasks and breaks, each task in one route at most."""
    known = {(t["kind"], t["id"]) for t in tasks}
    used = set()
    for k, v in enumerate(vehicles):
        bids = {b.id for b in v["breaks"]}
        for s_i, (typ, sid) in enumerate(v["steps"]):
            where = f"vehicles[{k}].steps[{s_i}]"
            if typ == "break":
                if sid not in bids:
                    raise ProblemError(f"{where} refers to unknown break {sid}")
                continue
            if (typ, sid) not in known:
                raise ProblemError(f"{where} refers to unknown {typ} {sid}")
            if (typ, sid) in used:
                raise ProblemError(f"{where} {typ} {sid} is in more than one route")
            used.add((typ, sid))
