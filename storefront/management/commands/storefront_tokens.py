"""Create, list and revoke storefront tokens from the shell, for operators who script them.

``create`` prints the secret once, alone on standard output (what a script captures); everything
else goes to standard error. ``list`` never shows a secret: only the prefix is kept.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from storefront import selectors, services
from storefront.models import Scope


class Command(BaseCommand):
    help = "Storefront API tokens: create (the secret is printed once), list, revoke."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, metavar="create|list|revoke")
        create = commands.add_parser("create", help="Create a token and print its secret once.")
        create.add_argument("--name", required=True, help="Who uses it, e.g. 'web shop (production)'.")
        create.add_argument("--scope", action="append", default=[], choices=Scope.values, dest="scopes",
                            help="A scope the token gets (repeatable).")
        create.add_argument("--as-user", help="Username recorded as the token's creator.")
        listing = commands.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--all", action="store_true", dest="include_revoked", help="Revoked tokens too.")
        listing.add_argument("--json", action="store_true", dest="as_json", help="One JSON array instead of a table.")
        revoke = commands.add_parser("revoke", help="Revoke a token for good, by id or by its exact name.")
        revoke.add_argument("token", help="The token's id, or its name (must match one live token).")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, name, scopes, as_user, **options):
        if not name.strip():
            raise CommandError("--name: must not be empty")
        if not scopes:
            raise CommandError(f"--scope: give at least one of {', '.join(Scope.values)}")
        creator = None
        if as_user:
            creator = get_user_model().objects.filter(username=as_user).first()
            if creator is None:
                raise CommandError(f"--as-user: no user named {as_user!r}")
        token, secret = services.token_create(name=name.strip(), scopes=scopes, created_by=creator)
        self.stderr.write(f"Created token {token.pk} {token.name!r} ({token.prefix}…) with scopes "
                          f"{', '.join(token.scopes)}. Copy the secret now: it is stored hashed and never shown again.")
        self.stdout.write(secret)

    def _list(self, *, include_revoked, as_json, **options):
        tokens = list(selectors.tokens_listed(include_revoked=include_revoked))
        if as_json:
            self.stdout.write(json.dumps([_row(token) for token in tokens], indent=2))
            return
        if not tokens:
            self.stderr.write("No tokens." if include_revoked else "No live tokens (--all lists revoked ones too).")
            return
        table = [["id", "name", "prefix", "scopes", "created", "last used", "revoked"]]
        table += [[str(t.pk), t.name, t.prefix, ",".join(t.scopes) or "-", _minute(t.created_at),
                   _minute(t.last_used_at), _minute(t.revoked_at)] for t in tokens]
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
        for line in table:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())

    def _revoke(self, *, token, **options):
        found = selectors.tokens_named(token)
        if not found:
            raise CommandError(f"no token with id {token}" if token.isdigit() else f"no live token named {token!r}")
        if len(found) > 1:
            ids = ", ".join(str(t.pk) for t in found)
            raise CommandError(f"{len(found)} live tokens are named {token!r} (ids {ids}): revoke one by its id")
        target = found[0]
        if services.token_revoke(token=target):
            self.stdout.write(f"Revoked token {target.pk} {target.name!r} ({target.prefix}…).")
        else:
            self.stdout.write(f"Token {target.pk} {target.name!r} ({target.prefix}…) was already revoked.")


def _row(token) -> dict:
    return {
        "id": token.pk, "name": token.name, "prefix": token.prefix, "scopes": token.scopes,
        "created_by": token.created_by.get_username() if token.created_by else None,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _minute(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"
