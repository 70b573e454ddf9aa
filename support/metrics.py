"""Support's Prometheus metrics, read at each scrape (``ecomcms.monitoring.metrics``): triage latency.

Latency is what a customer waits for: from the ticket's creation to its triage (``triaged_at``),
queueing and the classifier together. The histogram counts every triaged ticket so far in one
aggregate query, so it only grows (Prometheus' ``histogram_quantile(0.9, rate(...[15m]))`` gives
the recent 90th percentile); the tickets still waiting are gauges.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from ecomcms.monitoring.metrics import scrape_collector
from support.models import Ticket, TriageStatus

TRIAGE_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)  # seconds


@scrape_collector("support.triage")
def triage():
    latency = ExpressionWrapper(F("triaged_at") - F("created_at"), output_field=DurationField())
    triaged = Ticket.objects.filter(triage_status=TriageStatus.DONE, triaged_at__isnull=False).annotate(latency=latency)
    aggregates = {f"le_{le}": Count("pk", filter=Q(latency__lte=timedelta(seconds=le))) for le in TRIAGE_BUCKETS}
    totals = triaged.aggregate(count=Count("pk"), total=Sum("latency"), **aggregates)
    histogram = HistogramMetricFamily(
        "ecomcms_support_triage_latency_seconds", "Time from a ticket's creation to its triage, over every "
        "ticket triaged so far.",
        buckets=[(str(float(le)), totals[f"le_{le}"]) for le in TRIAGE_BUCKETS] + [("+Inf", totals["count"])],
        sum_value=(totals["total"] or timedelta()).total_seconds(),
    )
    waiting = Ticket.objects.filter(triage_status__in=[TriageStatus.PENDING, TriageStatus.RUNNING])
    pending = waiting.aggregate(count=Count("pk"), since=Min("created_at"))
    queued = GaugeMetricFamily("ecomcms_support_triage_waiting", "Tickets waiting for triage (pending or running).")
    queued.add_metric([], pending["count"])
    oldest = GaugeMetricFamily("ecomcms_support_triage_oldest_waiting_seconds",
                               "Age of the oldest ticket waiting for triage; 0 when none waits.")
    oldest.add_metric([], (timezone.now() - pending["since"]).total_seconds() if pending["since"] else 0.0)
    return [histogram, queued, oldest]
