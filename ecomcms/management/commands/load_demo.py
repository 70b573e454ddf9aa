"""Load the demo: an admin account (printed) and the demo data of each app."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "ecomcms-demo"


class Command(BaseCommand):
    help = "Create the demo admin account and load the demo data (safe to run again)."

    def handle(self, *args, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "admin@localhost"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        self.stdout.write(self.style.SUCCESS(
            f"demo admin account: {DEMO_USERNAME} / {DEMO_PASSWORD}" + ("" if created else " (already there; password unchanged)")
        ))
