"""Benchmark: how fast the web process answers while it plans a day in its background thread
(no REDIS_URL, the default), with the search in another process (as shipped) and, for
comparison, in the web process itself.

    python bench/pages_during_plan.py [--orders 400] [--seconds 20]

Seeds a fresh SQLite database with the demo county and about `--orders` ready orders for the
next working day, then for each mode starts the app (werkzeug, threaded, as `make run`), signs
in as the coordinator, and times two API requests a prescriber's and a coordinator's pages make
(the order form's item search, the plan's status poll), first idle for 5 s and then while a
`--seconds` plan of the day runs. Prints p50 / p95 / max per mode and phase.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEARCH = "/api/v1/orders/availability?q=bed&postcode=IP4%201JJ&limit=8"


def serve(database_url: str, port: int, in_process: bool) -> None:
    """In the server process: the app on `port`; `in_process` puts the search back in it."""
    from werkzeug.serving import make_server

    from equipment.planning import runs
    from equipment.web import create_app

    if in_process:  # the in-app worker's jobs, minus the isolation
        isolated_execute = runs.execute
        runs.execute = lambda *args, **kwargs: isolated_execute(*args, **{**kwargs, "isolated": False})
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": ""})
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[float, dict]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    t = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(base + path, data=data, headers=headers), timeout=120) as r:
        answer = json.loads(r.read() or b"{}")
    return time.monotonic() - t, answer


def wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            call(base, "/healthz")
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not come up")


def figures(label: str, times: list[float]) -> str:
    ms = sorted(1000 * t for t in times)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"{label}: n={len(ms)} p50 {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"


def measure(database_url: str, service_date: date, seconds: float, in_process: bool) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", database_url, "--port", str(port)]
        + (["--in-process"] if in_process else []),
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": ""},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        _, answer = call(base, "/api/v1/auth/token", body={"username": "coordinator", "password": "demo-equipment"})
        token = answer["token"]
        idle: list[float] = []
        t_end = time.monotonic() + 5
        while time.monotonic() < t_end:
            idle.append(call(base, SEARCH, token)[0])
            idle.append(call(base, "/api/v1/plans?limit=5", token)[0])
        _, accepted = call(base, "/api/v1/plans", token, {"date": service_date.isoformat(), "seconds": seconds})
        busy: list[float] = []
        t0 = time.monotonic()
        status = "queued"
        while status in ("queued", "running"):
            busy.append(call(base, SEARCH, token)[0])
            elapsed, plan = call(base, f"/api/v1/plans/{accepted['id']}", token)
            busy.append(elapsed)
            status = plan["status"]
        mode = "search in the web process" if in_process else "search in its own process (as shipped)"
        print(f"[{mode}] {figures('idle', idle)} | {figures('while planning', busy)}")
        print(
            f"[{mode}] plan {status} in {time.monotonic() - t0:.1f} s: {len(plan.get('routes', []))} routes, "
            f"{plan.get('late')} stops late"
        )
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.in_process)
        return

    from bench.plan_day import TZ, next_working_day
    from bench.ready_orders import generate_day
    from equipment.db import make_engine, new_session
    from equipment.demo.seed import seed
    from equipment.migrations.upgrade import upgrade_to_head

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/pages.db"
        engine = make_engine(url)
        upgrade_to_head(engine)
        service_date = next_working_day(date.today())
        with new_session(engine) as session:
            seed(session, demo=True)
            made = generate_day(session, service_date=service_date, count=args.orders, tz=TZ)
        engine.dispose()
        print(f"{made} ready orders for {service_date}, plans of {args.seconds:g} s, {os.cpu_count()} cores")
        for in_process in (False, True):
            measure(url, service_date, args.seconds, in_process)


if __name__ == "__main__":
    main()
