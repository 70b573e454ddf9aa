"""An editor reviews AI copy in a real browser, with the real worker and model writing it, and the storefront shows it.

Review queue -> draft page (the editor's edit as a diff, the checks flagging it) -> request
changes with a comment -> the worker regenerates with the comment -> approve -> publish -> the
product's API response carries the new copy.
"""

import time

import pytest

from content import services
from content.models import Draft, DraftStatus, PublishedCopy
from tests.content.factories import make_product, make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.models]

COMMENT = "Say that it is merino wool in grey, and keep it to two sentences."


def wait_for(predicate, timeout, worker, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n" + worker.log()[-5000:])


def test_an_editor_requests_changes_then_approves_and_publishes_the_regenerated_draft(start_worker, open_browser):
    editor = make_user("Editors", username="editor")
    product = make_product(title="Merino Wool Jumper", slug="merino-wool-jumper", category="knitwear",
                           attributes={"material": "merino wool", "colour": "grey"})
    worker = start_worker("generation")
    services.drafts_request(products=[product], kind="description", actor=editor)
    first = Draft.objects.get(product=product)
    wait_for(lambda: Draft.objects.filter(pk=first.pk, status=DraftStatus.IN_REVIEW).exists(), 300, worker,
             "the first draft to reach review")
    first.refresh_from_db()

    browser = open_browser()
    page = browser.page
    browser.login("editor", "pw")

    # The review queue lists the draft; opening it leads to its review page.
    browser.goto("/admin/ecomcms_content/reviewqueue/")
    assert page.locator("#result_list tbody tr").count() == 1
    browser.screenshot("review-queue")
    browser.click("#result_list tbody tr a:has-text('Merino Wool Jumper')")
    assert browser.path() == f"/admin/ecomcms_content/draft/{first.pk}/change/"
    assert " ".join(page.inner_text("#ai-text").split()) == " ".join(first.ai_text.split())
    browser.screenshot("draft")

    # The editor's edit shows as a diff, and the facts check flags the material it invents.
    page.fill("#id_editor_text", first.ai_text + " Made of 100% cotton.")
    browser.click("input[name=_continue]")
    assert page.locator("#diff").is_visible()
    assert "100% cotton" in page.locator("#diff ins").all_inner_texts()[-1]
    facts = page.locator("#checks .ecomcms-check", has_text="facts")
    assert "flag" in facts.get_attribute("class") and "cotton" in facts.inner_text()
    assert page.locator("#checks .ecomcms-check").count() >= 3
    browser.screenshot("diff-and-check-flags")

    # Request changes: a new draft is queued with the comment in its prompt.
    page.fill("#decide textarea[name=comment]", COMMENT)
    browser.click("#decide button[value=request_changes]")
    assert any("Changes requested" in m for m in browser.messages()), browser.messages()
    browser.screenshot("changes-requested")

    def regenerated_in_queue():
        browser.goto("/admin/ecomcms_content/reviewqueue/")
        return page.locator("#result_list tbody tr").count() == 1

    wait_for(regenerated_in_queue, 300, worker, "the regenerated draft to reach the review queue")
    browser.screenshot("review-queue-regenerated")
    browser.click("#result_list tbody tr a:has-text('Merino Wool Jumper')")
    second = Draft.objects.get(regenerates=first)
    assert browser.path() == f"/admin/ecomcms_content/draft/{second.pk}/change/"
    assert f"regenerated with: “{COMMENT}”" in page.inner_text("#content")
    ai_text = " ".join(page.inner_text("#ai-text").split())
    assert ai_text and ai_text == " ".join(second.ai_text.split())
    browser.screenshot("regenerated-draft")

    # Approve; then find the approved draft in the drafts list and publish it.
    browser.click("#decide button[value=approve]")
    assert any(m.startswith("Approved:") for m in browser.messages()), browser.messages()
    browser.screenshot("approved")
    browser.goto("/admin/ecomcms_content/draft/?status__exact=approved")
    browser.click("#result_list tbody tr a:has-text('Merino Wool Jumper')")
    assert browser.path() == f"/admin/ecomcms_content/draft/{second.pk}/change/"
    browser.click("#decide button[value=publish]")
    assert any(m.startswith("Published:") for m in browser.messages()), browser.messages()
    browser.screenshot("published")

    # The storefront API serves the regenerated, approved text as the product's copy.
    response = page.request.get(browser.url(f"/api/v1/products/{product.slug}"), headers={"Accept": "application/json"})
    assert response.status == 200
    second.refresh_from_db()
    assert [(c["kind"], c["variant"], c["text"]) for c in response.json()["copy"]] == [
        ("description", 1, second.ai_text)
    ]
    assert second.status == DraftStatus.PUBLISHED and second.editor_text == ""
    assert list(PublishedCopy.objects.values_list("draft_id", "text")) == [(second.pk, second.ai_text)]
    browser.goto(f"/api/v1/products/{product.slug}")
    assert second.ai_text.split()[0] in page.inner_text("body")
    browser.screenshot("storefront-api")
