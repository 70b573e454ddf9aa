"""The Celery task and its beat entry."""

import pytest
from django.conf import settings

from recommender import tasks
from recommender.models import ModelVersion, ShopSetting, VersionStatus

pytestmark = pytest.mark.django_db


def test_the_nightly_training_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["recommender-train-nightly"]

    assert entry["task"] == "recommender.train"
    assert tasks.train.name == "recommender.train"


def test_the_scheduled_training_activates_a_sane_version_when_the_shop_allows(catalogue, settings):
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    from ecomcms import inference

    inference.reset()
    try:
        result = tasks.train()
        ShopSetting.objects.filter(pk=1).update(activate_scheduled_versions=False)
        second = tasks.train()
    finally:
        inference.reset()

    first = ModelVersion.objects.get(pk=result["version"])
    assert result == {"trained": True, "version": first.pk, "active": True}
    assert first.trigger == "schedule"
    assert second["active"] is False


def test_a_redelivered_task_does_not_train_twice_at_once(catalogue):
    ModelVersion.objects.create(name="running", status=VersionStatus.TRAINING)

    result = tasks.train()

    assert result["trained"] is False
    assert "another training is running" in result["reason"]
