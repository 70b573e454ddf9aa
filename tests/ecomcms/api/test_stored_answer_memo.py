"""The per-process memo of stored answers (``ecomcms.api.cache``): never a body the cache itself would not serve.

The memo keeps unpickled bodies filed under the generations read on every request; a bump must make
the next request miss it, even when the cache still holds (or no longer holds) anything.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from content.models import Product
from ecomcms.api import cache as api_cache
from ecomcms.caching import generation_bump
from tests.content.factories import make_product
from tests.storefront.factories import publish


def body(text: str, **kwargs) -> api_cache.Body:
    return api_cache.body_of({"text": text}, **kwargs)


def test_a_memo_hit_needs_the_same_generations_and_key():
    api_cache._memo_put("p", "k", (1, 4), body("one"), 60)

    assert api_cache.lookup("p", "k", (1, 4), seconds=60).content == b'{"text":"one"}'
    assert api_cache.lookup("p", "k", (2, 4), seconds=60) is None  # a bump: nothing older answers
    assert api_cache.lookup("p", "k", (1, 5), seconds=60) is None
    assert api_cache.lookup("p", "other", (1, 4), seconds=60) is None
    assert api_cache.lookup("q", "k", (1, 4), seconds=60) is None


def test_bodies_of_older_generations_are_dropped_when_a_newer_one_comes_in():
    api_cache._memo_put("p", "k", (1,), body("old"), 60)
    api_cache._memo_put("p", "other", (2,), body("new"), 60)

    assert api_cache.lookup("p", "k", (1,), seconds=60) is None
    assert api_cache._memo["p"].bodies.keys() == {"other"}


def test_a_memo_body_past_its_valid_until_is_not_served():
    stale = body("rule started")
    stale.valid_until = time.time() - 1
    api_cache._memo_put("p", "k", (1,), stale, 60)

    assert api_cache.lookup("p", "k", (1,), seconds=60) is None


def test_a_memo_body_leaves_after_the_cache_timeout():
    api_cache._memo_put("p", "k", (1,), body("soon gone"), 0)

    assert api_cache.lookup("p", "k", (1,), seconds=0) is None


def test_the_memo_is_bounded_oldest_first(monkeypatch):
    monkeypatch.setattr(api_cache, "MEMO_ENTRIES", 3)
    for n in range(5):
        api_cache._memo_put("p", f"k{n}", (1,), body(str(n)), 60)

    assert list(api_cache._memo["p"].bodies) == ["k2", "k3", "k4"]


@pytest.mark.django_db
def test_the_next_request_after_a_bump_never_gets_the_memos_body(client):
    mug = make_product(sku="SKU-MUG", slug="mug", title="Mug")
    publish(mug, "First description.")
    first = client.get("/api/v1/products/mug")
    assert client.get("/api/v1/products/mug").content == first.content  # a stored answer, now in the memo
    # A write behind every door's back (no bump), then the cache emptied: only the memo holds the old body.
    Product.objects.filter(pk=mug.pk).update(title="Changed")
    cache.clear()
    assert client.get("/api/v1/products/mug").json()["title"] == "Mug"  # served from the memo, same generation

    generation_bump("catalog")

    assert client.get("/api/v1/products/mug").json()["title"] == "Changed"


@pytest.mark.django_db
def test_a_publication_shows_on_the_next_request_of_every_stored_path(client):
    mug = make_product(sku="SKU-MUG", slug="mug", title="Mug", category="kitchen")
    publish(mug, "First description.")
    paths = ["/api/v1/products", "/api/v1/products/mug", "/api/v1/categories"]
    for _ in range(2):
        for path in paths:
            client.get(path)

    publish(mug, "Second description.")

    assert client.get("/api/v1/products").json()["results"][0]["copy"][0]["text"] == "Second description."
    assert client.get("/api/v1/products/mug").json()["copy"][0]["text"] == "Second description."
