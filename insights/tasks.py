"""Celery doors to the monitoring services."""

from __future__ import annotations

from celery import shared_task

from insights import services


@shared_task(name="insights.refresh")
def refresh() -> dict:
    """Read new reviews' sentiment, store new spike alerts and email their subscribers (hourly, Celery beat).

    Runs on the default queue, where the embedding model is loaded. A redelivered or doubled run
    stores and emails nothing twice (one alert per scope, key, week and metric; emails claimed).
    """
    result = services.monitoring_refresh()
    return {"reviews_read": result.reviews_read, "spikes": result.found, "new_alerts": len(result.new_alerts),
            "emailed": result.emailed}
