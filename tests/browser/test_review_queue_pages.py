"""The review queue at 1280 px: badges that tell a failed check from a passed one, excerpts, the
variants of one request on one page, a rewrite shown side by side, the reviews behind a summary."""

import pytest

from content import services
from content.models import Draft, Review
from tests.content.factories import make_product, make_user

pytestmark = [pytest.mark.browser]

LONG_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct-Q4_1-converted-float32"


@pytest.fixture
def queue(settings):
    settings.ECOMCMS_TEXT_BACKEND = "ecomcms.inference.fake.FakeGenerator"
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    from ecomcms import inference

    inference.reset()
    writer = make_user("Writers", username="writer")
    make_user("Editors", username="editor")
    jumper = make_product(title="Merino Wool Jumper with a Very Long Name for the Winter Collection",
                          attributes={"material": "merino wool", "colour": "grey"})
    shoe = make_product(title="Trail Shoe")
    phones = make_product(title="Sonora ANC Headphones")
    for n, (rating, body) in enumerate([(5, "The noise cancelling is excellent on my commute."),
                                        (4, "The ear cushions are soft and comfortable on long flights."),
                                        (2, "The headband is too tight and hurts after an hour.")]):
        Review.objects.create(product=phones, external_id=f"r{n}", rating=rating, body=body, helpful_count=3 - n)
    services.drafts_request(products=[jumper], kind="description", actor=writer)
    services.drafts_request(products=[shoe], kind="ad_headline", actor=writer)
    services.drafts_request(products=[phones], kind="review_summary", actor=writer)
    services.drafts_process_queue(max_batches=5)
    Draft.objects.exclude(kind="review_summary").update(model_id=LONG_MODEL)
    description = Draft.objects.get(product=jumper)
    services.draft_edit(
        draft=description, actor=writer, text="Made of 100% cotton, with a USB port and a farm in Fernia."
    )
    yield {"description": description, "headline": Draft.objects.filter(product=shoe).order_by("variant").first(),
           "summary": Draft.objects.get(product=phones)}
    inference.reset()


def test_the_review_queue_fits_1280_px_and_shows_what_failed(queue, open_browser):
    browser = open_browser()
    page = browser.page
    page.set_viewport_size({"width": 1280, "height": 800})
    browser.login("editor", "pw")

    browser.goto("/admin/ecomcms_content/reviewqueue/")
    assert page.locator("#result_list tbody tr").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # The table fits its box beside the sidebars: nothing hidden behind a horizontal scroll.
    assert page.evaluate(
        "(() => { const r = document.querySelector('.results'); return r.scrollWidth <= r.clientWidth; })()"
    )
    failed = page.locator("#result_list .ecomcms-badge.failed", has_text="facts failed")
    assert failed.count() >= 1 and failed.first.is_visible()
    failed = failed.first
    colour = failed.evaluate("e => getComputedStyle(e).backgroundColor")
    passed = page.locator("#result_list .ecomcms-badge.passed").first
    assert colour != passed.evaluate("e => getComputedStyle(e).backgroundColor")
    model = page.locator("#result_list .ecomcms-model").first
    assert model.get_attribute("title") == LONG_MODEL and model.bounding_box()["height"] < 30  # one line
    assert page.locator("#result_list .ecomcms-excerpt").count() == 5
    browser.screenshot("review-queue-1280")

    browser.click(f"#result_list a[href$='/{queue['headline'].pk}/variants/']")
    assert page.locator(".ecomcms-variant").count() == 3
    browser.screenshot("variants")

    browser.goto(f"/admin/ecomcms_content/draft/{queue['description'].pk}/change/")
    assert page.locator("#diff.ecomcms-sidebyside").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    browser.screenshot("rewrite-side-by-side")

    browser.goto(f"/admin/ecomcms_content/draft/{queue['summary'].pk}/change/")
    assert page.locator("#summarized-reviews .ecomcms-review-item").count() == 3
    browser.screenshot("summary-with-reviews")
