"""A real Celery worker trains a version from the stored events and the API serves it."""

import pytest
from rest_framework.test import APIClient

from recommender import tasks
from recommender.models import ModelVersion

pytestmark = [pytest.mark.worker]


def test_the_worker_trains_and_activates_a_version_that_the_api_serves(start_worker, catalogue):
    start_worker("default", ECOMCMS_WORKER_PRELOAD="false",
                 ECOMCMS_EMBEDDING_BACKEND="ecomcms.inference.fake.FakeEmbedder")

    result = tasks.train.delay().get(timeout=180)

    version = ModelVersion.objects.get(pk=result["version"])
    assert result == {"trained": True, "version": version.pk, "active": True}
    assert version.parameters["embedding_model"] == "fake-embedder"
    response = APIClient().get("/api/v1/recommendations/products/mug/bought-together", {"n": 1})
    assert response.json()["version"]["id"] == version.pk
    assert response.json()["results"][0]["reason"]["text"] == "bought with Mug"
