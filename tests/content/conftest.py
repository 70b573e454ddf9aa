import pytest

from content import prompts
from tests.content.factories import make_user


@pytest.fixture(autouse=True)
def free_default_templates(request, monkeypatch):
    """Tests of the workflow around the model expect the fake generator's text, so the built-in
    templates generate freely here; tests of the shipped defaults (planned copy) are marked
    ``shipped_strategies``."""
    if request.node.get_closest_marker("shipped_strategies"):
        return
    for kind, default in prompts.DEFAULT_TEMPLATES.items():
        if "strategy" in default:
            monkeypatch.setitem(prompts.DEFAULT_TEMPLATES, kind, {**default, "strategy": "free"})


@pytest.fixture
def writer(db):
    return make_user("Writers")


@pytest.fixture
def editor(db):
    return make_user("Editors")


@pytest.fixture
def outsider(db):
    return make_user(None)
