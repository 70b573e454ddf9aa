import pytest
from django.core.cache import cache

from recommender import artifacts
from recommender.models import ShopSetting
from tests.recommender.factories import buy, make_shop_product


@pytest.fixture(autouse=True)
def own_data_dir(request, settings, tmp_path):
    """Artifacts and the embedding cache in a folder of the test's own; no artifact cached across tests.

    Tests with a real worker keep the shared data folder: the worker finds the broker's folders there.
    """
    if not request.node.get_closest_marker("worker"):
        settings.ECOMCMS_DATA_DIR = tmp_path
    artifacts.forget()
    cache.clear()  # throttle counters
    yield
    artifacts.forget()
    cache.clear()


@pytest.fixture
def catalogue(db):
    """A small shop whose right answers are known.

    Kitchen: mug and tea are bought together on 8 orders, the pot with the mug on 4 (and alone on 2).
    Shirts: tee and shirt together on 6 orders, the polo on 3. Accessories: scarf and
    hat together on 3. Alice bought a mug. Besides: a best-seller that is out of stock,
    one that is archived and one without published copy (none may ever be shown).
    """
    p = {name: make_shop_product(name, category) for name, category in [
        ("mug", "kitchen"), ("tea", "kitchen"), ("pot", "kitchen"), ("tee", "shirts"), ("shirt", "shirts"),
        ("polo", "shirts"), ("scarf", "accessories"), ("hat", "accessories"),
    ]}
    p["sold-out"] = make_shop_product("sold-out", "kitchen", stock=0)
    p["archived"] = make_shop_product("archived", "kitchen", is_active=False)
    p["unpublished"] = make_shop_product("unpublished", "kitchen", published=False)
    for i in range(8):
        buy(f"k{i}", f"K{i}", [p["mug"], p["tea"], p["sold-out"], p["archived"], p["unpublished"]], days_ago=20 + i)
        if i < 4:
            buy(f"k{i}", f"KP{i}", [p["pot"], p["mug"]], days_ago=12 + i)
    for i in range(2):
        buy(f"p{i}", f"P{i}", [p["pot"]], days_ago=40 + i)
    for i in range(6):
        buy(f"s{i}", f"S{i}", [p["tee"], p["shirt"]] + ([p["polo"]] if i < 3 else []), days_ago=15 + i)
    for i in range(3):
        buy(f"a{i}", f"A{i}", [p["scarf"], p["hat"]], days_ago=30 + i)
    buy("alice", "AL1", [p["mug"]], days_ago=5)
    return p


@pytest.fixture
def repeat_shop(db):
    """The shop setting of a repeat-purchase shop: what a customer bought may be recommended again."""
    ShopSetting.objects.update_or_create(pk=1, defaults={"exclude_purchased": False})
