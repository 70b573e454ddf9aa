"""Content's Prometheus metrics, read at each scrape (``ecomcms.monitoring.metrics``): drafts by status."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from content.models import Draft, DraftStatus
from ecomcms.monitoring.metrics import scrape_collector


@scrape_collector("content.drafts")
def drafts():
    by_status = GaugeMetricFamily("ecomcms_drafts", "Drafts by status (queued, generating, in_review, ...).",
                                  labels=["status"])
    counts = dict(Draft.objects.order_by().values_list("status").annotate(count=Count("pk")))
    for status in DraftStatus.values:
        by_status.add_metric([status], counts.get(status, 0))
    oldest = GaugeMetricFamily("ecomcms_drafts_oldest_queued_seconds", "Age of the oldest draft waiting for the "
                               "generation worker (since it was queued or last touched); 0 when none waits.")
    since = Draft.objects.filter(status=DraftStatus.QUEUED).aggregate(since=Min("updated_at"))["since"]
    oldest.add_metric([], (timezone.now() - since).total_seconds() if since else 0.0)
    return [by_status, oldest]
