"""Pure-Python recommender engine for ecomcms (no Django imports).

Load purchase events, split them in time, fit recommenders over numpy/scipy
arrays and evaluate them offline (``recommender.engine.evaluate``). The
Django layer wraps these objects; it never has to reach into their internals.
"""

import importlib

# Names are loaded on first use (PEP 562): importing one submodule (``recommender.engine.data`` for the
# importer, say) must not load the fitting code and its libraries (implicit, scipy) into every process
# that imports the services, the generation workers among them (docs/performance.md, "Memory per
# generation process").
_WHERE = {
    "Reason": "base",
    "Recommendation": "base",
    "Recommender": "base",
    "top_k": "base",
    "Blend": "blend",
    "BlendParams": "blend",
    "BM25ItemKNN": "collaborative",
    "CollaborativeFiltering": "collaborative",
    "ANONYMOUS": "data",
    "Events": "data",
    "load_online_retail": "data",
    "net_cancellations": "data",
    "BoughtTogether": "item_based",
    "ItemSimilarity": "item_based",
    "SessionRecommender": "item_based",
    "embedding_matrix": "item_based",
    "evaluate_rankings": "metrics",
    "DecayedPopularity": "popularity",
    "BuyAgain": "repeat",
    "Split": "split",
    "temporal_split": "split",
    "TuningResult": "tuning",
    "tune_blend": "tuning",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "ANONYMOUS",
    "BM25ItemKNN",
    "Blend",
    "BlendParams",
    "BoughtTogether",
    "BuyAgain",
    "CollaborativeFiltering",
    "DecayedPopularity",
    "Events",
    "ItemSimilarity",
    "Reason",
    "Recommendation",
    "Recommender",
    "SessionRecommender",
    "Split",
    "TuningResult",
    "embedding_matrix",
    "evaluate_rankings",
    "load_online_retail",
    "net_cancellations",
    "temporal_split",
    "top_k",
    "tune_blend",
]
