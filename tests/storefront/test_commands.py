"""`manage.py storefront_tokens create|list|revoke`: the secret once, never in a listing."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from storefront import services
from storefront.models import StorefrontToken

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("storefront_tokens", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_secret_once_alone_on_stdout_and_it_authenticates(editor):
    out, err = run("create", "--name", "web shop", "--scope", "events:write", "--scope", "catalog:read",
                   "--as-user", editor.username)

    secret = out.strip()
    token = StorefrontToken.objects.get()
    assert services.token_authenticate(secret=secret) == token
    assert (token.name, token.scopes, token.created_by) == ("web shop", ["catalog:read", "events:write"], editor)
    assert secret not in err and token.prefix in err and "never shown again" in err


@pytest.mark.parametrize("args, message", [
    (["--name", "x"], "at least one of"),
    (["--name", "  ", "--scope", "events:write"], "--name: must not be empty"),
    (["--name", "x", "--scope", "events:write", "--as-user", "nobody"], "no user named 'nobody'"),
])
def test_create_refuses_bad_arguments_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        run("create", *args)
    assert not StorefrontToken.objects.exists()


def test_an_unknown_scope_is_refused_by_the_parser():
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        run("create", "--name", "x", "--scope", "admin")


def test_list_shows_live_tokens_without_secrets_and_all_with_revoked_ones():
    live, live_secret = services.token_create(name="web shop", scopes=["events:write"])
    gone, gone_secret = services.token_create(name="old app", scopes=["catalog:read"])
    services.token_revoke(token=gone)

    table, _ = run("list")
    listed = json.loads(run("list", "--all", "--json")[0])

    assert "web shop" in table and live.prefix in table and "old app" not in table
    assert live_secret not in table and live.key_hash not in table
    assert [(row["id"], row["name"], row["revoked_at"] is None) for row in listed] == [
        (gone.pk, "old app", False), (live.pk, "web shop", True)]
    dumped = json.dumps(listed)
    assert live_secret not in dumped and gone_secret not in dumped and live.key_hash not in dumped


def test_revoke_by_id_and_by_name_and_the_token_stops_working():
    by_id, id_secret = services.token_create(name="a", scopes=["events:write"])
    by_name, name_secret = services.token_create(name="web shop", scopes=["events:write"])

    run("revoke", str(by_id.pk))
    out, _ = run("revoke", "web shop")

    assert "Revoked token" in out
    assert services.token_authenticate(secret=id_secret) is None
    assert services.token_authenticate(secret=name_secret) is None
    assert "already revoked" in run("revoke", str(by_id.pk))[0]


def test_revoke_refuses_an_unknown_or_ambiguous_reference_and_revokes_nothing():
    services.token_create(name="twin", scopes=[])
    services.token_create(name="twin", scopes=[])

    with pytest.raises(CommandError, match="2 live tokens are named 'twin'"):
        run("revoke", "twin")
    with pytest.raises(CommandError, match="no live token named 'nope'"):
        run("revoke", "nope")
    with pytest.raises(CommandError, match="no token with id 999"):
        run("revoke", "999")
    assert not StorefrontToken.objects.filter(revoked_at__isnull=False).exists()
