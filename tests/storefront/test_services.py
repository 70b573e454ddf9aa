"""Token and event services, below the HTTP layer."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from recommender.models import Event
from storefront import services
from storefront.models import StorefrontToken
from tests.content.factories import make_product
from tests.storefront.factories import make_token

pytestmark = pytest.mark.django_db

AT = timezone.now() - timedelta(hours=1)


def test_a_token_is_stored_as_a_hash_and_a_prefix_only(editor):
    token, secret = services.token_create(name="web shop", scopes=["events:write", "catalog:read"], created_by=editor)

    stored = StorefrontToken.objects.get(pk=token.pk)
    assert secret.startswith("sf_") and len(secret) > 40
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.prefix == secret[:12]
    assert secret not in {stored.name, stored.prefix, stored.key_hash}
    assert (stored.scopes, stored.created_by) == (["catalog:read", "events:write"], editor)


def test_an_unknown_scope_is_refused():
    with pytest.raises(ValueError, match="unknown scopes: admin"):
        services.token_create(name="x", scopes=["admin"])
    assert not StorefrontToken.objects.exists()


def test_authentication_finds_the_live_token_and_records_its_use_once_a_minute():
    token, secret = services.token_create(name="x", scopes=[])

    first = services.token_authenticate(secret=secret)
    used_at = StorefrontToken.objects.get().last_used_at
    services.token_authenticate(secret=secret)

    assert first == token
    assert used_at is not None
    assert StorefrontToken.objects.get().last_used_at == used_at


def test_a_revoked_or_unknown_secret_authenticates_nothing():
    token, secret = services.token_create(name="x", scopes=[])

    assert services.token_revoke(token=token) is True
    assert services.token_revoke(token=token) is False
    assert services.token_authenticate(secret=secret) is None
    assert services.token_authenticate(secret=secret + "x") is None


def event(n, **fields) -> tuple[int, dict]:
    return n, {"id": f"e-{n}", "type": "view", "product": "SKU-1", "session_id": "s-1", "quantity": 1,
               "occurred_at": AT + timedelta(minutes=n)} | fields


def test_recording_stores_new_events_and_counts_known_ids_as_duplicates():
    make_product(sku="SKU-1")
    services.events_record(source="token:1", events=[event(0), event(1)])

    result = services.events_record(source="token:1", events=[event(1), event(2), event(3, product="SKU-9")])

    assert (result.accepted, result.duplicates) == (1, 1)
    assert [(r.index, r.id, r.code) for r in result.rejected] == [(3, "e-3", "unknown_product")]
    assert sorted(Event.objects.values_list("client_id", flat=True)) == ["e-0", "e-1", "e-2"]


def test_a_rejected_id_can_be_sent_again_once_corrected():
    make_product(sku="SKU-1")
    services.events_record(source="token:1", events=[event(0, product="SKU-9")])

    result = services.events_record(source="token:1", events=[event(0)])

    assert (result.accepted, result.duplicates) == (1, 0)


def test_the_latest_link_of_a_session_in_a_batch_wins():
    make_product(sku="SKU-1")

    services.events_record(source="token:1", events=[
        event(0), event(2, customer_id="c-late"), event(1, customer_id="c-early"),
    ])

    customers = dict(Event.objects.values_list("client_id", "customer_id"))
    assert customers == {"e-0": "c-late", "e-1": "c-early", "e-2": "c-late"}


def test_the_hand_written_token_read_builds_what_the_orm_does():
    live_secret = make_token("events:write", "catalog:read")
    revoked_secret = make_token("catalog:read", name="old")
    StorefrontToken.objects.filter(prefix=revoked_secret[:12]).update(revoked_at=timezone.now())
    live_hash = hashlib.sha256(live_secret.encode()).hexdigest()
    from storefront import selectors

    found = selectors.token_live(key_hash=live_hash)
    expected = StorefrontToken.objects.filter(key_hash=live_hash, revoked_at__isnull=True).first()

    fields = [f.attname for f in StorefrontToken._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert found.scopes == ["catalog:read", "events:write"] and not found._state.adding
    assert selectors.token_live(key_hash=hashlib.sha256(revoked_secret.encode()).hexdigest()) is None
    assert selectors.token_live(key_hash="0" * 64) is None
