"""`python -m routing solve`: output, stdin, time limit, and one-line errors with exit code 2."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from routing import search, sisr
from routing.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
M3 = [[0, 10, 20], [10, 0, 10], [20, 10, 0]]


def base() -> dict:
    return {
        "vehicles": [{"id": 1, "start_index": 0, "end_index": 0, "capacity": [5]}],
        "jobs": [{"id": 1, "location_index": 1, "delivery": [1]}, {"id": 2, "location_index": 2, "delivery": [1]}],
        "matrices": {"car": {"durations": [list(r) for r in M3]}},
    }


def run_main(tmp_path, capsys, text: str, *extra: str):
    f = tmp_path / "p.json"
    f.write_text(text)
    code = main(["solve", str(f), "--seconds", "0.3", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def broken(mutate) -> str:
    p = base()
    mutate(p)
    return json.dumps(p)


BAD = {
    "malformed JSON": "{not json",
    "not an object": "[1, 2]",
    "no vehicles": broken(lambda p: p.update(vehicles=[])),
    "index out of range": broken(lambda p: p["jobs"][1].update(location_index=12)),
    "unknown step id": broken(lambda p: p["vehicles"][0].update(steps=[{"type": "job", "id": 99}])),
    "window end before start": broken(lambda p: p["jobs"][0].update(time_windows=[[50, 10]])),
    "capacity dimensions differ": broken(lambda p: p["jobs"][0].update(delivery=[1, 2])),
    "vehicle dimensions differ": broken(
        lambda p: p["vehicles"].append({"id": 2, "start_index": 0, "capacity": [1, 1]})
    ),
    "negative service": broken(lambda p: p["jobs"][0].update(service=-5)),
    "negative window": broken(lambda p: p["jobs"][0].update(time_windows=[[-10, 10]])),
    "duplicate job ids": broken(lambda p: p["jobs"][1].update(id=1)),
    "duplicate vehicle ids": broken(lambda p: p["vehicles"].append(dict(p["vehicles"][0]))),
    "non-square matrix": broken(lambda p: p["matrices"]["car"]["durations"][0].pop()),
    "negative matrix": broken(lambda p: p["matrices"]["car"]["durations"][0].__setitem__(1, -1)),
    "string where a number is": broken(lambda p: p["jobs"][0].update(service="ten")),
    "job without location": broken(lambda p: p["jobs"][0].pop("location_index")),
    "bad coordinates": broken(lambda p: p["vehicles"][0].update(start=[500, 1])),
    "priority above 100": broken(lambda p: p["jobs"][0].update(priority=101)),
    "negative deadline": broken(lambda p: p["jobs"][0].update(deadline=-1)),
    "deadline not an integer": broken(lambda p: p["jobs"][0].update(deadline=10.5)),
    "deadline beyond 64 bits": broken(lambda p: p["jobs"][0].update(deadline=10**20)),
    "window beyond 64 bits": broken(lambda p: p["jobs"][0].update(time_windows=[[0, 10**20]])),
    "service beyond 64 bits": broken(lambda p: p["jobs"][0].update(service=10**20)),
    "matrix value beyond 64 bits": broken(lambda p: p["matrices"]["car"]["durations"][0].__setitem__(1, 10**20)),
    "id beyond 64 bits": broken(lambda p: p["jobs"][0].update(id=10**20)),
    "deadline as a clock time": broken(lambda p: p["jobs"][0].update(deadline="13:00")),
    "shipment deadline": broken(
        lambda p: p.update(
            shipments=[
                {"pickup": {"id": 1, "location_index": 1}, "delivery": {"id": 1, "location_index": 2, "deadline": True}}
            ]
        )
    ),
    "pickups_after_deliveries not a boolean": broken(lambda p: p["vehicles"][0].update(pickups_after_deliveries="yes")),
    "pickups_after_deliveries as 1": broken(lambda p: p["vehicles"][0].update(pickups_after_deliveries=1)),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exit_2_one_line(tmp_path, capsys, name):
    code, out, err = run_main(tmp_path, capsys, BAD[name])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in err


def test_error_names_the_field(tmp_path, capsys):
    _, _, err = run_main(tmp_path, capsys, BAD["index out of range"])
    assert err.strip() == "error: jobs[1].location_index 12 is out of range (matrix has 3 locations)"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("negative deadline", "error: jobs[0].deadline must be >= 0, got -1"),
        ("deadline not an integer", "error: jobs[0].deadline must be an integer, got 10.5"),
        (
            "pickups_after_deliveries not a boolean",
            ("error: vehicles[0].pickups_after_deliveries must be true or false, got 'yes'"),
        ),
    ],
)
def test_extension_errors_name_the_field(tmp_path, capsys, name, message):
    code, _, err = run_main(tmp_path, capsys, BAD[name])
    assert code == 2 and err.strip() == message


def test_missing_file_and_bad_option(capsys):
    assert main(["solve", "/nonexistent/p.json"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        main(["solve", "-", "--seconds", "soon"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_solution_on_stdout(tmp_path, capsys):
    code, out, err = run_main(tmp_path, capsys, json.dumps(base()))
    assert code == 0 and err == ""
    sol = json.loads(out)
    assert sol["code"] == 0 and sol["summary"]["cost"] == 40
    step = sol["routes"][0]["steps"][1]
    assert {"type", "id", "location_index", "arrival", "duration", "service", "waiting_time", "load"} <= set(step)


@pytest.mark.parametrize(("seconds", "compiled"), [(2, True), (4, True), (4, False)])
def test_subprocess_stdin_and_time_limit(seconds, compiled, tmp_path):
    # 120 jobs on a grid: the run must end within --seconds + 10% + 1 s, imports included.
    # At 4 s the compiled ruin and recreate (routing/sisr.py) is loaded and used as well;
    # without its cache (an empty NUMBA_CACHE_DIR) the numpy search runs, with a warning.
    n = 121
    pts = [(i % 11, i // 11) for i in range(n)]
    m = [[int(10 * (abs(a[0] - b[0]) + abs(a[1] - b[1]))) for b in pts] for a in pts]
    prob = {
        "vehicles": [{"id": k, "start_index": 0, "end_index": 0, "capacity": [30]} for k in range(6)],
        "jobs": [{"id": i, "location_index": i, "delivery": [1]} for i in range(1, n)],
        "matrices": {"car": {"durations": m}},
    }
    env = dict(os.environ)
    if not compiled:
        env["NUMBA_CACHE_DIR"] = str(tmp_path)
    t = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "routing", "solve", "-", "--seconds", str(seconds)],
        input=json.dumps(prob),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env=env,
    )
    elapsed = time.monotonic() - t
    assert res.returncode == 0, res.stderr
    assert elapsed <= seconds * 1.1 + 1
    if compiled or seconds < 2.5:
        assert res.stderr == ""
    else:
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("warning: ")
    sol = json.loads(res.stdout)
    assert sol["summary"]["unassigned"] == 0


def test_subprocess_bad_input():
    res = subprocess.run(
        [sys.executable, "-m", "routing", "solve", "-"],
        input="{",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr


def test_one_line_warning_when_the_fast_search_is_not_compiled(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sisr, "compiled", lambda: False)
    monkeypatch.setattr(search, "SISR_MIN_SECONDS", 0.0)
    code, out, err = run_main(tmp_path, capsys, json.dumps(base()))
    assert code == 0 and json.loads(out)["code"] == 0
    assert err.count("\n") == 1
    assert err.startswith("warning: the fast search is not compiled")
    assert "python -m routing compile" in err


def test_time_limit_covers_reading_a_large_matrix(tmp_path):
    # Issue #18: --seconds counts start-up, reading and validating the matrix and the
    # output. 800 jobs with time windows (an 801 x 801 matrix, 3.6 MB of JSON) take the
    # path of the 1,000-job benchmarks (the compiled search alone, search.HUGE), so the
    # bound is the benchmarks' (60 s: at most 67 s) at a smaller scale.
    n, seconds = 801, 4
    rng = __import__("random").Random(5)
    pts = [(50, 50)] + [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(n - 1)]
    m = [[int(10 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in pts] for a in pts]
    jobs = []
    for i in range(1, n):
        open_at = rng.randrange(0, 8000)
        jobs.append(
            {"id": i, "location_index": i, "delivery": [1], "service": 90, "time_windows": [[open_at, open_at + 2000]]}
        )
    prob = {
        "vehicles": [
            {"id": k, "start_index": 0, "end_index": 0, "capacity": [40], "time_window": [0, 12000]} for k in range(60)
        ],
        "jobs": jobs,
        "matrices": {"car": {"durations": m}},
    }
    assert len(jobs) > search.HUGE
    path = tmp_path / "large.json"
    path.write_text(json.dumps(prob))
    t = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "routing", "solve", str(path), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.monotonic() - t
    assert res.returncode == 0, res.stderr
    assert elapsed <= seconds * 1.1 + 1
    assert len(json.loads(res.stdout)["routes"]) > 0
