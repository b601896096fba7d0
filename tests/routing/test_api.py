"""Public API details: progress reports, seeds, OSRM tables."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from routing import ProblemError, solve_json
from routing.matrix import build_matrices


def grid_problem(n=30):
    pts = [(i % 6, i // 6) for i in range(n + 1)]
    m = [[10 * (abs(a[0] - b[0]) + abs(a[1] - b[1])) for b in pts] for a in pts]
    return {
        "vehicles": [{"id": k, "start_index": 0, "end_index": 0, "capacity": [8]} for k in range(5)],
        "jobs": [{"id": i, "location_index": i, "delivery": [1]} for i in range(1, n + 1)],
        "matrices": {"car": {"durations": m}},
    }


def test_progress_is_reported_with_fraction_and_cost(solve):
    seen = []
    solve(grid_problem(), seconds=1.0, on_progress=lambda f, c: seen.append((f, c)))
    assert seen, "no progress reported"
    assert all(0.0 <= f <= 1.0 for f, _ in seen)
    costs = [c for _, c in seen]
    assert costs == sorted(costs, reverse=True)  # only improvements


def test_bad_input_raises_problem_error():
    with pytest.raises(ProblemError, match=r"jobs\[0\]\.time_windows\[0\] ends"):
        solve_json(
            {
                "vehicles": [{"id": 1, "start_index": 0}],
                "jobs": [{"id": 1, "location_index": 0, "time_windows": [[5, 1]]}],
                "matrices": {"car": {"durations": [[0]]}},
            },
            seconds=0.2,
        )


def test_osrm_table_is_used_when_configured():
    body = {"code": "Ok", "durations": [[0, 60], [70, 0]], "distances": [[0, 900], [950, 0]]}
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        dur, dist = build_matrices([(1.0, 52.0), (1.1, 52.1)], osrm_url=url)
    finally:
        server.shutdown()
    assert dur.tolist() == [[0, 60], [70, 0]] and dist.tolist() == [[0, 900], [950, 0]]
    assert seen[0].startswith("/table/v1/driving/1.000000,52.000000;1.100000,52.100000")


def test_osrm_unreachable_is_a_problem_error():
    with pytest.raises(ProblemError, match="OSRM"):
        build_matrices([(1.0, 52.0), (1.1, 52.1)], osrm_url="http://127.0.0.1:9", timeout=2)
