"""The pages of the learning loop in a real browser: editor decisions and an A/B test of copy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content import services
from content.models import Draft, DraftEvent, DraftStatus
from recommender.models import Event
from storefront import experiments
from tests.content.factories import make_product, make_user
from tests.storefront.factories import make_draft

pytestmark = [pytest.mark.browser]


def test_an_editor_reads_the_decision_report_and_an_experiment_with_its_charts(open_browser):
    editor = make_user("Editors", username="editor")
    product = make_product(slug="linen-shirt", sku="LIN-1", title="Linen shirt")
    template = services.template_active("description")
    now = timezone.now()
    for i, status in enumerate([DraftStatus.APPROVED, DraftStatus.APPROVED, DraftStatus.REJECTED]):
        draft = Draft.objects.create(product=product, kind="description", variant=i + 1, template=template,
                                     status=status, ai_text=f"Copy {i}.", model_id="SmolLM2", generated_at=now)
        DraftEvent.objects.create(draft=draft, from_status=DraftStatus.IN_REVIEW, to_status=status, comment="too long")
    arms = [make_draft(product, text=f"Variant {label}.", status=DraftStatus.APPROVED) for label in "AB"]
    experiment = experiments.experiment_start(product=product, kind="description", drafts=arms, actor=editor,
                                              name="Shorter copy", minimum_exposures=10)
    start = now - timedelta(hours=1)
    experiment.started_at = start
    experiment.save(update_fields=["started_at"])
    Event.objects.bulk_create([
        Event(source="t", client_id=f"v{i}", type="view", product=product, session_id=f"s{i}",
              occurred_at=start + timedelta(minutes=1)) for i in range(40)
    ])
    browser = open_browser()
    browser.goto("/admin/login/")
    browser.login("editor", "pw")

    browser.goto("/admin/ecomcms_content/editordecisions/?kind=description")
    text = browser.page.inner_text("#content")
    assert "3 drafts generated, 3 decided" in text and "description v1" in text
    assert browser.page.locator("svg[role=img]").count() == 2
    browser.screenshot("editor-decisions")

    browser.goto(f"/admin/ecomcms_storefront/experiment/{experiment.pk}/change/")
    text = browser.page.inner_text("#content")
    assert "Shorter copy" in text and "No winner yet: no variant leads on the add-to-cart rate" in text
    assert "Decides: the add-to-cart rate (chosen when it started); the purchase rate is shown and never" in text
    assert "Planned sample: 3888 visitors per variant, to find a 25% lift on a baseline of 8.0%" in text
    assert "Boundary: a variant is named only when it leads every other by z ≥ 2.24 / √t" in text
    assert browser.page.locator("input[value='Stop the experiment']").count() == 1
    assert browser.page.locator("svg[role=img]").count() == 1
    browser.screenshot("experiment")
    browser.page.click("text=Stop the experiment")
    assert "Stopped" in browser.page.inner_text("#content")
    experiment.refresh_from_db()
    assert experiment.status == "stopped"


def test_an_editor_starts_an_experiment_on_a_category_and_reads_it(open_browser):
    """The category form in the browser: arms by template version, the products in it, the results page."""
    editor = make_user("Editors", username="editor")
    v1 = services.template_active("description")
    v2 = services.template_save_version(kind="description", system=v1.system, user=v1.user, options=v1.options,
                                        max_chars=v1.max_chars, actor=editor, activate=False)
    now = timezone.now()
    products = [make_product(category="kitchen", title=f"Pan {i}") for i in range(3)]
    for product in products[:2]:  # the third has no approved draft of v2: served as usual, not in it
        for template in (v1, v2):
            Draft.objects.create(product=product, kind="description", template=template, status=DraftStatus.APPROVED,
                                 ai_text=f"{product.title} by {template}.", model_id="SmolLM2", generated_at=now)
    browser = open_browser()
    browser.goto("/admin/login/")
    browser.login("editor", "pw")

    browser.goto("/admin/ecomcms_storefront/experiment/")
    browser.click("text=Start on a category")
    page = browser.page
    page.select_option("#id_category", "kitchen")
    page.fill("#id_name", "Template 2 in the kitchen")
    page.fill("#id_arm_a", "1")
    page.fill("#id_arm_b", "2")
    page.fill("#id_minimum_exposures", "10")
    page.select_option("#id_primary_metric", "purchase")
    page.fill("#id_lift_percent", "50")
    browser.screenshot("category-experiment-form")
    browser.click("input[type=submit][value='Start the experiment']")
    assert browser.messages() == ["Started on 2 of 3 products of kitchen."]
    text = page.inner_text("#content")
    assert "Template 2 in the kitchen" in text and "2 of the 3 active products of kitchen are in it" in text
    assert "Product description v2 on 2 products" in text and "Not enough visitors yet" in text
    assert "Decides: the purchase rate" in text and "to find a 50% lift on a baseline of 4.0%" in text
    assert page.locator("svg[role=img]").count() == 1
    browser.screenshot("category-experiment")
    browser.click("text=Stop the experiment")
    assert "Stopped" in page.inner_text("#content")
