"""Horizontal bar charts drawn as inline SVG on the server: no JavaScript, no CDN."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

ROW, LABEL_W, BAR_W = 22, 210, 300


def bar_chart(title: str, rows: list[tuple[str, float]], unit: str = "") -> Markup:
    """Return an accessible SVG bar chart of (label, value) rows."""
    if not rows:
        return Markup(f'<p class="empty">{escape(title)}: no data yet.</p>')
    top = max(value for _, value in rows) or 1.0
    height, width = ROW * len(rows) + 8, LABEL_W + BAR_W + 70
    bars = "".join(_bar(i, label, value, top, unit) for i, (label, value) in enumerate(rows))
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' preserveAspectRatio="xMinYMin meet">{bars}</svg></figure>'
    )


def _bar(index: int, label: str, value: float, top: float, unit: str) -> str:
    y = index * ROW + 4
    width = max(1.0, BAR_W * value / top)
    shown = f"{value:g}{unit}"
    return (
        f"<g><title>{escape(label)}: {shown}</title>"
        f'<text x="{LABEL_W - 6}" y="{y + 14}" text-anchor="end">{escape(label[:30])}</text>'
        f'<rect x="{LABEL_W}" y="{y}" width="{width:.1f}" height="{ROW - 6}" rx="2"></rect>'
        f'<text x="{LABEL_W + width + 4:.1f}" y="{y + 14}">{shown}</text></g>'
    )
