"""Server-side SVG charts for the admin (no JavaScript, nothing fetched from a CDN)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

METRICS = ("ndcg", "precision", "recall", "map", "coverage")
BASELINES = ("popularity", "buy_again", "implicit_als", "implicit_bm25")
# Colour-blind-safe palette (Okabe-Ito), baselines in greys so the product's recommenders stand out.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
GREYS = ("#bbbbbb", "#999999", "#777777", "#555555")


def metrics_bar_chart(metrics: dict[str, dict[str, float]], *, k: int | None = None) -> SafeString:
    """Grouped bars: one group per metric, one bar per recommender, with a legend and value labels.

    ``metrics`` is ``{recommender: {"ndcg": ..., "precision": ..., ...}}`` as stored on a version.
    """
    names = [name for name, values in metrics.items() if all(m in values for m in METRICS)]
    if not names:
        return mark_safe("<p>No offline metrics for this version.</p>")
    colours, grey, colour = {}, iter(GREYS), iter(PALETTE)
    for name in names:
        colours[name] = next(grey, "#444444") if name in BASELINES else next(colour, "#333333")
    top = max(max(metrics[name][m] for m in METRICS for name in names), 1e-9)
    ceiling = _nice_ceiling(top)
    bar, gap, left, plot_height, top_margin = 14, 18, 44, 220, 12
    group = len(names) * bar + gap
    width = left + group * len(METRICS) + 10
    legend_top = top_margin + plot_height + 34
    height = legend_top + 18 * ((len(names) + 2) // 3) + 6

    def y(value: float) -> float:
        return top_margin + plot_height * (1 - value / ceiling)

    # Numbers are formatted here; the only text from data (recommender names) goes through escape().
    parts = []
    for tick in (ceiling * i / 4 for i in range(5)):
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" font-size="10" text-anchor="end" fill="#666">'
                     f"{tick:.2f}</text>")
    for g, metric in enumerate(METRICS):
        x0 = left + g * group + gap / 2
        for i, name in enumerate(names):
            value = metrics[name][metric]
            parts.append(f'<rect x="{x0 + i * bar:.1f}" y="{y(value):.1f}" width="{bar - 2}" '
                         f'height="{top_margin + plot_height - y(value):.1f}" fill="{colours[name]}">'
                         f"<title>{escape(name)} {metric}: {value:.4f}</title></rect>")
        caption = f"{metric}@{int(k)}" if k else metric
        parts.append(f'<text x="{x0 + len(names) * bar / 2:.1f}" y="{top_margin + plot_height + 16}" font-size="12" '
                     f'text-anchor="middle">{caption}</text>')
    for i, name in enumerate(names):
        x, row = left + (i % 3) * 190, legend_top + 18 * (i // 3)
        parts.append(f'<rect x="{x}" y="{row}" width="10" height="10" fill="{colours[name]}"/>'
                     f'<text x="{x + 14}" y="{row + 9}" font-size="11">{escape(name)}</text>')
    return mark_safe(  # every piece of data above is a number or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Offline metrics per recommender" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'style="font-family:sans-serif;background:#fff">{"".join(parts)}</svg>'
    )


def _nice_ceiling(value: float) -> float:
    for step in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0):
        if value <= step:
            return step
    return float(int(value) + 1)
