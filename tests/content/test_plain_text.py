"""Copy is stored as plain text and escaped on output; the data migration converts copy stored before."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from content import services
from content.models import Draft, DraftStatus, PublishedCopy
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

migration = importlib.import_module("content.migrations.0007_plain_text_copy")


def test_stored_copy_with_entities_and_tags_becomes_plain_text():
    product = make_product()
    template = services.template_active("description")
    draft = Draft.objects.create(
        product=product, kind="description", template=template, status=DraftStatus.PUBLISHED,
        ai_text="Salt &amp; pepper &lt;&gt; <b>mill</b>", editor_text="<p>Salt &amp; pepper.</p><p>Ground.</p>",
    )
    copy = PublishedCopy.objects.create(product=product, kind="description", text="Salt &amp; pepper, 5 &lt; 6",
                                        draft=draft, published_at=timezone.now())
    untouched = Draft.objects.create(product=product, kind="description", variant=2, template=template,
                                     status=DraftStatus.IN_REVIEW, ai_text="Plain words.")

    migration.copy_to_plain_text(apps, None)

    draft.refresh_from_db()
    assert draft.ai_text == "Salt & pepper <> mill"
    assert draft.editor_text == "Salt & pepper.\nGround."
    assert PublishedCopy.objects.get(pk=copy.pk).text == "Salt & pepper, 5 < 6"
    assert Draft.objects.get(pk=untouched.pk).ai_text == "Plain words."


def test_entity_smuggled_markup_does_not_come_back_as_a_tag():
    product = make_product()
    draft = Draft.objects.create(product=product, kind="description", template=services.template_active("description"),
                                 status=DraftStatus.IN_REVIEW, ai_text="&lt;script&gt;steal()&lt;/script&gt;Nice.")

    migration.copy_to_plain_text(apps, None)

    assert Draft.objects.get(pk=draft.pk).ai_text == "Nice."


def test_plain_text_reaches_the_api_as_it_reads_and_the_admin_escaped_once(client):
    from django.urls import reverse
    from rest_framework.test import APIClient

    from tests.content.factories import make_user

    writer, editor = make_user("Writers"), make_user("Editors")
    product = make_product(attributes={"material": "steel"})
    draft = services.draft_write(product=product, kind="description", text="Salt &amp; pepper mill, 5 < 6.",
                                 actor=writer)
    services.draft_approve_and_publish(draft=draft, actor=editor)

    body = APIClient().get(f"/api/v1/products/{product.slug}").json()
    assert [c["text"] for c in body["copy"]] == ["Salt & pepper mill, 5 < 6."]
    client.force_login(editor)
    page = client.get(reverse("admin:ecomcms_content_draft_change", args=[draft.pk])).content.decode()
    assert "Salt &amp; pepper mill, 5 &lt; 6." in page and "&amp;amp;" not in page and "5 < 6" not in page
