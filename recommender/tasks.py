"""Celery doors to the recommender services."""

from __future__ import annotations

from celery import shared_task

from recommender import services
from recommender.models import ShopSetting


@shared_task(name="recommender.train")
def train(activate: bool | str | None = None, trigger: str = "schedule") -> dict:
    """Train a version from the stored events (the nightly beat entry, or the admin's "train now").

    ``activate=None`` follows the shop setting: activate when the version passes the
    sanity check (``services.version_sanity_problem``). Runs on the default queue, where
    the embedding model is loaded. A redelivered task trains another version or, while
    one is still training, stops: never two at once.
    """
    if activate is None:
        activate = "if_sane" if ShopSetting.load().activate_scheduled_versions else False
    try:
        version = services.model_train(activate=activate, trigger=trigger)
    except services.RecommenderError as exc:  # nothing to train on, or another training is running
        return {"trained": False, "reason": str(exc)}
    return {"trained": True, "version": version.pk, "active": version.is_active}
