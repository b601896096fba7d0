"""Paired runs: our router with and without one search setting, on the same county days
with due times, compared by the objective order (priority served, tasks late, lateness).

The search stops on the clock, so one run says little: each day is solved with both
settings at several solver seeds, the two of a pair side by side (one per core), and the
pairs are counted as better, worse or equal. Default: the late-task repair
(`routing.search.REPAIR_SHARE`) against none.

    python bench/county_pairs.py [--days 60x4:1-5,500x25:1-3] [--seeds 1,2] [--seconds 20]
        [--setting REPAIR_SHARE --off 0]      # a setting of routing.search, or MODULE.NAME (sisr.STALL_SHARE)
        [--setting threads --on 2 --off 1]    # solve_json's threads: the two run one after the other
        [--threads 2]                         # both sides with two searches (one after the other;
                                              # with a setting of routing.portfolio only)
        [--against REF]                       # this tree against a commit (each side through the CLI)
        [--no-deadlines]                      # the days without due times, compared by VROOM's order
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import county_checks  # noqa: E402 - beside this file
import county_day  # noqa: E402


def setting_value(text: str, like):
    """`text` as a value of the type of `like` (a bool from 1/true/yes)."""
    return text.lower() in ("1", "true", "yes") if isinstance(like, bool) else type(like)(text)


def _child(problem: dict, seconds: float, seed: int, setting: str, value: str | None, threads: int, conn) -> None:
    sys.path.insert(0, str(ROOT))
    from routing import solve_json

    if setting == "threads":
        threads = int(value or 1)
    elif value is not None:
        module, _, name = setting.rpartition(".")
        target = importlib.import_module(f"routing.{module or 'search'}")
        setattr(target, name, setting_value(value, getattr(target, name)))
    conn.send(solve_json(problem, seconds=seconds, seed=seed, threads=threads))
    conn.close()


def _pair(
    problem: dict, seconds: float, seed: int, setting: str, on: str | None, off: str, threads: int = 1
) -> tuple[dict, dict]:
    """(with the setting at `on`, or as the code has it when None; with it at `off`),
    solved at the same time (one after the other when either uses more than one core)."""
    ctx = mp.get_context("spawn")

    def start(value):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(problem, seconds, seed, setting, value, threads, send))
        proc.start()
        return proc, receive

    def finish(proc, receive) -> dict:
        sol = receive.recv()
        proc.join()
        return sol

    if setting == "threads" or threads > 1:
        return finish(*start(on)), finish(*start(off))
    both = [start(on), start(off)]
    return finish(*both[0]), finish(*both[1])


def _cli_pair(problem: dict, seconds: float, seed: int, trees: tuple[Path, Path], threads: int) -> tuple[dict, dict]:
    """The same day solved by `python -m routing solve` in each tree (side by side when
    each uses one core)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(problem, f)
    cmd = [sys.executable, "-m", "routing", "solve", f.name]
    cmd += ["--seconds", str(seconds), "--seed", str(seed), "--threads", str(threads)]

    def start(tree: Path) -> subprocess.Popen:
        return subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, text=True)

    try:
        if threads > 1:
            return tuple(json.loads(start(tree).communicate()[0]) for tree in trees)
        procs = [start(tree) for tree in trees]
        return tuple(json.loads(p.communicate()[0]) for p in procs)
    finally:
        Path(f.name).unlink()


@contextlib.contextmanager
def worktree(ref: str):
    """A checkout of `ref` beside this one, its compiled search built; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="county-pairs-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True)
        try:
            subprocess.run([sys.executable, "-m", "routing", "compile"], cwd=tree, check=True)
            yield tree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)


def parse_days(spec: str):
    for part in spec.split(","):
        size, seeds = part.split(":")
        jobs, vans = (int(x) for x in size.split("x"))
        first, _, last = seeds.partition("-")
        for seed in range(int(first), int(last or first) + 1):
            yield jobs, vans, seed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", default="60x4:1-5,500x25:1-3", help="JOBSxVANS:SEEDS, comma-separated")
    ap.add_argument("--seeds", default="1,2", help="solver seeds")
    ap.add_argument("--seconds", type=float, default=None, help="default: 20 s up to 200 jobs, else 30 s")
    ap.add_argument("--setting", default="REPAIR_SHARE")
    ap.add_argument("--on", default=None, help="the value to try (default: as the code has it)")
    ap.add_argument("--off", default="0", help="the value to compare with")
    ap.add_argument("--threads", type=int, default=1, help="searches at once on both sides")
    ap.add_argument("--against", default=None, help="a git commit: compare this tree with it (not a setting)")
    ap.add_argument(
        "--no-deadlines", action="store_true", help="the days without due times: priority, jobs served, then travel"
    )
    args = ap.parse_args()
    every_search = args.setting == "threads" or args.setting.startswith("portfolio.")
    if not args.against and args.threads > 1 and not every_search:
        # The other searches are fresh processes (routing/portfolio.py): a setting made here
        # would reach the first search only, and the pair would compare half a change.
        ap.error(f"--setting {args.setting} with --threads {args.threads} reaches only the first search: use --against")
    if args.against:
        with worktree(args.against) as other:
            compare(args, (ROOT, other))
    else:
        compare(args, None)


def compare(args: argparse.Namespace, trees: tuple[Path, Path] | None) -> None:
    """Run the pairs and print each and the tally."""
    tally = {"better": 0, "worse": 0, "equal": 0}
    late_em = [0, 0]
    totals = {k: [0, 0] for k in ("priority", "late", "lateness", "served", "travel")}
    for jobs, vans, day in parse_days(args.days):
        problem = county_day.generate(day, jobs, vans, deadlines=not args.no_deadlines)
        seconds = args.seconds or (20.0 if jobs <= 200 else 30.0)
        emergencies = {j["id"] for j in problem["jobs"] if j.get("priority") == county_day.EMERGENCY}
        for seed in (int(s) for s in args.seeds.split(",")):
            on, off = (
                county_day.summarise(problem, s)
                for s in (
                    _cli_pair(problem, seconds, seed, trees, args.threads)
                    if trees
                    else _pair(problem, seconds, seed, args.setting, args.on, args.off, args.threads)
                )
            )
            key_on, key_off = (
                county_checks.order_key(x) + ((-x["served"], x["travel"]) if args.no_deadlines else ())
                for x in (on, off)
            )
            verdict = "better" if key_on < key_off else "worse" if key_on > key_off else "equal"
            tally[verdict] += 1
            em = [len(x["late_ids"] & emergencies) for x in (on, off)]
            late_em = [late_em[0] + em[0], late_em[1] + em[1]]
            for k, pair in totals.items():
                pair[0], pair[1] = pair[0] + on[k], pair[1] + off[k]
            print(
                f"{jobs} jobs day {day} seed {seed}: "
                + "  |  ".join(
                    f"{name} priority {x['priority']} jobs {x['served']} late {x['late']} lateness {x['lateness'] / 3600:.2f} h "
                    f"emergencies late {e} travel {x['travel'] / 3600:.2f} h{'' if not x['errors'] else ' INFEASIBLE'}"
                    for name, x, e in (("with", on, em[0]), ("without", off, em[1]))
                )
                + f"  -> {verdict}",
                flush=True,
            )
    what = f"this tree vs {args.against}" if trees else f"{args.setting} {args.on or 'as set'} vs {args.off}"
    print(
        f"{what}: better in {tally['better']}, worse in {tally['worse']}, "
        f"equal in {tally['equal']} pairs; emergencies late {late_em[0]} vs {late_em[1]}; priority "
        f"{totals['priority'][0]} vs {totals['priority'][1]}, late {totals['late'][0]} vs {totals['late'][1]}, "
        f"lateness {totals['lateness'][0] / 3600:.1f} h vs {totals['lateness'][1] / 3600:.1f} h, "
        f"jobs served {totals['served'][0]} vs {totals['served'][1]}, "
        f"travel {totals['travel'][0] / 3600:.1f} h vs {totals['travel'][1] / 3600:.1f} h"
    )


if __name__ == "__main__":
    main()
