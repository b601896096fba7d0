"""Two questions bench/county_day.py asks of each day, beside ours vs VROOM.

- Was a late emergency forced by the objective order? An emergency on time when the
  emergencies are solved alone but late in our plan is either the search's weakness or the
  price of the order (priority served, then tasks late, then lateness): the same day is
  solved again with those emergencies' deadlines made hard time windows, for longer (a
  plan found in any time shows that it exists). If that plan is no worse by the order
  (priority, late, lateness), the lateness was the search's fault; if it serves less
  priority or more late tasks, the order may have chosen the late emergency (as far as
  that run shows: at 20 s, three of four such verdicts on 7 Dec were turned round by 120 s
  runs).
- How much priority fits with nothing late? The day with every due time a hard window,
  solved by both: when that serves less priority than VROOM's plan of the day without
  them, matching VROOM's priority needs some task late (as far as both searches find), and
  "late at most a quarter of VROOM's" may not be reachable on that day.
- Travel at equal service: VROOM serves other jobs than we do, so the two plans' travel
  cannot be compared as they are. The day is cut to the jobs VROOM's plan served (which fit
  together: VROOM's plan shows it), and ours plans exactly them, without due times (travel
  against VROOM's) and with them (what being on time costs in travel at equal service).
- Which of issue 13's bars does the day meet? One line each, met or missed, with its
  figures; and which plan, if any found, meets both the priority and the late-count bars.
"""

from __future__ import annotations

EMERGENCY = 100


def hardened(problem: dict, ids: set[int]) -> dict:
    """The day with the deadlines of jobs `ids` made hard (service must start by them)."""
    jobs = []
    for job in problem["jobs"]:
        if job["id"] in ids:
            dl = job["deadline"]
            windows = job.get("time_windows", [[0, dl]])
            job = {**job, "time_windows": [[a, min(b, dl)] for a, b in windows if a <= dl] or [[0, dl]]}
        jobs.append(job)
    return {**problem, "jobs": jobs}


def all_due_hard(problem: dict) -> dict:
    """The day with every deadline a hard time window: what can be served with none late."""
    return hardened(problem, {j["id"] for j in problem["jobs"] if "deadline" in j})


def order_key(summary: dict) -> tuple[int, int, int]:
    """A checked plan's place in the objective order (smaller is better): priority served,
    tasks late, lateness."""
    return (-summary["priority"], summary["late"], summary["lateness"])


def verdict(ours: dict, hard: dict) -> str:
    """Compare by the objective order; both summaries checked against the same day.

    One run each: the search varies from run to run (about 1% of priority on a 500-job
    day), so "no better plan found" is evidence, not proof.
    """
    if order_key(hard) <= order_key(ours):
        return "the search's weakness: with them on time the plan is no worse by the order"
    if hard["priority"] < ours["priority"]:
        what = f"serves priority {hard['priority']} < {ours['priority']}"
    else:
        what = f"has {hard['late']} tasks late ({hard['lateness'] / 3600:.2f} h) vs {ours['late']}"
    return f"with them on time the best plan found {what}: the order keeps the late one (one run, not a proof)"


def only_jobs(problem: dict, ids: set[int], *, deadlines: bool) -> dict:
    """The day cut to the jobs `ids`, with or without their deadlines."""
    jobs = [j for j in problem["jobs"] if j["id"] in ids]
    if not deadlines:
        jobs = [{k: v for k, v in j.items() if k != "deadline"} for j in jobs]
    return {**problem, "jobs": jobs}


def within_quarter(ours: int, vroom: int) -> bool:
    """The issue's bar for tasks late and lateness: at most a quarter of VROOM's."""
    return 4 * ours <= vroom


def bars(
    ours: dict,
    vroom: dict,
    *,
    emergencies: tuple[int, int, int] | None,
    nothing_late: dict | None,
    equal_travel: dict[str, tuple[float, int, int]],
) -> list[str]:
    """Issue 13's bars for one day, met or not, each with its figures.

    `emergencies`: (of the emergencies on time when solved alone, how many are on time in our
    plan; how many are on time alone; how many emergencies are on time in our plan in all).
    When they cannot all be on time together, the plan alone and ours may put a different
    set on time: as many on time as alone is the bar met by number.
    `nothing_late`: the plans with every due time hard, by solver name;
    `equal_travel`: (ours / VROOM's travel, jobs ours served, jobs VROOM served) on VROOM's
    jobs, by "without" / "with" due times; serving fewer is not equal service.
    """

    def yes(ok: bool) -> str:
        return "met" if ok else "MISSED"

    lines = [
        f"priority at least VROOM's: {yes(ours['priority'] >= vroom['priority'])} "
        f"({ours['priority']} / {vroom['priority']})",
        f"tasks late at most 1/4 of VROOM's: {yes(within_quarter(ours['late'], vroom['late']))} "
        f"({ours['late']} / {vroom['late']})",
        f"lateness at most 1/4 of VROOM's: {yes(within_quarter(ours['lateness'], vroom['lateness']))} "
        f"({ours['lateness'] / 3600:.1f} / {vroom['lateness'] / 3600:.1f} h)",
    ]
    if emergencies is not None:
        on_time, could, in_all = emergencies
        verdict = "met" if on_time == could else "met by number" if in_all >= could else "MISSED"
        lines.append(
            f"emergencies on time of those on time alone: {verdict} ({on_time} of {could}; "
            f"{in_all} on time in ours in all)"
        )
    for variant, (ratio, served, of) in equal_travel.items():
        short = f", serving {served} of {of}" if served < of else ""
        lines.append(
            f"travel at equal service {variant} due times at most 1.05 x: "
            f"{yes(ratio <= 1.05 and not short)} ({ratio:.3f} x{short})"
        )
    if nothing_late is not None:
        lines.append("a plan meeting the priority and late bars: " + _meeting_both(ours, vroom, nothing_late))
    return lines


def _meeting_both(ours: dict, vroom: dict, nothing_late: dict) -> str:
    if ours["priority"] >= vroom["priority"] and within_quarter(ours["late"], vroom["late"]):
        return "ours"
    fits = [(s["priority"], name) for name, s in nothing_late.items() if s["priority"] >= vroom["priority"]]
    if not fits:
        return "none found (with nothing late, at most " + str(max(s["priority"] for s in nothing_late.values())) + ")"
    priority, name = max(fits)
    whose = "our" if name == "ours" else "VROOM's"
    return (
        f"{whose} plan with nothing late ({priority}, 0 late), ranked below ours by the objective order, "
        f"which puts priority first ({priority} < {ours['priority']})"
        if priority < ours["priority"]
        else f"{whose} plan with nothing late ({priority}, 0 late): the search missed it"
    )
