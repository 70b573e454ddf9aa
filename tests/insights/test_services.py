"""Weekly figures against hand counts; spike alerts stored once and emailed once, to subscribers only."""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from content.models import Review
from insights import selectors, services
from insights.models import Alert, Metric, Scope, Subscription
from support.models import Ticket
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 2)  # a Monday


def _review(product, day, *, rating, sentiment, n=[0]):  # noqa: B006 (a counter for unique ids)
    n[0] += 1
    return Review.objects.create(product=product, external_id=f"r{n[0]}", rating=rating, title="t", body="b",
                                 reviewed_at=day, sentiment=sentiment, sentiment_source="test")


def _ticket(product, day, *, sentiment="neutral", n=[0]):  # noqa: B006 (a counter for unique ids)
    n[0] += 1
    at = timezone.make_aware(datetime.combine(day, time(12)))
    Ticket.objects.create(public_id=f"T-MON-{n[0]}", access_token_hash="-", customer_email="c@example.com",
                          subject="About my order", product=product, created_at=at, sentiment=sentiment)


def test_weekly_figures_match_hand_counts():
    dress = make_product(brand="Acme", category="dresses")
    skirt = make_product(brand="Acme", category="skirts")
    other = make_product(brand="Bolt", category="dresses")
    # Week 1 (Mon 2 Nov): Acme has 3 reviews (1 negative, stars 1+4+5) and 2 tickets (1 negative).
    _review(dress, MONDAY, rating=1, sentiment="negative")
    _review(dress, MONDAY + timedelta(days=6), rating=4, sentiment="positive")  # Sunday: same week
    _review(skirt, MONDAY + timedelta(days=2), rating=5, sentiment="neutral")
    _ticket(dress, MONDAY + timedelta(days=1), sentiment="negative")
    _ticket(skirt, MONDAY + timedelta(days=3))
    # Week 2: one Acme review, not read yet (it does not count in the share); Bolt's review in week 1.
    _review(skirt, MONDAY + timedelta(days=7), rating=2, sentiment="")
    _review(other, MONDAY, rating=3, sentiment="negative")
    # Outside the period.
    _review(dress, MONDAY - timedelta(days=1), rating=1, sentiment="negative")

    figures = selectors.weekly_figures(Scope.BRAND, since=MONDAY, until=MONDAY + timedelta(days=13))
    acme1, acme2, bolt1 = (figures[("Acme", MONDAY)], figures[("Acme", MONDAY + timedelta(weeks=1))],
                           figures[("Bolt", MONDAY)])
    assert (acme1.reviews, acme1.negative_reviews, acme1.share_negative, acme1.average_rating) == (3, 1, 1 / 3,
                                                                                                  10 / 3)
    assert (acme1.tickets, acme1.ticket_share_negative) == (2, 0.5)
    assert (acme2.reviews, acme2.share_negative, acme2.average_rating, acme2.tickets) == (1, None, 2.0, 0)
    assert (bolt1.reviews, bolt1.share_negative, bolt1.tickets) == (1, 1.0, 0)
    assert set(figures) == {("Acme", MONDAY), ("Acme", MONDAY + timedelta(weeks=1)), ("Bolt", MONDAY)}

    by_category = selectors.weekly_figures(Scope.CATEGORY, since=MONDAY, until=MONDAY + timedelta(days=6))
    assert (by_category[("dresses", MONDAY)].reviews, by_category[("dresses", MONDAY)].negative_reviews) == (3, 2)
    assert by_category[("skirts", MONDAY)].tickets == 1
    by_product = selectors.weekly_figures(Scope.PRODUCT, since=MONDAY, until=MONDAY + timedelta(days=6))
    assert by_product[(dress.sku, MONDAY)].reviews == 2 and by_product[(dress.sku, MONDAY)].tickets == 1


def test_a_review_without_a_date_counts_in_the_week_it_was_imported():
    product = make_product(brand="Acme")
    review = _review(product, None, rating=5, sentiment="positive")
    Review.objects.filter(pk=review.pk).update(imported_at=timezone.make_aware(datetime.combine(MONDAY, time(9))))
    figures = selectors.weekly_figures(Scope.BRAND, since=MONDAY, until=MONDAY + timedelta(days=6))
    assert figures[("Acme", MONDAY)].reviews == 1


def _staff(username, email):
    return User.objects.create_user(username, email=email, password="pw", is_staff=True)


def _spiking_history(product, spike_week):
    """Eight calm weeks (30 reviews, 3 negative; 2 tickets), then a week with 18 of 30 negative and 20 tickets."""
    for w in range(8, 0, -1):
        week = spike_week - timedelta(weeks=w)
        for i in range(30):
            _review(product, week + timedelta(days=i % 7), rating=2 if i < 3 else 5,
                    sentiment="negative" if i < 3 else "positive")
        for i in range(2):
            _ticket(product, week + timedelta(days=i))
    for i in range(30):
        _review(product, spike_week + timedelta(days=i % 3), rating=1 if i < 18 else 4,
                sentiment="negative" if i < 18 else "positive")
    for i in range(20):
        _ticket(product, spike_week + timedelta(days=i % 3))


def test_a_spike_is_stored_once_and_emailed_once_to_the_subscribers_only(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = make_product(brand="Acme", category="dresses", title="Wrap dress")
    calm = make_product(brand="Bolt", category="skirts")
    spike_week = MONDAY + timedelta(weeks=8)
    _spiking_history(product, spike_week)
    for w in range(9):  # Bolt stays calm
        for i in range(20):
            _review(calm, MONDAY + timedelta(weeks=w, days=i % 7), rating=5, sentiment="positive" if i else "negative")
    brand_fan, category_fan, bolt_fan = (_staff("brand", "brand@example.com"), _staff("cat", "cat@example.com"),
                                         _staff("bolt", "bolt@example.com"))
    Subscription.objects.create(user=brand_fan, brand="Acme")
    Subscription.objects.create(user=category_fan, category="dresses")
    Subscription.objects.create(user=bolt_fan, brand="Bolt")
    gone = _staff("gone", "gone@example.com")
    Subscription.objects.create(user=gone, brand="Acme")
    User.objects.filter(pk=gone.pk).update(is_active=False)

    result = services.monitoring_refresh(today=spike_week + timedelta(days=3), read_sentiment=False)

    stored = {(a.scope, a.key, a.metric) for a in Alert.objects.all()}
    assert stored == {(scope, key, metric) for scope, key in ((Scope.PRODUCT, product.sku), (Scope.BRAND, "Acme"),
                                                              (Scope.CATEGORY, "dresses"))
                      for metric in (Metric.SHARE_NEGATIVE, Metric.TICKET_VOLUME)}
    assert all(a.week == spike_week for a in Alert.objects.all())
    share = Alert.objects.get(scope=Scope.BRAND, metric=Metric.SHARE_NEGATIVE)
    assert (share.value, share.count, round(share.baseline, 3)) == (0.6, 30, round(25 / 242, 3))
    # Product alerts go to the brand's and the category's followers, brand and category alerts to theirs.
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert [to for to, _ in sent].count("brand@example.com") == 4  # product x 2 metrics, brand x 2
    assert [to for to, _ in sent].count("cat@example.com") == 4  # product x 2, category x 2
    assert len(sent) == 8 and result.emailed == 8 and len(result.new_alerts) == 6
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert "Wrap dress" in next(s for to, s in sent if "product" in s)
    assert Alert.objects.get(scope=Scope.PRODUCT, metric=Metric.TICKET_VOLUME).recipients == [
        "brand@example.com", "cat@example.com"]

    again = services.monitoring_refresh(today=spike_week + timedelta(days=5), read_sentiment=False)
    assert (again.found, again.new_alerts, again.emailed, len(mail.outbox), Alert.objects.count()) == (6, [], 0, 8, 6)


def test_a_refused_email_is_tried_again_on_the_next_run(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    product = make_product(brand="Acme", category="dresses")
    spike_week = MONDAY + timedelta(weeks=8)
    _spiking_history(product, spike_week)
    Subscription.objects.create(user=_staff("brand", "brand@example.com"), brand="Acme")

    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_mail", refuse)
    first = services.monitoring_refresh(today=spike_week + timedelta(days=3), read_sentiment=False)
    # The category's alerts have no follower: done, with nobody to tell. The others wait for the mail server.
    assert first.emailed == 0 and Alert.objects.filter(emailed_at__isnull=True).count() == 4
    monkeypatch.undo()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    second = services.monitoring_refresh(today=spike_week + timedelta(days=3), read_sentiment=False)
    assert second.emailed == 4 and len(mail.outbox) == 4  # product and brand alerts, two metrics each


def test_calm_weeks_raise_no_alert():
    product = make_product(brand="Acme")
    for w in range(10):
        for i in range(25):
            _review(product, MONDAY + timedelta(weeks=w, days=i % 7), rating=4,
                    sentiment="negative" if i < 4 else "positive")
        _ticket(product, MONDAY + timedelta(weeks=w))
    result = services.monitoring_refresh(today=MONDAY + timedelta(weeks=9), weeks=6, read_sentiment=False)
    assert (result.found, Alert.objects.count()) == (0, 0)


def test_a_subscription_names_exactly_one_brand_or_category():
    from django.core.exceptions import ValidationError

    assert services.subscription_clean(brand=" Acme ", category="") == ("Acme", "")
    for brand, category in (("", ""), ("Acme", "dresses")):
        with pytest.raises(ValidationError):
            services.subscription_clean(brand=brand, category=category)


def test_complaint_phrases_are_those_negative_reviews_use_more_than_the_rest():
    negative = ["Runs small and the zipper broke.", "The zipper broke on day two, runs small.",
                "Runs small in the chest.", "Beautiful colour but the zipper broke.", "Beautiful colour, runs small."]
    positive = ["Beautiful colour, soft fabric.", "Beautiful colour and true to size.", "Beautiful colour, lovely."]
    phrases = selectors.complaint_phrases(negative, negative + positive, limit=5)
    assert phrases == [("runs small", 4), ("zipper broke", 3)]  # "beautiful colour" is as common in praise
