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
    assert "Shorter copy" in text and "No winner" in text
    assert browser.page.locator("input[value='Stop the experiment']").count() == 1
    assert browser.page.locator("svg[role=img]").count() == 1
    browser.screenshot("experiment")
    browser.page.click("text=Stop the experiment")
    assert "Stopped" in browser.page.inner_text("#content")
    experiment.refresh_from_db()
    assert experiment.status == "stopped"
