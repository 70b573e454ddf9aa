"""Choosing the blend's hyper-parameters on a validation month from training data.

The test window must never influence a choice, so tuning re-splits the
*training* period: the last ``validation_days`` before the test cut play the
role of the test window, and only that NDCG@k decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .base import top_k
from .blend import Blend, BlendParams
from .data import Events
from .metrics import evaluate_rankings
from .split import temporal_split

DEFAULT_GRID: Mapping[str, Sequence[float | None]] = {
    "repeat_half_life_days": (None, 365.0, 90.0),
    "popularity_half_life_days": (1.5, 3.0, 7.0),
    "neighbours_weight": (0.05, 0.1, 0.2),
    "cf_weight": (0.0, 0.1, 0.2, 0.4),
    "popularity_weight": (0.2, 0.35, 0.5, 0.8),
}
"""Values tried for each :class:`~.blend.BlendParams` field (full grid).

The neighbour weight never drops to 0: that signal is the only route by
which an item nobody has bought yet (scored through content embeddings)
can reach a customer. The popularity weight never does either: it is the
whole answer for a new visitor.
"""

_DECAYS = ("repeat_half_life_days", "popularity_half_life_days")


@dataclass(frozen=True)
class TuningResult:
    """The winning parameters and the full trace, so a report can show both."""

    best: BlendParams
    best_ndcg: float
    trials: list[tuple[BlendParams, float]]  # every grid point with its NDCG@k
    validation_users: int


def tune_blend(
    events: Events,
    validation_days: int = 30,
    k: int = 10,
    grid: Mapping[str, Sequence[float | None]] = DEFAULT_GRID,
) -> TuningResult:
    """Grid-search :class:`BlendParams` by NDCG@k on the last ``validation_days``.

    ``events`` must end at the test cut (pass only events before it, ideally
    un-netted so cancellations after the validation cut stay unseen). The
    similarity and CF models are fitted once; each half-life pair recomputes
    the cheap decayed parts, each weight combination only re-adds arrays.
    Ties keep the first grid point, so earlier (simpler) values win.
    """
    split = temporal_split(events, validation_days)
    fitted = Blend().fit(split.train)
    catalog = split.catalog
    trials: list[tuple[BlendParams, float]] = []
    weight_names = [name for name in grid if name not in _DECAYS]
    for decays in itertools.product(*(grid[name] for name in _DECAYS)):
        base = fitted.with_params(BlendParams(**dict(zip(_DECAYS, decays))))
        components = base.components(split.test_users)
        for weights in itertools.product(*(grid[name] for name in weight_names)):
            params = BlendParams(**dict(zip(_DECAYS, decays)), **dict(zip(weight_names, weights)))
            ranked = top_k(base.combine(components, params), k)
            ndcg = evaluate_rankings(ranked, split.relevant, catalog, k)["ndcg"]
            trials.append((params, ndcg))
    best, best_ndcg = max(trials, key=lambda trial: trial[1])
    return TuningResult(best, best_ndcg, trials, len(split.test_users))


def validation_events(events: Events, test_days: int) -> Events:
    """The events before the test cut of ``temporal_split(events, test_days)``."""
    cut = events.timestamp.max() - np.timedelta64(test_days, "D")
    return events.take(events.timestamp < cut)
