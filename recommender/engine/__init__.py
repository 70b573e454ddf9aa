"""Pure-Python recommender engine for ecomcms (no Django imports).

Load purchase events, split them in time, fit recommenders over numpy/scipy
arrays and evaluate them offline (``recommender.engine.evaluate``). The
Django layer wraps these objects; it never has to reach into their internals.
"""

from .base import Reason, Recommendation, Recommender, top_k
from .blend import Blend, BlendParams
from .collaborative import BM25ItemKNN, CollaborativeFiltering
from .data import ANONYMOUS, Events, load_online_retail, net_cancellations
from .item_based import BoughtTogether, ItemSimilarity, SessionRecommender, embedding_matrix
from .metrics import evaluate_rankings
from .popularity import DecayedPopularity
from .repeat import BuyAgain
from .split import Split, temporal_split
from .tuning import TuningResult, tune_blend

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
