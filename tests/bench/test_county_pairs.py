"""bench/county_pairs.py refuses a pair it cannot run as asked."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "county_pairs.py"


def test_a_search_setting_with_two_searches_is_refused():
    # The second search is a fresh process: the setting would reach the first search only.
    args = ["--threads", "2", "--setting", "sisr.STALL_SHARE", "--on", "0.1"]
    out = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "reaches only the first search: use --against" in out.stderr
    assert out.stdout == ""
