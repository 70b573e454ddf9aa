"""Pure-Python recommender engine for ecomcms (no Django imports).

Load purchase events, split them in time, fit recommenders over numpy/scipy
arrays and evaluate them offline (``recommender.engine.evaluate``). The
Django layer wraps these objects; it never has to reach into their internals.
"""

from ecomcms.lazy import names_on_first_use

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

__getattr__, __dir__ = names_on_first_use(__name__, _WHERE)


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
