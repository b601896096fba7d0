"""Load test: gunicorn on PostgreSQL with the seeded service, driven by locust's mix of users.

    python bench/load.py [--users 40] [--seconds 60] [--workers 4]

Prints requests per second and p50/p95/p99 latency per request kind and in total.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "bench_load"
PORT = 8765


def run(*command: str, env: dict | None = None) -> None:
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def fresh_database() -> str:
    run("psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    run("psql", PG_ADMIN, "-qc", f"CREATE DATABASE {DATABASE}")
    return f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not come up at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": fresh_database(), "LOGIN_RATE_LIMIT": "100000 per minute"}
    run(str(BIN / "flask"), "--app", "wsgi", "seed", "--demo", env=env)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(args.workers),
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{PORT}/healthz")
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(max(1, args.users // 4)),
                "-t",
                f"{args.seconds}s",
                "--host",
                f"http://127.0.0.1:{PORT}",
                "--csv",
                str(out / "load"),
                "--only-summary",
            ],
            check=False,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        report(out / "load_stats.csv", args)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def report(stats_file: Path, args: argparse.Namespace) -> None:
    print(f"gunicorn {args.workers} workers x 4 threads on PostgreSQL, {args.users} users, {args.seconds} s")
    print(f"{'request':28} {'count':>7} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in csv.DictReader(Path(stats_file).read_text().splitlines()):
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name[:28]:28} {row['Request Count']:>7} {row['Failure Count']:>5} {float(row['Requests/s']):7.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )


if __name__ == "__main__":
    main()
