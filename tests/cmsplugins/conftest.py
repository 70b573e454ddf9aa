"""Fixtures of the blocks' tests: the recommender tests' small shop, its own artifacts and an empty cache."""

import pytest
from django.core.cache import cache

from recommender import artifacts
from tests.recommender.conftest import catalogue  # noqa: F401  (the shop whose right answers are known)


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """Artifacts in the test's own folder; no artifact and no cached list carried from one test to the next."""
    settings.ECOMCMS_DATA_DIR = tmp_path
    artifacts.forget()
    cache.clear()
    yield
    artifacts.forget()
    cache.clear()

