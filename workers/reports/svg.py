"""Inline SVG charts from plain numbers: no JavaScript, so a forwarded page still shows them.

Every chart carries its figures as data attributes (data-label, data-value), which is what a
reader's tooltip shows and what the tests check against the scorecard's numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W, H, PAD = 420, 180, 30


def _attr(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def line_chart(title: str, labels: Sequence[str], values: Sequence[float | None]) -> str:
    """A trend line; missing weeks break the line instead of pretending to be zero."""
    known = [v for v in values if v is not None]
    top = max(known, default=0) or 1
    step = (W - 2 * PAD) / max(len(values) - 1, 1)
    points: list[str | None] = []
    marks: list[str] = []
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = PAD + n * step
        if value is None:
            points.append(None)
            continue
        y = H - PAD - (H - 2 * PAD) * value / top
        points.append(f"{x:.1f},{y:.1f}")
        marks.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
            f'data-label="{escape(label)}" data-value="{_attr(value)}">'
            f"<title>{escape(label)}: {_attr(value)}</title></circle>"
        )
    segments: list[str] = []
    run: list[str] = []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                segments.append(
                    f'<polyline fill="none" stroke="#2563eb" points="{" ".join(run)}"/>'
                )
            run = []
        else:
            run.append(point)
    axis = "".join(
        f'<text x="{PAD + n * step:.1f}" y="{H - 8}" font-size="9" text-anchor="middle">'
        f"{escape(label[-3:])}</text>"
        for n, label in enumerate(labels)
    )
    return _frame("line", title, "".join(segments) + "".join(marks) + axis)


def bar_chart(title: str, bars: Sequence[tuple[str, float]], colour: str = "#0d9488") -> str:
    """Vertical bars with their labels under them (the backlog ageing histogram)."""
    top = max((v for _, v in bars), default=0) or 1
    width = (W - 2 * PAD) / max(len(bars), 1)
    parts = []
    for n, (label, value) in enumerate(bars):
        height = (H - 2 * PAD) * value / top
        x, y = PAD + n * width, H - PAD - height
        parts.append(
            f'<rect class="bar" x="{x + 4:.1f}" y="{y:.1f}" width="{width - 8:.1f}" '
            f'height="{height:.1f}" fill="{colour}" data-label="{escape(label)}" '
            f'data-value="{_attr(value)}"><title>{escape(label)}: {_attr(value)}</title></rect>'
            f'<text x="{x + width / 2:.1f}" y="{H - 12}" font-size="10" text-anchor="middle">'
            f"{escape(label)}</text>"
            f'<text x="{x + width / 2:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">'
            f"{_attr(value)}</text>"
        )
    return _frame("bar", title, "".join(parts))


def _frame(kind: str, title: str, body: str) -> str:
    return (
        f'<figure class="chart chart-{kind}" data-title="{escape(title)}">'
        f"<figcaption>{escape(title)}</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">'
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>'
        f"{body}</svg></figure>"
    )
