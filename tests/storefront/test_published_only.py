"""Acceptance: walk every storefront endpoint; no text an editor has not published appears in any response.

Every piece of text that must stay private carries the marker ``LEAK``: drafts in
every state (AI text and editor text), the AI text behind an edited publication,
superseded copy, copy of an archived product, feedback, comments, failure
reasons, template previews. Published text carries ``SHOWN`` and must appear.
"""

from urllib.parse import urlparse

import pytest
from django.urls import resolve
from django.utils import timezone
from rest_framework.test import APIClient

from content import services, urls as content_urls
from content.models import Draft, DraftEvent, DraftStatus, Product, TemplatePreview
from storefront import experiments, urls as storefront_urls
from tests.content.factories import make_product
from tests.storefront.factories import make_draft, make_token, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    mug = make_product(sku="SKU-MUG", slug="mug", title="Mug", category="kitchen")
    publish(mug, "LEAK superseded description")
    publish(mug, "SHOWN current description")
    edited = make_draft(mug, text="LEAK the AI text behind an edit", kind="seo_title")
    edited.editor_text = "SHOWN edited title"
    edited.save()
    services.draft_approve_and_publish(draft=edited, actor=None)
    for n, status in enumerate(s for s in DraftStatus.values if s != DraftStatus.PUBLISHED):
        draft = make_draft(mug, text=f"LEAK ai text {status}", kind="social_post", variant=n % 3 + 1, status=status)
        draft.editor_text = f"LEAK editor {status}"
        draft.feedback, draft.failure_reason = "LEAK feedback", "LEAK failure"
        draft.save()
        DraftEvent.objects.create(draft=draft, to_status=status, comment="LEAK comment")
    TemplatePreview.objects.create(template=edited.template, product=mug, text="LEAK preview",
                                   status=TemplatePreview.Status.DONE)
    archived = make_product(sku="SKU-OLD", slug="old", category="kitchen", is_active=False)
    publish(archived, "LEAK copy of an archived product")
    for n in range(3):
        publish(make_product(slug=f"plate-{n}", category="kitchen"), f"SHOWN plate {n}")
    # A/B tests: a running one serves approved variants to visitors; a stopped one serves nothing any more.
    plate = Product.objects.get(slug="plate-1")
    running = [make_draft(plate, text=f"SHOWN variant {label}", status=DraftStatus.APPROVED) for label in "AB"]
    experiments.experiment_start(product=plate, kind="description", drafts=running, actor=_publisher())
    stopped = [make_draft(mug, text=f"LEAK stopped variant {label}", status=DraftStatus.APPROVED) for label in "AB"]
    experiment = experiments.experiment_start(product=mug, kind="description", drafts=stopped, actor=_publisher())
    experiments.experiment_stop(experiment=experiment, actor=_publisher())
    _category_experiments(mug, plate)
    return mug


def _category_experiments(mug, busy_plate):
    """A/B tests across the kitchen category, arms by template version: a running one serves each product's
    approved draft of the visitor's arm where the product has one from every arm; a stopped one serves nothing."""
    editor = _publisher()
    arms = {}
    for kind in ("description", "seo_title"):
        active = services.template_active(kind)
        arms[kind] = (active, services.template_save_version(
            kind=kind, system=active.system, user=active.user, options=active.options, max_chars=active.max_chars,
            actor=editor, activate=False))

    def written(product, kind, arm, text, status=DraftStatus.APPROVED):
        Draft.objects.create(product=product, kind=kind, template=arms[kind][arm], status=status, ai_text=text,
                             model_id="smol", generated_at=timezone.now())

    plate_0, plate_2 = Product.objects.get(slug="plate-0"), Product.objects.get(slug="plate-2")
    for plate in (plate_0, plate_2):  # stopped before the walk: its texts are never served
        written(plate, "seo_title", 0, f"LEAK stopped category title A of {plate.slug}")
        written(plate, "seo_title", 1, f"LEAK stopped category title B of {plate.slug}")
    stopped = experiments.experiment_start_category(category="kitchen", kind="seo_title", arms=["1", "2"],
                                                    actor=editor)
    experiments.experiment_stop(experiment=stopped, actor=editor)
    written(plate_0, "description", 0, "SHOWN category arm A")
    written(plate_0, "description", 1, "SHOWN category arm B")
    written(plate_2, "description", 0, "Arm A of plate 2")
    written(plate_2, "description", 1, "Arm B of plate 2")
    # Approved, but the plate is under its own product experiment: its product experiment's variants are served.
    written(busy_plate, "description", 0, "LEAK arm A of a product under another experiment")
    written(busy_plate, "description", 1, "LEAK arm B of a product under another experiment")
    # The mug lacks an approved draft of arm B (in review only): it stays out, its arm A draft is never served.
    written(mug, "description", 0, "LEAK arm A of a product without arm B")
    written(mug, "description", 1, "LEAK arm B still in review", status=DraftStatus.IN_REVIEW)
    running = experiments.experiment_start_category(category="kitchen", kind="description", arms=["1", "2"],
                                                    actor=editor)
    assert running.coverage == {"products": 4, "in_experiment": 2, "without_arms": 1, "busy": 1}


def _publisher():
    from tests.content.factories import make_user

    return make_user("Editors")


def all_responses(client: APIClient, token: str, draft_id: int) -> list:
    """Every storefront endpoint, every page, anonymously, with a token and conditionally; the content staff
    endpoints (``content.urls``) without a session, anonymously and with a token."""
    responses = []

    def get(path, params=None, **headers):
        responses.append((path, client.get(path, params, **headers)))
        return responses[-1][1]

    def post(path, body, **headers):
        responses.append((path, client.post(path, body, format="json", **headers)))

    page = get("/api/v1/products", {"page_size": 1})
    while page.json()["next"]:
        link = urlparse(page.json()["next"])
        page = get(link.path + "?" + link.query)
    for query in ({"search": "mug"}, {"category": "kitchen", "in_stock": "true"}, {"search": "LEAK"},
                  {"updated_since": "2000-01-01T00:00:00Z", "price_min": "0"}):
        get("/api/v1/products", query)
    for slug in ("mug", "old", "plate-0", "plate-1", "missing"):
        product = get(f"/api/v1/products/{slug}")
        get(f"/api/v1/products/{slug}", HTTP_IF_NONE_MATCH=product.get("ETag", ""))
        for visitor in [f"v-{n}" for n in range(1, 13)]:
            get(f"/api/v1/products/{slug}", {"visitor": visitor})
    get("/api/v1/categories")
    get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {token}")

    events = {"events": [
        {"id": "1", "type": "view", "product": "mug", "session_id": "s", "occurred_at": "2026-01-01T00:00:00Z"},
        {"id": "2", "type": "view", "product": "old", "session_id": "s", "occurred_at": "2026-01-01T00:00:00Z"},
        {"id": "3", "type": "view", "product": "nope", "session_id": "s", "occurred_at": "2026-01-01T00:00:00Z"},
    ]}
    post("/api/v1/events", events, HTTP_AUTHORIZATION=f"Bearer {token}")
    post("/api/v1/events", events)

    staff = [f"/api/v1/staff/drafts/{draft_id}/{action}"
             for action in ("approve", "reject", "request-changes", "publish", "approve-and-publish")]
    for credentials in ({}, {"HTTP_AUTHORIZATION": f"Bearer {token}"}):
        get("/api/v1/staff/drafts", **credentials)
        post("/api/v1/staff/generation-jobs", {"kind": "description", "products": ["SKU-MUG"]}, **credentials)
        for path in staff:
            post(path, {"comment": "x", "reason": "x"}, **credentials)
    get("/api/v1/nothing-here")
    return responses


def test_no_unpublished_text_appears_in_any_storefront_response(catalog, api):
    draft_id = catalog.drafts.filter(status=DraftStatus.IN_REVIEW).values_list("pk", flat=True).first()

    responses = all_responses(api, make_token(), draft_id)

    walked = {resolve(path.split("?")[0]).url_name for path, _ in responses}
    assert walked == {pattern.name for pattern in storefront_urls.urlpatterns + content_urls.urlpatterns}
    everything = ""
    for path, response in responses:
        text = response.content.decode() + "".join(f"{k}: {v}" for k, v in response.items())
        assert "LEAK" not in text, f"{path} answered {response.status_code} with unpublished text: {text[:500]}"
        everything += text
    for shown in ["SHOWN current description", "SHOWN edited title", "SHOWN plate 0", "SHOWN plate 2",
                  "SHOWN plate 1", "SHOWN variant A", "SHOWN variant B", "SHOWN category arm A",
                  "SHOWN category arm B"]:
        assert shown in everything
