"""Tokens in the admin: the secret is shown once on creation; revoking is an action."""

import hashlib
import re

import pytest
from django.contrib.auth.models import User

from storefront.models import StorefrontToken
from storefront.services import token_authenticate, token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_creating_a_token_shows_its_secret_once_and_stores_its_hash(admin_client):
    response = admin_client.post("/admin/ecomcms_storefront/storefronttoken/add/",
                                 {"name": "web shop", "scopes": ["events:write"]}, follow=True)

    secret = re.search(r"<code>(sf_[^<]+)</code>", response.content.decode()).group(1)
    token = StorefrontToken.objects.get()
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.name, token.scopes, token.created_by.username) == ("web shop", ["events:write"], "root")
    assert token_authenticate(secret=secret) == token
    assert (
        secret not in admin_client.get(f"/admin/ecomcms_storefront/storefronttoken/{token.pk}/change/").content.decode()
    )
    assert secret not in admin_client.get("/admin/ecomcms_storefront/storefronttoken/").content.decode()


def test_the_list_shows_prefix_scopes_and_revocation(admin_client):
    token, _ = token_create(name="web shop", scopes=["catalog:read", "events:write"])

    page = admin_client.get("/admin/ecomcms_storefront/storefronttoken/").content.decode()

    assert token.prefix in page
    assert "catalog:read, events:write" in page


def test_the_revoke_action_revokes_the_selected_tokens(admin_client):
    token, secret = token_create(name="web shop", scopes=["events:write"])
    kept, kept_secret = token_create(name="app", scopes=["events:write"])

    response = admin_client.post("/admin/ecomcms_storefront/storefronttoken/",
                                 {"action": "revoke", "_selected_action": [token.pk]}, follow=True)

    assert "Revoked: 1." in response.content.decode()
    assert token_authenticate(secret=secret) is None
    assert token_authenticate(secret=kept_secret) == kept
