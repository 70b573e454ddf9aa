"""Check for spikes now: `manage.py check_spikes [--weeks N]` (the hourly task does the same)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from insights import services


class Command(BaseCommand):
    help = ("Read the sentiment of new reviews, store the spike alerts of the last N weeks per product, brand and "
            "category, and email each new alert to the staff who follow its brand or category.")

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=services.CHECKED_WEEKS,
                            help="How many recent weeks to check (more to backfill imported history).")
        parser.add_argument("--today", help="Check as of this day (YYYY-MM-DD), e.g. for imported history.")
        parser.add_argument("--no-sentiment", action="store_true", help="Do not read unread reviews first.")

    def handle(self, *args, weeks, today, no_sentiment, **options):
        if weeks < 1:
            raise CommandError("--weeks must be at least 1")
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        result = services.monitoring_refresh(weeks=weeks, today=day, read_sentiment=not no_sentiment)
        self.stdout.write(f"{result.reviews_read} reviews read, {result.found} spikes in the checked weeks, "
                          f"{len(result.new_alerts)} new alerts, {result.emailed} emails sent.")
        for alert in result.new_alerts:
            self.stdout.write(f"  {alert}: value {alert.value:.3g}, baseline {alert.baseline:.3g}, z {alert.z:.1f}")
