"""Monitoring's writes: find spikes, store each alert once, email the subscribers once.

``monitoring_refresh`` is what the periodic task and ``manage.py check_spikes`` run: read the
sentiment of reviews not read yet, then check the recent weeks of every product, brand and
category against the rule in ``insights.spikes``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from content import review_sentiment
from ecomcms import queueing
from ecomcms.errors import NotAllowed, ServiceError, require_permission
from insights import selectors, spikes
from insights.models import Alert, Metric, Scope, Subscription

logger = logging.getLogger(__name__)

CHECKED_WEEKS = 2  # the current week and the one before: a spike late on a Sunday is still seen on Monday


class MonitoringError(ServiceError):
    pass


@dataclass
class RefreshResult:
    reviews_read: int
    found: int  # spikes found in the checked weeks (new or already stored)
    new_alerts: list[Alert]
    emailed: int


def monitoring_refresh(*, weeks: int = CHECKED_WEEKS, today: date | None = None, read_sentiment: bool = True
                       ) -> RefreshResult:
    """Read missing review sentiment, store new alerts for the last ``weeks`` weeks, email their subscribers."""
    read = review_sentiment.reviews_score_sentiment()["scored"] if read_sentiment else 0
    found, new = alerts_detect(weeks=weeks, today=today)
    emailed = sum(alert_notify(alert) for alert in Alert.objects.filter(emailed_at__isnull=True).order_by("pk"))
    return RefreshResult(read, found, new, emailed)


def alerts_detect(*, weeks: int = CHECKED_WEEKS, today: date | None = None) -> tuple[int, list[Alert]]:
    """Check the last ``weeks`` weeks (up to ``today``'s) of every key of every scope; store new spikes.

    Returns (spikes found, the alerts stored now). An alert already stored for the same scope,
    key, week and metric is left as it is (the unique constraint holds this under races too).
    """
    today = today or timezone.now().date()
    last = selectors.week_start(today)
    checked = [last - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    since = checked[0] - timedelta(weeks=spikes.BASELINE_WEEKS)
    found, new = 0, []
    for scope in Scope.values:
        figures = selectors.weekly_figures(scope, since=since, until=today)
        keys = sorted({key for key, _ in figures})
        info = selectors.key_info(scope, keys)
        for key in keys:
            for week in checked:
                baseline_weeks = [week - timedelta(weeks=i) for i in range(spikes.BASELINE_WEEKS, 0, -1)]
                history = [figures.get((key, w)) for w in baseline_weeks]
                current = figures.get((key, week))
                if current is None:
                    continue
                read = current.reviews - current.reviews_by[""]
                share = spikes.share_spike(
                    [(f.reviews - f.reviews_by[""], f.negative_reviews) if f else (0, 0) for f in history],
                    (read, current.negative_reviews))
                # Volume history starts at the key's first ticket: weeks before a product had tickets are not zeros.
                counts = [f.tickets if f else 0 for f in history]
                first = next((i for i, f in enumerate(history) if f and f.tickets), len(counts))
                volume = spikes.volume_spike(counts[first:], current.tickets)
                for metric, spike in ((Metric.SHARE_NEGATIVE, share), (Metric.TICKET_VOLUME, volume)):
                    if spike is None:
                        continue
                    found += 1
                    alert = _alert_store(scope, key, info.get(key), week, metric, spike)
                    if alert is not None:
                        new.append(alert)
    return found, new


def _alert_store(scope, key, info, week, metric, spike: spikes.Spike) -> Alert | None:
    """The new alert, or None if this scope, key, week and metric already has one."""
    if Alert.objects.filter(scope=scope, key=key, week=week, metric=metric).exists():
        return None
    try:
        with transaction.atomic():
            return Alert.objects.create(
                scope=scope, key=key, label=info.label if info else key, brand=info.brand if info else "",
                category=info.category if info else "", week=week, metric=metric, value=spike.value,
                baseline=spike.baseline, z=round(spike.z, 3), count=spike.count, details=spike.details)
    except IntegrityError:
        return None  # another run stored it between our check and our insert


def alert_recipients(alert: Alert) -> list[str]:
    """The addresses of active staff who follow the alert's brand or category."""
    follows = Q(pk__in=[])
    if alert.brand:
        follows |= Q(brand=alert.brand)
    if alert.category:
        follows |= Q(category=alert.category)
    user_ids = Subscription.objects.filter(follows).values_list("user_id", flat=True)
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True, is_staff=True).exclude(email="")
    return sorted({user.email for user in users})


def alert_notify(alert: Alert) -> int:
    """Email the alert to its subscribers, once: claimed with a compare-and-set on ``emailed_at``.

    Returns the number of addresses emailed. A mail server that refuses gives the claim back,
    so the next run tries again; an alert nobody follows is marked done with no recipients.
    """
    now = timezone.now()
    if not Alert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(emailed_at=now):
        return 0  # done already, or another run is sending it
    recipients = alert_recipients(alert)
    if not recipients:
        return 0
    subject, body = _alert_email(alert)
    try:
        for address in recipients:  # one message each: subscribers do not see each other's addresses
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except (SMTPException, OSError) as exc:
        Alert.objects.filter(pk=alert.pk, emailed_at=now).update(emailed_at=None)
        logger.warning("alert %s not emailed (%s); the next run retries", alert.pk, exc)
        return 0
    Alert.objects.filter(pk=alert.pk).update(recipients=recipients)
    return len(recipients)


def _alert_email(alert: Alert) -> tuple[str, str]:
    what = alert.get_metric_display().lower()
    if alert.metric == Metric.SHARE_NEGATIVE:
        figure = f"{alert.value:.0%} of {alert.count} reviews negative (baseline {alert.baseline:.0%})"
    else:
        figure = f"{alert.count} tickets (baseline {alert.baseline:.1f} a week)"
    subject = f"Spike in {what}: {alert.get_scope_display().lower()} {alert.label or alert.key}, week of {alert.week}"
    body = (f"{alert.get_scope_display()}: {alert.label or alert.key}"
            + (f" (brand {alert.brand}, category {alert.category})" if alert.scope == Scope.PRODUCT else "")
            + f"\nWeek of {alert.week}: {figure}, z = {alert.z:.1f}.\n\n"
            f"The dashboard: /admin/ecomcms_insights/alert/dashboard/?scope={alert.scope}\n"
            "You receive this because you follow this brand or category (Monitoring > Subscriptions).\n")
    return subject, body


def monitoring_request_refresh(*, actor) -> queueing.Dispatch:
    """Queue a refresh now (the dashboard's button): the worker reads sentiment, a request never does."""
    require_permission(actor, "ecomcms_insights.view_monitoring", error=NotAllowed)
    from insights import tasks  # the task module registers the task; queued after commit like every task

    return queueing.send_after_commit(tasks.refresh, ())


def subscription_clean(*, brand: str, category: str) -> tuple[str, str]:
    """Exactly one of brand and category, trimmed; raises ``ValidationError`` (the admin form shows it)."""
    brand, category = (brand or "").strip(), (category or "").strip()
    if bool(brand) == bool(category):
        raise ValidationError("Follow either a brand or a category (one of the two).")
    return brand, category
