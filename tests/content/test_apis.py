"""The staff API (content.apis): the editorial workflow over HTTP, through the same services and permissions as
the admin."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from content.models import Draft, DraftEvent, DraftStatus, PublishedCopy
from tests.content.factories import make_product
from tests.storefront.factories import make_draft, make_token

pytestmark = pytest.mark.django_db

DRAFTS = "/api/v1/staff/drafts"


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def shop(api):
    """A client sending a storefront token with every scope."""
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token()}")
    return api


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def transition(user, draft, action, body=None):
    return as_user(user).post(f"{DRAFTS}/{draft.pk}/{action}", body or {}, format="json")


@pytest.fixture
def draft(db):
    return make_draft(make_product(sku="SKU-MUG", slug="mug"), text="A mug for tea.")


def unchanged(draft) -> bool:
    current = Draft.objects.get(pk=draft.pk)
    return current.status == DraftStatus.IN_REVIEW and not DraftEvent.objects.filter(draft=draft).exists()


# --- Listing ----------------------------------------------------------------------------------

def test_a_writer_lists_drafts_newest_first_with_filters(writer):
    product = make_product(slug="mug")
    older = make_draft(product, text="Older.")
    newer = make_draft(product, text="Newer.", kind="seo_title")
    make_draft(make_product(), text="Approved.", status=DraftStatus.APPROVED)

    response = as_user(writer).get(DRAFTS, {"status": "in_review", "product": "mug"})

    assert response.status_code == 200
    assert [(d["id"], d["text"], d["product"]["slug"]) for d in response.json()["results"]] == [
        (newer.pk, "Newer.", "mug"), (older.pk, "Older.", "mug"),
    ]


def test_listing_drafts_needs_a_signed_in_user_with_the_view_permission(api, outsider, draft):
    anonymous = api.get(DRAFTS)
    no_permission = as_user(outsider).get(DRAFTS)

    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (403, "not_authenticated")
    assert (no_permission.status_code, no_permission.json()["error"]["code"]) == (403, "permission_denied")


def test_a_storefront_token_opens_no_staff_endpoint(shop, draft):
    assert shop.get(DRAFTS).status_code == 403
    assert shop.post(f"{DRAFTS}/{draft.pk}/approve", {}, format="json").status_code == 403
    assert unchanged(draft)


@pytest.mark.parametrize("page_size", [5, 40])
def test_a_draft_page_takes_the_same_queries_whatever_its_size(writer, django_assert_num_queries, page_size):
    for _ in range(45):
        make_draft(make_product(), text="Text.")
    client = as_user(writer)

    with django_assert_num_queries(5):  # session, user, its permissions (own, groups), the page with products
        response = client.get(DRAFTS, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


# --- Requesting generation --------------------------------------------------------------------

def test_a_writer_requests_drafts_for_products_by_sku_or_slug(writer, django_capture_on_commit_callbacks):
    make_product(sku="SKU-A", slug="a")
    make_product(sku="SKU-B", slug="b")

    with django_capture_on_commit_callbacks() as callbacks:
        response = as_user(writer).post("/api/v1/staff/generation-jobs",
                                        {"kind": "ad_headline", "products": ["SKU-A", "b"]}, format="json")

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["total"]) == ("ad_headline", 6)  # 2 products x 3 variants
    assert Draft.objects.filter(status=DraftStatus.QUEUED, kind="ad_headline").count() == 6
    assert len(callbacks) == 1  # the workers are told once the drafts are committed


def test_unknown_products_refuse_the_whole_request(writer):
    make_product(sku="SKU-A")

    response = as_user(writer).post("/api/v1/staff/generation-jobs",
                                    {"kind": "description", "products": ["SKU-A", "SKU-X"]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"products": ["Unknown products: SKU-X"]}
    assert not Draft.objects.exists()


def test_a_user_without_the_generation_permission_is_refused(outsider):
    make_product(sku="SKU-A")

    response = as_user(outsider).post("/api/v1/staff/generation-jobs",
                                      {"kind": "description", "products": ["SKU-A"]}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Draft.objects.exists()


# --- Transitions ------------------------------------------------------------------------------

def test_an_editor_approves_a_draft(editor, draft):
    response = transition(editor, draft, "approve", {"comment": "Good."})

    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert list(DraftEvent.objects.filter(draft=draft).values_list("actor", "to_status", "comment")) == [
        (editor.pk, "approved", "Good."),
    ]


def test_a_writer_may_not_approve(writer, draft):
    response = transition(writer, draft, "approve")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert unchanged(draft)


def test_approving_twice_is_a_conflict(editor, draft):
    transition(editor, draft, "approve")

    response = transition(editor, draft, "approve")

    assert response.status_code == 409
    assert response.json()["error"] == {"code": "invalid_state", "message": "cannot approve a draft that is approved"}


def test_rejecting_needs_a_reason(editor, draft):
    missing = transition(editor, draft, "reject")
    blank = transition(editor, draft, "reject", {"reason": "   "})

    assert missing.json()["error"]["fields"] == {"reason": ["This field is required."]}
    assert (blank.status_code, blank.json()["error"]["code"]) == (400, "validation_error")
    assert unchanged(draft)


def test_an_editor_rejects_a_draft_with_a_reason(editor, draft):
    response = transition(editor, draft, "reject", {"reason": "Wrong material."})

    assert response.json()["status"] == "rejected"


def test_requesting_changes_queues_a_regenerated_draft(editor, draft):
    response = transition(editor, draft, "request-changes", {"comment": "Mention the handle."})

    assert response.json()["status"] == "changes_requested"
    regenerated = Draft.objects.get(regenerates=draft)
    assert (regenerated.status, regenerated.feedback) == (DraftStatus.QUEUED, "Mention the handle.")


def test_publishing_an_approved_draft_puts_it_in_the_catalog(editor, draft, api):
    transition(editor, draft, "approve")

    response = transition(editor, draft, "publish")

    assert response.status_code == 200
    assert response.json() | {"id": 0, "published_at": ""} == {
        "id": 0, "draft": draft.pk, "product": "SKU-MUG", "kind": "description", "variant": 1,
        "text": "A mug for tea.", "published_at": "",
    }
    assert [c["text"] for c in api.get("/api/v1/products/mug").json()["copy"]] == ["A mug for tea."]


def test_publishing_a_draft_in_review_is_a_conflict(editor, draft):
    response = transition(editor, draft, "publish")

    assert response.status_code == 409
    assert not PublishedCopy.objects.exists()


def test_approve_and_publish_at_once(editor, draft):
    response = transition(editor, draft, "approve-and-publish", {"comment": "Ship it."})

    assert response.status_code == 200
    assert PublishedCopy.objects.get().text == "A mug for tea."


def test_an_unknown_draft_is_a_404(editor):
    response = as_user(editor).post(f"{DRAFTS}/999999/approve", {}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_session_writes_need_the_csrf_token(editor, draft):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post(f"{DRAFTS}/{draft.pk}/approve", {}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert unchanged(draft)
