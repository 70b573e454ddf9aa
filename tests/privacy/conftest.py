import pytest
from django.core.cache import cache

from recommender import artifacts


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """Recommender artifacts in a folder of the test's own; nothing cached across tests."""
    settings.ECOMCMS_DATA_DIR = tmp_path
    artifacts.forget()
    cache.clear()
    yield
    artifacts.forget()
    cache.clear()
