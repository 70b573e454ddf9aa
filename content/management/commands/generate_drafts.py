"""Queue AI drafts for the products matching a filter, then follow the job with a progress bar."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from content import arms, selectors, services
from content.models import KIND_VARIANTS, CopyKind


class Command(BaseCommand):
    help = "Queue drafts of one kind for products matching --category/--brand/--sku, and show the workers' progress."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=CopyKind.values)
        parser.add_argument("--category", help="Only products in this category (case-insensitive).")
        parser.add_argument("--brand", help="Only products of this brand (case-insensitive).")
        parser.add_argument("--sku", action="append", help="Only these SKUs (repeatable).")
        parser.add_argument("--include-archived", action="store_true", help="Archived products too.")
        parser.add_argument(
            "--as-user", help="Username to record as the requester (must be allowed to request drafts)."
        )
        parser.add_argument("--no-wait", action="store_true", help="Queue and return without following progress.")
        parser.add_argument(
            "--timeout", type=int, default=0, help="Stop following after this many seconds (0: no limit)."
        )
        parser.add_argument("--challenger", metavar="ARM",
                            help="Split the job: about half the products get this challenger instead of the active "
                                 "template and model: a template VERSION (or template:VERSION), or adapter:VERSION "
                                 "for a trained content.copy adapter. Compare them with `content_report --compare`.")
        parser.add_argument("--challenger-adapter", type=int, metavar="VERSION",
                            help="The same as --challenger adapter:VERSION.")

    def handle(self, *args, kind, category, brand, sku, include_archived, as_user, no_wait, timeout, challenger=None,
               challenger_adapter=None, **options):
        actor = None
        if as_user:
            actor = get_user_model().objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"--as-user: no user named {as_user!r}")
        if challenger and challenger_adapter:
            raise CommandError("give one challenger: --challenger or --challenger-adapter")
        if challenger_adapter is not None:
            challenger = f"adapter:{challenger_adapter}"
        products = services.products_matching(
            category=category, brand=brand, skus=sku, active_only=not include_archived
        )
        count = products.count()
        if not count:
            raise CommandError("no product matches the filter")
        described = (
            ", ".join(f"{k}={v}" for k, v in (("category", category), ("brand", brand), ("sku", sku)) if v)
            or "all products"
        )
        try:
            template, adapter = arms.split_challenger(challenger, kind=kind)
            job = services.drafts_request(
                products=products,
                kind=kind,
                actor=actor,
                description=f"command: {described}",
                challenger=template,
                challenger_adapter=adapter,
            )
        except (services.ContentError, arms.ArmError) as exc:
            raise CommandError(str(exc)) from exc
        skipped = count * KIND_VARIANTS.get(kind, 1) - job.total
        self.stdout.write(f"job {job.pk}: queued {job.total} drafts for {count} products"
                          + (f" ({skipped} skipped: already on their way)" if skipped > 0 else ""))
        if no_wait or not job.total:
            return
        started = time.monotonic()
        with tqdm(total=job.total, unit="draft", file=self.stderr._out, dynamic_ncols=True) as bar:
            while True:
                progress = selectors.job_progress(job)
                bar.n = progress["done"]
                bar.set_postfix(failed=progress["failed"])
                bar.refresh()
                if progress["done"] >= progress["total"]:
                    break
                if timeout and time.monotonic() - started > timeout:
                    self.stdout.write(self.style.WARNING("stopped following; the workers carry on"))
                    return
                time.sleep(1)
        self.stdout.write(self.style.SUCCESS(
            f"done: {progress['done'] - progress['failed']} drafts ready for review, {progress['failed']} failed"
        ))

