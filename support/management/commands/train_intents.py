"""Train a new version of the intent classifier here, from every label, and activate it if its gate passed.

    manage.py train_intents [--no-activate] [--holdout 0.2] [--json]

A door onto the fine-tuning path (purpose ``support.intent``): the same as
``manage.py finetune --purpose support.intent --here --activate-if-better``. The version is compared with the
active one on the held-out slice it never trained on; activation and roll-back: *Runtime > Adapters*.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from support import services


def _value(metrics: dict, key: str):
    value = (metrics or {}).get(key)
    return value.get("value") if isinstance(value, dict) else value


class Command(BaseCommand):
    help = ("Train a new version of the intent classifier from the stored labels (imports, staff intents, "
            "confirmed intents), compare it with the active version on the held-out slice, and activate it if it "
            "is not worse.")

    def add_arguments(self, parser):
        parser.add_argument("--no-activate", action="store_true", help="keep the version inactive whatever its gate")
        parser.add_argument("--holdout", type=float, default=0.2, help="share held out for the gate (0.05-0.5)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, no_activate=False, holdout=0.2, json=False, **options):
        if not 0.05 <= holdout <= 0.5:
            raise CommandError("--holdout must be between 0.05 and 0.5")
        version = services.intent_model_train(actor=None, activate_if_better=not no_activate,
                                              parameters={"holdout": holdout})
        if json:
            self.stdout.write(_json({"version": str(version), "status": version.status, "active": version.is_active,
                                     "data": version.data, "progress": version.progress, "metrics": version.metrics,
                                     "seconds": version.seconds, "error": version.error}))
        if version.error:
            raise CommandError(f"{version}: {version.error}")
        if json:
            return
        data, metrics = version.data, version.metrics
        self.stdout.write(f"{version}: trained on {data.get('train')} labels ({data.get('import', 0)} imported, "
                          f"{data.get('staff', 0)} staff, {data.get('confirmed', 0)} confirmed), "
                          f"{data.get('intents')} intents, {data.get('held_out')} held out; "
                          f"training {version.progress.get('seconds')} s")
        if data.get("dropped_intents"):
            self.stdout.write(self.style.WARNING("left out (fewer than 2 training examples): "
                                                 + ", ".join(data["dropped_intents"])))
        for side, name in (("base", "active"), ("adapter", "new")):
            side_metrics = metrics.get(side) or {}
            self.stdout.write(f"  {name:6} {side_metrics.get('model', '-')}: accuracy "
                              f"{_value(side_metrics, 'accuracy')}, macro-F1 {_value(side_metrics, 'macro_f1')}")
        passed = version.gate_passed
        for reason in metrics.get("gate", {}).get("reasons", []):
            self.stdout.write(("gate passed: " if passed else "gate refused: ") + reason)
        self.stdout.write(self.style.SUCCESS(f"{version} is now active") if version.is_active
                          else f"{version} is not active")


def _json(summary: dict) -> str:
    return json.dumps(summary, indent=2, default=str)
