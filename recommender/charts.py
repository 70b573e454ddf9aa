"""The recommender's chart: offline metrics per recommender, drawn by ``ecomcms.charts``."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from ecomcms.charts import PALETTE, grouped_bars

METRICS = ("ndcg", "precision", "recall", "map", "coverage")
BASELINES = ("popularity", "buy_again", "implicit_als", "implicit_bm25")
# Baselines in greys so the product's recommenders stand out against them.
GREYS = ("#bbbbbb", "#999999", "#777777", "#555555")


def metrics_bar_chart(metrics: dict[str, dict[str, float]], *, k: int | None = None) -> SafeString:
    """Grouped bars: one group per metric, one bar per recommender, with a legend and value tooltips.

    ``metrics`` is ``{recommender: {"ndcg": ..., "precision": ..., ...}}`` as stored on a version.
    """
    names = [name for name, values in metrics.items() if all(m in values for m in METRICS)]
    if not names:
        return mark_safe("<p>No offline metrics for this version.</p>")
    colours, grey, colour = {}, iter(GREYS), iter(PALETTE)
    for name in names:
        colours[name] = next(grey, "#444444") if name in BASELINES else next(colour, "#333333")
    groups = [(metric, f"{metric}@{int(k)}" if k else metric) for metric in METRICS]
    return grouped_bars({name: metrics[name] for name in names}, groups, colours,
                        label="Offline metrics per recommender")
