"""Small inline SVG charts drawn on the server (no scripts, no network)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape


def _e(text: object) -> str:
    """Escaped text as a plain str (a str + Markup would escape the str again)."""
    return str(escape(text))


GRADE_COLOURS = {
    "A": "#1a7f37",
    "B": "#2f81f7",
    "C": "#8250df",
    "D": "#bf8700",
    "E": "#d1242f",
    "F": "#82071e",
}
MUTED = "#8c959f"


def distribution(counts: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """A bar per grade with its count written on it."""
    width, height, pad, label_h = 420, 180, 24, 22
    most = max((n for _, n in counts), default=0) or 1
    slot = (width - 2 * pad) / max(len(counts), 1)
    bar_w = slot * 0.6
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="dist-title">',
        f'<title id="dist-title">{_e(title)}: '
        + _e(", ".join(f"{g} {n}" for g, n in counts))
        + "</title>",
        f'<line x1="{pad}" y1="{height - label_h}" x2="{width - pad}" y2="{height - label_h}" '
        'stroke="#57606a"/>',
    ]
    plot_h = height - label_h - 24
    for index, (grade, count) in enumerate(counts):
        x = pad + index * slot + (slot - bar_w) / 2
        bar_h = plot_h * count / most
        y = height - label_h - bar_h
        colour = GRADE_COLOURS.get(grade, MUTED)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" '
            f'fill="{colour}"><title>{_e(grade)}: {count}</title></rect>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
            f'font-size="13">{count}</text>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
            f'font-size="13" font-weight="600">{_e(grade)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def sparkline(
    points: Sequence[tuple[str, Decimal | None]], *, low: int = 60, high: int = 110
) -> Markup:
    """A trend line of monthly totals; months without a total leave a gap."""
    width, height, pad = 120, 28, 3
    count = len(points)
    if not any(v is not None for _, v in points):
        return Markup('<span class="detail">—</span>')
    step = (width - 2 * pad) / max(count - 1, 1)

    def y_of(value: Decimal) -> float:
        clamped = min(max(float(value), low), high)
        return height - pad - (clamped - low) / (high - low) * (height - 2 * pad)

    label = "; ".join(f"{m}: {'—' if v is None else f'{v:.2f}'}" for m, v in points)
    parts = [
        f'<svg class="spark" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(label)}</title>",
    ]
    run: list[str] = []
    runs: list[list[str]] = []
    for index, (_, value) in enumerate(points):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{pad + index * step:.1f},{y_of(value):.1f}")
    if run:
        runs.append(run)
    for run in runs:
        if len(run) > 1:
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="#0b5cad" stroke-width="1.5"/>'
            )
    last_index = max(i for i, (_, v) in enumerate(points) if v is not None)
    last_value = points[last_index][1]
    assert last_value is not None
    parts.append(
        f'<circle cx="{pad + last_index * step:.1f}" cy="{y_of(last_value):.1f}" r="2.5" '
        'fill="#0b5cad"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
