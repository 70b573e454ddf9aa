"""Train the intent classifier from every label (staff overrides and imports) and make it active.

    manage.py train_intents [--no-activate]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from support import services


class Command(BaseCommand):
    help = "Train the intent classifier from the stored labels (staff overrides and imports) and activate it."

    def add_arguments(self, parser):
        parser.add_argument("--no-activate", action="store_true", help="save the model without making it active")

    def handle(self, *args, no_activate=False, **options):
        texts, labels, counts = services.intent_training_rows()
        self.stdout.write(f"training on {len(texts)} labelled texts ({counts.get('staff', 0)} staff, "
                          f"{counts.get('import', 0)} imported), {len(set(labels))} intents ...")
        try:
            model = services.intent_model_train(actor=None, activate=not no_activate)
        except services.SupportError as exc:
            raise CommandError(str(exc)) from exc
        metrics = model.metrics
        self.stdout.write(self.style.SUCCESS(
            f"intent model {model.pk}: {model.n_train} examples, {len(model.labels)} intents, cross-validated accuracy "
            f"{metrics['cv_accuracy']:.2%}, threshold {model.threshold:.3f}, {metrics['train_seconds']} s"
            + ("" if no_activate else "; now active")))
        if metrics.get("dropped_intents"):
            self.stdout.write(
                self.style.WARNING("left out (fewer than 2 examples): " + ", ".join(metrics["dropped_intents"]))
            )
