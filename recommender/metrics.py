"""The recommender's Prometheus metrics, read at each scrape (``ecomcms.monitoring.metrics``)."""

from __future__ import annotations

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from ecomcms.monitoring.metrics import scrape_collector
from recommender.models import ModelVersion


@scrape_collector("recommender.version")
def active_version():
    """How old the serving version is: the nightly training should keep it under a day or two."""
    age = GaugeMetricFamily("ecomcms_recommender_version_age_seconds", "Seconds since the active recommender "
                            "version was trained (absent while no version is active).")
    activated = GaugeMetricFamily("ecomcms_recommender_version_activated_seconds",
                                  "Seconds since the active recommender version was activated.")
    active = GaugeMetricFamily("ecomcms_recommender_active_version", "Id of the active recommender version "
                               "(0 when none is active).")
    version = ModelVersion.objects.filter(is_active=True).only("pk", "trained_at", "started_at", "activated_at").first()
    now = timezone.now()
    if version is None:
        active.add_metric([], 0)
        return [active, age, activated]
    active.add_metric([], version.pk)
    age.add_metric([], (now - (version.trained_at or version.started_at)).total_seconds())
    if version.activated_at:
        activated.add_metric([], (now - version.activated_at).total_seconds())
    return [active, age, activated]
