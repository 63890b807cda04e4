"""The statistics page's charts: stacked bars as inline SVG, drawn on the server.

No script and no inline style (the page's CSP): colours are classes in stats.css.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# (css class, label) of each part of a bar, bottom up
Series = Sequence[tuple[str, str]]


def _e(text: object) -> str:
    return str(escape(text))


def stacked_bars(
    ident: str,
    title: str,
    series: Series,
    bars: Sequence[tuple[str, Sequence[int]]],
    *,
    label_every: int = 1,
) -> Markup:
    """One bar per (label, values by series), its parts stacked, with a legend."""
    width, height, left, bottom, top = 760, 220, 40, 24, 12
    most = max((sum(values) for _, values in bars), default=0) or 1
    slot = (width - left - 8) / max(len(bars), 1)
    bar_w = min(max(slot * 0.7, 1), 48)
    plot_h = height - bottom - top
    parts = [
        f'<svg class="stats-chart" id="{_e(ident)}" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="{_e(ident)}-title">',
        f'<title id="{_e(ident)}-title">{_e(title)}</title>',
        f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - 8}" '
        f'y2="{height - bottom}"/>',
        f'<text class="tick" x="{left - 4}" y="{top + 4}" text-anchor="end">{most}</text>',
        f'<text class="tick" x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for index, (label, values) in enumerate(bars):
        x = left + index * slot + (slot - bar_w) / 2
        y = float(height - bottom)
        for (css, name), value in zip(series, values, strict=True):
            if not value:
                continue
            bar_h = plot_h * value / most
            y -= bar_h
            parts.append(
                f'<rect class="{_e(css)}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{bar_h:.1f}"><title>{_e(label)} {_e(name)}: {value}</title></rect>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch {_e(css)}"></span>{_e(name)}</li>' for css, name in series
    )
    return Markup(  # noqa: S704 - every text above is escaped
        "".join(parts) + f'<ul class="legend">{legend}</ul>'
    )
