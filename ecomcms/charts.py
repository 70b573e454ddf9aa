"""Server-side SVG charts for admin pages: no JavaScript, nothing fetched from another host.

Every piece of text that comes from data goes through ``escape``; numbers are formatted here.
Colours: the Okabe-Ito palette (colour-blind safe).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")


def _svg(width: int, height: int, label: str, parts: list[str]) -> SafeString:
    return mark_safe(  # every piece of data in ``parts`` is a number or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="font-family:sans-serif;background:#fff">'
        f'{"".join(parts)}</svg>'
    )


def _legend(names: Sequence[str], colours: Sequence[str], top: int, left: int = 8, column: int = 200,
            per_row: int = 4) -> list[str]:
    parts = []
    for i, (name, colour) in enumerate(zip(names, colours)):
        x, y = left + (i % per_row) * column, top + 18 * (i // per_row)
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{y + 9}" font-size="11">{escape(name)}</text>')
    return parts


def stacked_shares(rows: Sequence[tuple[str, dict[str, int]]], segments: Sequence[tuple[str, str]],
                   *, label: str, width: int = 760) -> SafeString:
    """One horizontal bar per row, split into the shares of its segments (``segments``: (key, caption)).

    ``rows`` is ``[(row caption, {segment key: count})]``; the count is shown on hover and at the right.
    """
    if not rows:
        return mark_safe("<p>No data for this period.</p>")
    bar, gap, left, right, top = 18, 8, 220, 60, 8
    plot = width - left - right
    colours = PALETTE[:len(segments)]
    parts = []
    for r, (caption, counts) in enumerate(rows):
        y = top + r * (bar + gap)
        total = sum(counts.get(key, 0) for key, _ in segments)
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">{escape(caption[:34])}</text>'
        )
        x = float(left)
        for (key, name), colour in zip(segments, colours):
            count = counts.get(key, 0)
            share = count / total if total else 0.0
            if share:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{plot * share:.1f}" height="{bar}" fill="{colour}">'
                             f'<title>{escape(caption)}: {escape(name)} {count} ({share:.0%})</title></rect>')
            x += plot * share
        parts.append(f'<text x="{left + plot + 6}" y="{y + 13}" font-size="11" fill="#444">n={total}</text>')
    legend_top = top + len(rows) * (bar + gap) + 6
    parts += _legend([name for _, name in segments], colours, legend_top)
    height = legend_top + 18 * ((len(segments) + 3) // 4) + 4
    return _svg(width, height, label, parts)


def rate_lines(series: dict[str, list[tuple[str, float]]], *, label: str, width: int = 760,
               height: int = 220) -> SafeString:
    """Lines of rates (0-1) over ordered x captions (e.g. ISO weeks), one per series, with a legend."""
    xs = sorted({x for points in series.values() for x, _ in points})
    if not xs:
        return mark_safe("<p>No data for this period.</p>")
    left, right, top, plot_height = 40, 16, 10, height - 60
    step = (width - left - right) / max(len(xs) - 1, 1)
    position = {x: left + i * step for i, x in enumerate(xs)}

    def y(value: float) -> float:
        return top + plot_height * (1 - value)

    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="10" text-anchor="end" fill="#666">'
                     f"{tick:.0%}</text>")
    every = max(1, len(xs) // 8)
    for i, x in enumerate(xs):
        if i % every == 0:
            parts.append(f'<text x="{position[x]:.1f}" y="{top + plot_height + 14}" font-size="10" '
                         f'text-anchor="middle" fill="#666">{escape(x)}</text>')
    names = list(series)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    for name, colour in zip(names, colours):
        points = sorted(series[name])
        path = " ".join(f"{position[x]:.1f},{y(v):.1f}" for x, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, v in points:
            parts.append(f'<circle cx="{position[x]:.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                         f'<title>{escape(name)} {escape(x)}: {v:.0%}</title></circle>')
    parts += _legend(names, colours, top + plot_height + 26)
    return _svg(width, height + 18 * ((len(names) - 1) // 4), label, parts)


def count_lines(series: dict[str, list[tuple[str, float]]], *, label: str, width: int = 760,
                height: int = 220) -> SafeString:
    """Lines of counts over ordered x captions (e.g. ISO weeks), one per series: ``rate_lines`` on a count axis."""
    top = max((v for points in series.values() for _, v in points), default=0.0)
    if top <= 0:
        return rate_lines(series, label=label, width=width, height=height)
    ceiling = _round_up(top)
    scaled = {name: [(x, v / ceiling) for x, v in points] for name, points in series.items()}
    chart = str(rate_lines(scaled, label=label, width=width, height=height))
    for tick in (0, 0.25, 0.5, 0.75, 1.0):  # the rate axis' captions, read as counts
        chart = chart.replace(f">{tick:.0%}</text>", f">{tick * ceiling:g}</text>", 1)
    for name, points in series.items():  # tooltips show the counts, not the scaled shares
        for x, v in points:
            chart = chart.replace(f"<title>{escape(name)} {escape(x)}: {v / ceiling:.0%}</title>",
                                  f"<title>{escape(name)} {escape(x)}: {v:g}</title>", 1)
    return mark_safe(chart)  # rate_lines escaped the data; only numbers were replaced


def _round_up(value: float) -> float:
    """A round number at or above ``value`` that divides by 4 (an axis top)."""
    magnitude = 10 ** max(0, len(str(int(value))) - 1)
    for step in (1, 2, 4, 8, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(value)


def nice_ceiling(value: float) -> float:
    """A round axis top at or above ``value``."""
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0):
        if value <= step:
            return step
    return float(int(value) + 1)


def grouped_bars(values: dict[str, dict[str, float]], groups: Sequence[tuple[str, str]],
                 colours: dict[str, str], *, label: str) -> SafeString:
    """One group of bars per ``(key, caption)`` in ``groups``, one bar per series, with value tooltips.

    ``values`` is ``{series: {group key: value}}``; ``colours`` gives each series its colour.
    """
    names = list(values)
    top = max(max(values[name][key] for key, _ in groups for name in names), 1e-9)
    ceiling = nice_ceiling(top)
    bar, gap, left, plot_height, top_margin = 14, 18, 44, 220, 12
    group = len(names) * bar + gap
    width = left + group * len(groups) + 10
    legend_top = top_margin + plot_height + 34
    height = legend_top + 18 * ((len(names) + 2) // 3) + 6

    def y(value: float) -> float:
        return top_margin + plot_height * (1 - value / ceiling)

    parts = []
    for tick in (ceiling * i / 4 for i in range(5)):
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="10" text-anchor="end" fill="#666">'
                     f"{tick:.2f}</text>")
    for g, (key, caption) in enumerate(groups):
        x0 = left + g * group + gap / 2
        for i, name in enumerate(names):
            value = values[name][key]
            parts.append(f'<rect x="{x0 + i * bar:.1f}" y="{y(value):.1f}" width="{bar - 2}" '
                         f'height="{top_margin + plot_height - y(value):.1f}" fill="{colours[name]}">'
                         f"<title>{escape(name)} {escape(caption)}: {value:.4f}</title></rect>")
        parts.append(f'<text x="{x0 + len(names) * bar / 2:.1f}" y="{top_margin + plot_height + 16}" font-size="12" '
                     f'text-anchor="middle">{escape(caption)}</text>')
    parts += _legend(names, [colours[name] for name in names], legend_top, left=left, column=190, per_row=3)
    return _svg(width, height, label, parts)


def interval_bars(groups: dict[str, list[tuple[str, dict]]], *, label: str, width: int = 760) -> SafeString:
    """Rates with their 95% intervals: one panel per group (e.g. "add-to-cart rate"), one bar per arm.

    ``groups`` is ``{panel caption: [(arm caption, {"estimate", "low", "high"}), ...]}`` with rates in 0-1.
    """
    if not groups or not any(groups.values()):
        return mark_safe("<p>No data yet.</p>")
    top_value = max(max(i["high"] for _, i in arms) for arms in groups.values() if arms)
    ceiling = max(0.05, min(1.0, top_value * 1.15))
    panel_width = width // len(groups)
    plot_height, top, bottom = 180, 22, 40
    height = top + plot_height + bottom

    def y(value: float) -> float:
        return top + plot_height * (1 - min(value, ceiling) / ceiling)

    parts = []
    for p, (caption, arms) in enumerate(groups.items()):
        x0 = p * panel_width + 40
        parts.append(f'<text x="{x0}" y="14" font-size="12" font-weight="bold">{escape(caption)}</text>')
        for tick in (0, ceiling / 2, ceiling):
            parts.append(f'<line x1="{x0}" x2="{x0 + panel_width - 50}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                         f'stroke="#ddd"/><text x="{x0 - 4}" y="{y(tick) + 3:.1f}" font-size="10" '
                         f'text-anchor="end" fill="#666">{tick:.1%}</text>')
        slot = (panel_width - 60) / max(len(arms), 1)
        for i, (arm, interval) in enumerate(arms):
            cx, colour = x0 + slot * (i + 0.5), PALETTE[i % len(PALETTE)]
            est, low, high = interval["estimate"], interval["low"], interval["high"]
            parts.append(
                f'<rect x="{cx - slot * 0.3:.1f}" y="{y(est):.1f}" width="{slot * 0.6:.1f}" '
                f'height="{top + plot_height - y(est):.1f}" fill="{colour}" opacity="0.8">'
                f"<title>{escape(arm)}: {est:.2%} (95%: {low:.2%} to {high:.2%})</title></rect>"
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(low):.1f}" y2="{y(high):.1f}" '
                f'stroke="#000" stroke-width="1.5"/>'
                f'<line x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{y(low):.1f}" y2="{y(low):.1f}" stroke="#000"/>'
                f'<line x1="{cx - 6:.1f}" x2="{cx + 6:.1f}" y1="{y(high):.1f}" y2="{y(high):.1f}" stroke="#000"/>'
                f'<text x="{cx:.1f}" y="{top + plot_height + 14}" font-size="11" text-anchor="middle">'
                f"{escape(arm)}</text>"
                f'<text x="{cx:.1f}" y="{top + plot_height + 28}" font-size="10" text-anchor="middle" fill="#444">'
                f"{est:.1%}</text>"
            )
    return _svg(width, height, label, parts)


def loss_curve(losses: list[float], *, label: str = "Training loss per step", width: int = 640,
               height: int = 200) -> SafeString:
    """The training loss per optimizer step, as a line."""
    if not losses:
        return mark_safe("<p>No steps yet.</p>")
    left, right, top, bottom = 44, 12, 10, 24
    low, high = min(losses), max(losses)
    span = (high - low) or 1.0
    step_x = (width - left - right) / max(len(losses) - 1, 1)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / span)

    points = " ".join(f"{left + i * step_x:.1f},{y(v):.1f}" for i, v in enumerate(losses))
    parts = [f'<text x="{left - 4}" y="{y(high) + 4:.1f}" font-size="10" text-anchor="end">{high:.2f}</text>',
             f'<text x="{left - 4}" y="{y(low) + 4:.1f}" font-size="10" text-anchor="end">{low:.2f}</text>',
             f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" stroke="#999"/>',
             f'<text x="{width - right}" y="{height - 6}" font-size="10" text-anchor="end">step {len(losses)}</text>',
             f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>']
    return _svg(width, height, label, parts)
