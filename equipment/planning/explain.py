"""Why an order was not planned, in the coordinator's words: which skill, which depot's stock,
which slot, whose capacity. The router says which of its rules failed (routing/reasons.py);
this adds the order's own facts (its crew skills, items, slot, depot and the vans on shift)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from equipment import service_time
from equipment.models import Depot
from equipment.planning.problem import SEGREGATED_SKILL, BuiltProblem, JobInfo
from equipment.vocabulary import DelayCause

SKILL_WORDS = {1: "a two-person crew", 2: "a hoist-trained crew", SEGREGATED_SKILL: "a dirty compartment"}


@dataclass(frozen=True)
class Why:
    reason: str
    cause: DelayCause


def _hhmm(moment, tz: str) -> str:
    return service_time.to_local(moment, tz).strftime("%H:%M")


def _job(built: BuiltProblem, job_id: int) -> dict:
    return next(j for j in built.problem["jobs"] if j["id"] == job_id)


def _depot_vans(built: BuiltProblem, info: JobInfo) -> list[dict]:
    regs = {v.id for v in built.vans.values() if v.depot_id == info.depot_id}
    return [v for v in built.problem["vehicles"] if v["id"] in regs]


def explain_unassigned(session: Session, built: BuiltProblem, job_id: int, router_reason: str) -> Why:
    """The exact reason a job the router left out was not planned, and its delay cause."""
    info = built.jobs[job_id]
    job = _job(built, job_id)
    depot = session.get(Depot, info.depot_id)
    code = depot.code if depot else "its depot"
    vans = _depot_vans(built, info)
    text = router_reason.lower()
    if "skill" in text:
        missing = [
            SKILL_WORDS.get(s, f"skill {s}")
            for s in job["skills"]
            if s < 1000 and not any(s in v["skills"] for v in vans)
        ]
        needs = " and ".join(missing) or "a crew with the items' skills"
        return Why(f"needs {needs}: no van of {code} on shift has the required skills", DelayCause.NO_TRAINED_CREW)
    if "exceeds the capacity" in text:
        volume, beds, hoists = (max(a, b) for a, b in zip(job["delivery"], job["pickup"]))
        return Why(
            f"its items ({volume} volume units, {beds} bed and {hoists} hoist slots) exceed the capacity of "
            f"every van of {code} with the skills",
            DelayCause.NO_VAN_CAPACITY,
        )
    slot = next((o for o in info.orders if o.slot_start and o.slot_end), None)
    if "time window" in text:
        if slot is not None:
            return Why(
                f"its slot {_hhmm(slot.slot_start, built.tz)}-{_hhmm(slot.slot_end, built.tz)} cannot be reached "
                f"within the working hours of any van of {code} (no time window fits)",
                DelayCause.OUTSIDE_SLOT,
            )
        return Why(f"cannot be reached within the working hours of any van of {code}", DelayCause.NO_VAN_CAPACITY)
    if "deadline" in text:
        return Why(f"cannot be on time on any van of {code}, and it is not due today", DelayCause.NO_VAN_CAPACITY)
    fitting = [v for v in vans if set(job["skills"]) <= set(v["skills"])]
    where = f" in its slot {_hhmm(slot.slot_start, built.tz)}-{_hhmm(slot.slot_end, built.tz)}" if slot else ""
    return Why(
        f"no capacity or time left{where} on the {len(fitting)} van(s) of {code} with the skills to take it",
        DelayCause.NO_VAN_CAPACITY,
    )
