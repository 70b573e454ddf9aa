"""Every write of the recommender, and the recommendations themselves.

Import events, train a version, activate or roll back, and serve: the admin,
the API, the management commands and the Celery task all call these
functions. Serving reads a version's precomputed artifact and does cheap
arithmetic; it never trains and never runs a model.

One module per concern, re-exported here so callers keep ``from recommender import services``:
``_base`` (errors, the permission check), ``importing`` (Online Retail events),
``training`` (train, activate, roll back, delete, evaluate a file) and ``serving``
(the ``recommend_*`` lists). A test that replaces a function must replace it in the
module that looks it up.
"""

import logging

from recommender.services._base import IN_CHUNK, NotAllowed, RecommenderError
from recommender.services.importing import (
    ONLINE_RETAIL_SOURCE,
    EventImportResult,
    ImportProgress,
    events_import_online_retail,
)
from recommender.services.serving import (
    FILL_POPULARITY_WEIGHT,
    FIRST_BATCH,
    LATER_BATCH,
    MAX_RESULTS,
    SESSION_POSITION_DECAY,
    TOGETHER_POPULARITY_WEIGHT,
    TOGETHER_SIMILAR_WEIGHT,
    Reason,
    Recommendation,
    Recommendations,
    recommend_bought_together,
    recommend_for_customer,
    recommend_for_session,
    recommend_similar,
)
from recommender.services.training import (
    STALE_TRAINING,
    TrainProgress,
    model_activate,
    model_evaluate_file,
    model_rollback,
    model_train,
    model_training_request,
    model_versions_delete,
    version_sanity_problem,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FILL_POPULARITY_WEIGHT",
    "FIRST_BATCH",
    "IN_CHUNK",
    "LATER_BATCH",
    "MAX_RESULTS",
    "ONLINE_RETAIL_SOURCE",
    "SESSION_POSITION_DECAY",
    "STALE_TRAINING",
    "TOGETHER_POPULARITY_WEIGHT",
    "TOGETHER_SIMILAR_WEIGHT",
    "EventImportResult",
    "ImportProgress",
    "NotAllowed",
    "Reason",
    "Recommendation",
    "Recommendations",
    "RecommenderError",
    "TrainProgress",
    "events_import_online_retail",
    "model_activate",
    "model_evaluate_file",
    "model_rollback",
    "model_train",
    "model_training_request",
    "model_versions_delete",
    "recommend_bought_together",
    "recommend_for_customer",
    "recommend_for_session",
    "recommend_similar",
    "version_sanity_problem",
]
