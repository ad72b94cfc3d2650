"""Server-rendered SVG charts (no script): geometry computed here, drawn by the macros in
templates/statistics/_charts.html.  Axis labels are 14 units (12 px or more as drawn), the
value axis has ticks at round numbers, and every chart sits beside a table with the same
figures."""

from __future__ import annotations

import math

FONT = 14  # viewBox units: axis labels and ticks, >= 12 px as drawn (the chart is never
#           drawn narrower than 600 px of its 680: see static/css/statistics.css)


def nice_ticks(peak: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``peak`` (about ``count`` steps)."""
    if peak <= 0:
        return [0, 1]
    raw = peak / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1 and float(peak).is_integer():
        step = 1
    top = math.ceil(peak / step) * step
    ticks, value = [], 0.0
    while value <= top + step / 1000:
        ticks.append(round(value, 6))
        value += step
    return [int(t) if float(t).is_integer() else t for t in ticks]


def _number(value) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def column_chart(labels: list[str], series: list[tuple[str, list]], title: str,
                 width: int = 680, height: int = 260) -> dict:
    """Grouped columns: one group per label, one column per series.  Values that are not
    numbers (suppressed "<5" cells) draw no column; the table beside says why."""
    left, right, top, bottom = 52, 8, 14, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [_number(v) for _name, vs in series for v in vs]
    ticks = nice_ticks(max([0] + [v for v in values if v is not None]))
    scale = plot_h / (ticks[-1] or 1)
    slot = plot_w / max(1, len(labels))
    n = max(1, len(series))
    bar_w = max(2.0, (slot - 6) / n - 1)
    bars = []
    for s, (name, vs) in enumerate(series):
        for i, v in enumerate(vs):
            number = _number(v)
            h = (number or 0) * scale
            bars.append({"x": round(left + i * slot + 3 + s * (bar_w + 1), 1),
                         "y": round(top + plot_h - h, 1), "w": round(bar_w, 1),
                         "h": round(h, 1), "series": s, "shown": number is not None,
                         "label": f"{labels[i]} {name}: {v}"})
    step = max(1, math.ceil(len(labels) * 7 * FONT / 1.6 / plot_w)) if labels else 1
    xlabels = [{"x": round(left + i * slot + slot / 2, 1), "text": text}
               for i, text in enumerate(labels) if i % step == 0]
    return {"width": width, "height": height, "left": left, "top": top,
            "base": top + plot_h, "right": width - right, "font": FONT, "title": title,
            "bars": bars, "xlabels": xlabels, "series": [name for name, _vs in series],
            "yticks": [{"y": round(top + plot_h - t * scale, 1), "text": t} for t in ticks]}


def bar_chart(labels: list[str], values: list, title: str, width: int = 680) -> dict:
    """Horizontal bars (long category names fit on the left)."""
    label_w, right, top, row = 210, 48, 8, 26
    height = top + row * max(1, len(labels)) + 30
    plot_w = width - label_w - right
    numbers = [_number(v) for v in values]
    ticks = nice_ticks(max([0] + [v for v in numbers if v is not None]), 4)
    scale = plot_w / (ticks[-1] or 1)
    bars = [{"y": top + i * row + 4, "h": row - 8, "w": round((v or 0) * scale, 1),
             "label": text, "value": values[i], "shown": v is not None,
             "text_y": top + i * row + row / 2 + FONT / 2 - 2}
            for i, (text, v) in enumerate(zip(labels, numbers, strict=True))]
    base = top + row * max(1, len(labels))
    return {"width": width, "height": height, "left": label_w, "top": top, "base": base,
            "font": FONT, "title": title, "bars": bars,
            "xticks": [{"x": round(label_w + t * scale, 1), "text": t} for t in ticks]}
