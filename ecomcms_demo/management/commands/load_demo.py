"""Load the demo: accounts (printed), the demo catalogue and reviews, and drafts for the workers to write.

With the `cms` extra installed, also a django CMS page using the product copy and recommendation plugins.

Safe to run again: it changes nothing that is already there.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.utils.text import slugify

from content import services as content_services
from content.models import Draft, Product, Review
from recommender.demo import load_demo_events
from support.demo import load_demo_support

DEMO_DIR = Path(__file__).resolve().parents[3] / "demo"  # the repository's demo/ folder (not in the wheel)
ACCOUNTS = [
    # username, password, superuser, group
    ("admin", "ecomcms-demo", True, None),
    ("editor", "ecomcms-demo", False, "Editors"),
    ("writer", "ecomcms-demo", False, "Writers"),
]


class Command(BaseCommand):
    help = "Create the demo accounts and catalogue, and queue AI drafts for review (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--no-drafts", action="store_true", help="Do not queue AI drafts.")

    def handle(self, *args, no_drafts=False, **options):
        self._accounts()
        products = self._catalogue()
        self._published_copy(products)
        load_demo_events(self.stdout)
        if not no_drafts:
            self._drafts(products)
        load_demo_support(self.stdout)
        if apps.is_installed("cmsplugins"):  # the optional `cms` extra
            from cmsplugins.demo import load_demo_page

            load_demo_page(self.stdout)

    def _accounts(self):
        User = get_user_model()
        for username, password, superuser, group in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@localhost"},
            )
            if created:
                user.set_password(password)
                user.save()
                if group:
                    user.groups.add(Group.objects.get(name=group))
            note = "" if created else " (already there; password unchanged)"
            role = "superuser" if superuser else group
            self.stdout.write(self.style.SUCCESS(f"demo account: {username} / {password}  [{role}]{note}"))

    def _catalogue(self) -> list[Product]:
        products = []
        for row in json.loads((DEMO_DIR / "products.json").read_text()):
            product, _ = Product.objects.get_or_create(
                sku=row["sku"],
                defaults={
                    **{k: v for k, v in row.items() if k != "sku"},
                    "slug": slugify(f"{row['title']}-{row['sku']}"),
                },
            )
            products.append(product)
        by_sku = {p.sku: p for p in products}
        for row in json.loads((DEMO_DIR / "reviews.json").read_text()):
            Review.objects.get_or_create(
                product=by_sku[row["sku"]], external_id=row["external_id"],
                defaults={"rating": row["rating"], "title": row["title"], "body": row["body"], "author": row["author"],
                          "reviewed_at": date.fromisoformat(row["reviewed_at"])},
            )
        self.stdout.write(
            f"demo catalogue: {len(products)} products, {Review.objects.filter(product__in=products).count()} reviews"
        )
        return products

    def _published_copy(self, products: list[Product]):
        """Human-written descriptions, published, so the storefront and recommendations have something to show."""
        from content.models import PublishedCopy

        by_sku = {p.sku: p for p in products}
        if PublishedCopy.objects.filter(product__in=products).exists():
            return
        editor = get_user_model().objects.get(username="editor")
        for row in json.loads((DEMO_DIR / "copy.json").read_text()):
            draft = content_services.draft_write(
                product=by_sku[row["sku"]], kind=row["kind"], text=row["text"], actor=editor
            )
            content_services.draft_approve_and_publish(draft=draft, actor=editor, comment="demo copy")
        self.stdout.write(
            f"demo copy: {PublishedCopy.objects.filter(product__in=products).count()} descriptions published"
        )

    def _drafts(self, products: list[Product]):
        if Draft.objects.filter(product__in=products, job__isnull=False).exists():  # AI drafts already requested
            return
        described = content_services.drafts_request(
            products=products, kind="description", actor=None, description="demo"
        )
        reviewed = [p for p in products if p.reviews.exists()]
        summaries = content_services.drafts_request(
            products=reviewed, kind="review_summary", actor=None, description="demo"
        )
        self.stdout.write(
            f"demo drafts: {described.total} descriptions and {summaries.total} review summaries queued; "
            "the generation worker writes them in batches and they appear in Content > Review queue"
        )
