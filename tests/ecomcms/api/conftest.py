import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.storefront.factories import make_token


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def token(db) -> str:
    return make_token()


@pytest.fixture
def shop(api, token):
    """A client sending a token with every scope."""
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api
