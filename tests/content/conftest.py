import pytest

from tests.content.factories import make_user


@pytest.fixture
def writer(db):
    return make_user("Writers")


@pytest.fixture
def editor(db):
    return make_user("Editors")


@pytest.fixture
def outsider(db):
    return make_user(None)
