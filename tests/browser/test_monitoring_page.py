"""The monitoring dashboard in a real browser: charts by week, complaint phrases, an alert; a subscription."""

from datetime import date, timedelta

import pytest

from content.models import Review
from insights.models import Alert, Subscription
from tests.content.factories import make_product, make_user

pytestmark = [pytest.mark.browser]


def test_an_editor_reads_the_dashboard_and_follows_a_brand(open_browser):
    make_user("Editors", username="editor")
    dress = make_product(title="Wrap dress", brand="Acme", category="dresses")
    this_week = date.today() - timedelta(days=date.today().weekday())
    n = 0
    for w in range(4):
        for i in range(6):
            n += 1
            negative = i < (4 if w == 3 else 1)
            Review.objects.create(
                product=dress, external_id=f"r{n}", rating=1 if negative else 5,
                reviewed_at=this_week - timedelta(weeks=w),
                body="The zipper broke after one wear." if negative else "Lovely colour and fit.",
                sentiment="negative" if negative else "positive", sentiment_source="test")
    Alert.objects.create(scope="brand", key="Acme", label="Acme", brand="Acme", week=this_week - timedelta(weeks=3),
                         metric="share_negative", value=0.67, baseline=0.17, z=3.9, count=6)

    browser = open_browser()
    browser.goto("/admin/login/")
    browser.login("editor", "pw")
    browser.goto("/admin/ecomcms_insights/alert/dashboard/?scope=brand&weeks=6")
    text = browser.page.inner_text("#content")
    assert "Share of negative reviews by week" in text and "zipper broke" in text
    assert "Acme" in text and "67% of 6" in text
    assert browser.page.locator("svg[role=img]").count() == 3
    browser.screenshot("dashboard")

    browser.goto("/admin/ecomcms_insights/subscription/add/")
    browser.page.fill("input[name=brand]", "Acme")
    browser.page.click("input[name=_save]")
    browser.page.wait_for_load_state("load")
    assert Subscription.objects.filter(user__username="editor", brand="Acme", category="").exists()
    browser.screenshot("subscribed")
