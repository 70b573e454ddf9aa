"""Builders for storefront tests: published copy through the real services, drafts that must never leak."""

from __future__ import annotations

from content import services
from content.models import Draft, DraftStatus, PublishedCopy
from storefront.models import Scope
from storefront.services import token_create


def make_draft(product, *, text: str, kind: str = "description", variant: int = 1,
               status: str = DraftStatus.IN_REVIEW) -> Draft:
    return Draft.objects.create(product=product, kind=kind, variant=variant, template=services.template_active(kind),
                                status=status, ai_text=text)


def publish(product, text: str, *, kind: str = "description", variant: int = 1) -> PublishedCopy:
    """Publish text as the system would: a draft in review, approved and published by the services."""
    draft = make_draft(product, text=text, kind=kind, variant=variant)
    return services.draft_approve_and_publish(draft=draft, actor=None)


def make_token(*scopes: str, name: str = "web shop") -> str:
    """A token's secret (what a storefront sends), with all scopes unless some are named."""
    return token_create(name=name, scopes=list(scopes or Scope.values))[1]
