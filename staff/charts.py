"""Charts drawn as inline SVG on the server (no JavaScript, no CDN), each with its figures."""

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
    figures = [(label, [f"{value:g}{unit}"]) for label, value in rows]
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' preserveAspectRatio="xMinYMin meet">{bars}</svg>'
        f"{_figures(title, ['Value'], figures)}</figure>"
    )


def _figures(title: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> str:
    """Return the chart's figures as a table, folded away under a summary."""
    head = "".join(f'<th scope="col">{escape(column)}</th>' for column in columns)
    body = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in cells)
        + "</tr>"
        for label, cells in rows
    )
    return (
        f'<details class="figures"><summary>Figures: {escape(title)}</summary>'
        f"<table><caption>{escape(title)}</caption>"
        f'<thead><tr><th scope="col">Name</th>{head}</tr></thead><tbody>{body}</tbody></table>'
        "</details>"
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


CELL, HEAD = 58, 20


def series_chart(
    title: str, columns: list[str], rows: list[tuple[str, list[float | None]]], unit: str = ""
) -> Markup:
    """Return an SVG grid of (label, value per column) rows, shaded by value, numbers shown."""
    if not rows:
        return Markup(f'<p class="empty">{escape(title)}: no data yet.</p>')
    top = max((v for _, values in rows for v in values if v is not None), default=0.0) or 1.0
    height, width = HEAD + ROW * len(rows) + 4, LABEL_W + CELL * len(columns) + 4
    head = "".join(
        f'<text x="{LABEL_W + CELL * j + CELL / 2:.0f}" y="14" text-anchor="middle">'
        f"{escape(column)}</text>"
        for j, column in enumerate(columns)
    )
    body = "".join(_series_row(i, row, columns, top, unit) for i, row in enumerate(rows))
    figures = [(label, [_shown(v, unit) for v in values]) for label, values in rows]
    return Markup(
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' preserveAspectRatio="xMinYMin meet">{head}{body}</svg>'
        f"{_figures(title, columns, figures)}</figure>"
    )


def _shown(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g}{unit}"


def _series_row(
    index: int, row: tuple[str, list[float | None]], columns: list[str], top: float, unit: str
) -> str:
    label, values = row
    y = HEAD + index * ROW
    cells = [f'<text x="{LABEL_W - 6}" y="{y + 14}" text-anchor="end">{escape(label[:30])}</text>']
    for j, value in enumerate(values):
        cells.append(_cell(LABEL_W + CELL * j, y, f"{label}, {columns[j]}", value, top, unit))
    return "".join(cells)


def _cell(x: int, y: int, name: str, value: float | None, top: float, unit: str) -> str:
    shade = 0.0 if value is None else 0.1 + 0.9 * value / top
    shown = _shown(value, unit)
    box = "none" if value is None else ""
    ink = "on-dark" if shade > 0.55 else ""
    return (
        f"<g><title>{escape(name)}: {shown}</title>"
        f'<rect x="{x + 2}" y="{y}" width="{CELL - 4}" height="{ROW - 4}" rx="2"'
        f' fill-opacity="{shade:.2f}" class="{box}"></rect>'
        f'<text x="{x + CELL // 2}" y="{y + 13}" text-anchor="middle" class="{ink}">{shown}</text>'
        "</g>"
    )
