import pytest
from django.core.cache import cache

from ecomcms import inference
from tests.support.factories import make_agent, make_user
from tests.support.fakes import RecordingEmbedder, ScriptedGenerator


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def recording_models(settings):
    """Fake backends that remember every text embedded and every prompt generated."""
    settings.ECOMCMS_TEXT_BACKEND = "tests.support.fakes.ScriptedGenerator"
    settings.ECOMCMS_EMBEDDING_BACKEND = "tests.support.fakes.RecordingEmbedder"
    RecordingEmbedder.seen = []
    ScriptedGenerator.prompts = []
    ScriptedGenerator.groundings = []
    ScriptedGenerator.reply = "Hello [NAME_1], you can return any item within 30 days [1].\nBest regards, the shop team"
    inference.reset()
    yield
    inference.reset()
    RecordingEmbedder.seen = []
    ScriptedGenerator.prompts = []


@pytest.fixture
def agent(db):
    return make_agent()


@pytest.fixture
def outsider(db):
    return make_user(None)
