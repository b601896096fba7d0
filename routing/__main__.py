"""`python -m routing solve PROBLEM.json [--seconds S] [--seed N] [-t THREADS] [--keep-order]`.

`python -m routing compile` compiles the fast ruin and recreate (routing/sisr.py) once per
installation (about 20 s); until then the router uses its slower numpy version.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

T_START = time.monotonic()

# Light: routing/__init__.py imports numpy, OR-Tools and numba only inside solve_json, so
# the clock above starts before them.
from routing import ProblemError, solve_json  # noqa: E402  (after the clock starts)
from routing.errors import NotCompiledWarning  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit code 2
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.command == "compile":
        return _compile()
    if args.threads < 1:
        sys.stderr.write(f"error: --threads must be at least 1, got {args.threads}\n")
        return 2
    if not args.seconds > 0:
        sys.stderr.write(f"error: --seconds must be positive, got {args.seconds}\n")
        return 2
    ok, data = _read(args.problem)
    if not ok:
        return 2
    # The time limit counts from process start (imports, parsing, matrices included).
    used = time.monotonic() - T_START
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("once", NotCompiledWarning)
            warnings.showwarning = _warning_line
            result = solve_json(
                data,
                seconds=max(0.05, args.seconds - used),
                seed=args.seed,
                keep_order=args.keep_order,
                threads=args.threads,
                osrm_url=args.osrm_url,
            )
    except ProblemError as exc:
        sys.stderr.write(f"error: {str(exc).splitlines()[0] if str(exc) else 'invalid problem'}\n")
        return 2
    except Exception as exc:  # noqa: BLE001 - an internal error still answers in one line
        sys.stderr.write(f"error: internal error: {type(exc).__name__}: {exc}\n".splitlines()[0] + "\n")
        return 1
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr (stdout carries the plan)."""
    sys.stderr.write(f"warning: {message}\n")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m routing")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("solve", help="solve a VROOM-format problem")
    s.add_argument("problem", help="problem JSON file, or - for stdin")
    s.add_argument("--seconds", type=float, default=5.0)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "-t", "--threads", type=int, default=1, help="searches at once, one per core (best plan kept; as VROOM's -t)"
    )
    s.add_argument("--keep-order", action="store_true")
    s.add_argument("--osrm-url", default=None)
    sub.add_parser("compile", help="compile the fast ruin and recreate (once, ~20 s)")
    return parser.parse_args(argv)


def _compile() -> int:
    # Imported here: numba takes seconds to load, and only this command needs it at once.
    from routing import sisr

    sisr.compile_now()
    print("compiled" if sisr.compiled() else "not cached: numba could not write its cache")
    return 0 if sisr.compiled() else 1


def _read(path: str) -> tuple[bool, object]:
    """(True, the problem's JSON) from a file or stdin; (False, None) after a one-line
    error when it cannot be read."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        sys.stderr.write(f"error: cannot read {path}: {exc}\n")
        return False, None
    try:
        return True, json.loads(text)
    except ValueError as exc:
        sys.stderr.write(f"error: malformed JSON: {str(exc).splitlines()[0]}\n")
        return False, None


if __name__ == "__main__":
    sys.exit(main())
