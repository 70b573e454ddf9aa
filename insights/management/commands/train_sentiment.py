"""Train the sentiment model on labelled reviews as a new version: `manage.py train_sentiment`.

A door onto the fine-tuning path (purpose ``insights.sentiment``, ``insights.sentiment_finetuning``):
the same service as *Runtime > Adapters* and ``manage.py finetune --purpose insights.sentiment``.
"""

from __future__ import annotations

import json as jsonlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ecomcms.finetune import services
from ecomcms.models import Adapter
from insights import sentiment_finetuning as purpose, sentiment_training as training


class Command(BaseCommand):
    help = ("Fit the sentiment model (a logistic regression on the shared embeddings) on reviews whose stars give "
            "the label, measure it on held-out products next to the active version and the cue words, and store it "
            "as the next version of the fine-tuning purpose insights.sentiment; it becomes active only if it does "
            "not score worse than the active version on the same held-out reviews (unless --no-activate).")

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Reviews CSV (default: the shared women's clothing file).")
        parser.add_argument("--recipe", default=training.DEFAULT_RECIPE, choices=training.RECIPES)
        parser.add_argument("--seed", type=int, default=0, help="The seed of the held-out products.")
        parser.add_argument("--test-share", type=float, default=0.2, help="Share of products held out for the gate.")
        parser.add_argument("--limit", type=int, default=0, help="Use only the first N reviews (0: all).")
        parser.add_argument("--no-activate", action="store_true", help="Store the version without using it.")
        parser.add_argument("--queue", action="store_true",
                            help="Send the run to the training worker (-Q training) instead of training here.")
        parser.add_argument("--activate", type=int, metavar="VERSION",
                            help="Activate a stored version (only one whose gate passed), and train nothing.")
        parser.add_argument("--rollback", action="store_true",
                            help="Return to the version active before the current one (or the cue words).")
        parser.add_argument("--json", action="store_true", help="Print the version's record as JSON.")

    def handle(self, *args, path, recipe, seed, test_share, limit, no_activate, queue, activate, rollback, json,
               **options):
        if activate is not None:
            return self._activate(activate)
        if rollback:
            try:
                previous = services.adapter_rollback(purpose=purpose.PURPOSE, actor=None)
            except services.FinetuneError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(self.style.SUCCESS(f"{purpose.PURPOSE}: now {previous or 'the cue words'}"))
            return
        if not 0.05 <= test_share <= 0.5:
            raise CommandError("--test-share must be between 0.05 and 0.5")
        file = Path(path) if path else purpose.default_reviews_file()
        if not file.is_file():
            raise CommandError(f"no reviews file: {file}")
        parameters = {"path": str(file), "recipe": recipe, "seed": seed, "holdout": test_share, "limit": limit,
                      "activate_if_better": not no_activate}
        adapter = services.adapter_train_request(purpose=purpose.PURPOSE, parameters=parameters, actor=None,
                                                 queue=queue)
        if queue:
            self.stdout.write(f"{adapter} queued for the training worker (-Q training); follow it in the admin")
            return
        adapter = services.adapter_train_run(adapter.pk)
        if json:
            self.stdout.write(jsonlib.dumps({
                "version": str(adapter), "status": adapter.status, "active": adapter.is_active, "data": adapter.data,
                "metrics": adapter.metrics, "seconds": adapter.seconds, "error": adapter.error}, indent=2, default=str))
        if adapter.error:
            raise CommandError(f"{adapter} failed: {adapter.error}")
        if json:
            return
        new, old = adapter.metrics["adapter"], adapter.metrics["base"]
        self.stdout.write(
            f"{adapter} ({recipe}), {adapter.data.get('train')} reviews, fitted in "
            f"{adapter.progress.get('seconds', 0):.0f} s ({adapter.seconds:.0f} s with reading, embedding, "
            f"evaluating); "
            f"{new['held_out']} reviews of {new['held_out_products']} held-out products: "
            f"accuracy {new['accuracy']['value']:.3f}, macro-F1 {new['macro_f1']['value']:.3f} "
            f"(active before, {old['model']}: {old['accuracy']['value']:.3f} / {old['macro_f1']['value']:.3f}; "
            f"cue words {new['cue_words_accuracy']:.3f} / {new['cue_words_macro_f1']:.3f})")
        reasons = "; ".join(adapter.metrics["gate"]["reasons"])
        if adapter.is_active:
            self.stdout.write(self.style.SUCCESS(f"{adapter} is active: {reasons}"))
        elif adapter.gate_passed:
            self.stdout.write(f"{adapter} passed the gate ({reasons}); not activated (--no-activate)")
        else:
            self.stdout.write(self.style.WARNING(f"{adapter} not activated, the gate refused it: {reasons}"))

    def _activate(self, version: int) -> None:
        try:
            adapter = Adapter.objects.get(purpose=purpose.PURPOSE, version=version)
            services.adapter_activate(adapter=adapter, actor=None)
        except Adapter.DoesNotExist:
            raise CommandError(f"no version {version} of {purpose.PURPOSE}") from None
        except services.FinetuneError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{adapter} is active"))
