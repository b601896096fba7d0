"""The weekly trend chart: an inline SVG drawn here, no JavaScript needed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

from equipment import reports

CLASS_COLOURS = ["#0b5cad", "#1e7b34", "#9a6700", "#6a3d9a", "#00838f", "#5b6472"]


def trend_charts(board: reports.Dashboard) -> list[tuple[str, Markup]]:
    """One small chart per response class with orders in the period."""
    points: dict[str, dict[date, reports.Figures]] = {}
    for t in board.trend:
        points.setdefault(t.response_class, {})[t.week_start] = t.figures
    return [
        (
            row.name,
            trend_svg(
                row, points.get(row.response_class, {}), board.weeks, colour=CLASS_COLOURS[n % len(CLASS_COLOURS)]
            ),
        )
        for n, row in enumerate(board.kpis)
        if row.figures.due
    ]


def trend_svg(
    row: reports.KpiRow,
    weekly: dict[date, reports.Figures],
    weeks: list[date],
    *,
    colour: str,
    width: int = 460,
    height: int = 190,
) -> Markup:
    """% on time per week for one class, with its target as a dashed line; each point has a title."""
    left, right, top, bottom = 42, 10, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    series = [
        (i, weekly[w].percent_on_time, w)
        for i, w in enumerate(weeks)
        if w in weekly and weekly[w].percent_on_time is not None
    ]
    lowest = min([p for _, p, _ in series] + [row.target])
    low = max(0.0, min(80.0, (lowest // 10) * 10))

    def x(i: int) -> float:
        return left + plot_w * i / max(len(weeks) - 1, 1)

    def y(pct: float) -> float:
        return top + plot_h * (100 - max(pct, low)) / (100 - low)

    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'aria-label="{escape(row.name)}: weekly percentage on time against a target of {row.target:g}%">'
        )
    ]
    for tick in range(int(low), 101, 10 if 100 - low <= 50 else 20):
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e6ea"/>')
        parts.append(
            f'<text x="{left - 5}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6472">{tick}%</text>'
        )
    step = max(1, len(weeks) // 6)
    for i, week in enumerate(weeks):
        if i % step == 0:
            anchor = "end" if i == len(weeks) - 1 and i else "middle"  # the last date kept inside the chart
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="{anchor}" font-size="11" fill="#5b6472">'
                f"{week.strftime('%d %b')}</text>"
            )
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y(row.target):.1f}" y2="{y(row.target):.1f}" stroke="#1d2430" '
        f'stroke-dasharray="5 4"><title>Target {row.target:g}%</title></line>'
    )
    parts += _series(series, weekly, row.target, x=x, y=y, colour=colour)
    parts.append("</svg>")
    return Markup("".join(parts))


def _series(
    series: list[tuple[int, float, date]],
    weekly: dict[date, reports.Figures],
    target: float,
    *,
    x: Callable[[int], float],
    y: Callable[[float], float],
    colour: str,
) -> list[str]:
    """The line through the weekly points and a titled dot on each, red where below the target."""
    if not series:
        return []
    path = " ".join(f"{'M' if k == 0 else 'L'}{x(i):.1f},{y(p):.1f}" for k, (i, p, _) in enumerate(series))
    parts = [f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>']
    for i, p, week in series:
        below = p < target
        f = weekly[week]
        pending = f"; {f.not_yet_due} not yet due" if f.not_yet_due else ""
        label = escape(
            f"Week of {week:%d %b %Y}: {p:.1f}% on time ({f.on_time} of {f.counted}; {f.late} late{pending})"
        )
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p):.1f}" r="{3 if below else 2.2}" fill="{"#b3261e" if below else colour}">'
            f"<title>{label}</title></circle>"
        )
    return parts
