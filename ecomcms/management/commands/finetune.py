"""Train a new version for a purpose (content.copy: a LoRA adapter; support.intent: the intent classifier):
queue it for the training worker, or run it here."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from ecomcms.finetune import registry, services


class Command(BaseCommand):
    help = ("Train a new version for a purpose on its data (LoRA for the text model's purposes, with optional "
            "imported pairs; the intent classifier for support.intent), evaluate it next to the active model on a "
            "held-out split it never trained on, and store the gate's verdict. "
            "Activation is a separate, gated step (admin Runtime > Adapters, or --activate-if-better).")

    def add_arguments(self, parser):
        parser.add_argument("--purpose", default="content.copy")
        parser.add_argument("--pairs", help="A file of product facts and people's copy to bootstrap from.")
        parser.add_argument("--format", default="amazon2020", choices=["amazon2020", "csv", "bitext"])
        parser.add_argument("--epochs", type=int, default=1)
        parser.add_argument("--holdout", type=float, default=0.2, help="Share held out for the gate (0.05-0.5).")
        parser.add_argument("--held-out-limit", type=int, help="Evaluate at most this many held-out items.")
        parser.add_argument("--train-limit", type=int, help="Train on at most this many imported pairs.")
        parser.add_argument("--max-length", type=int, help="Tokens per training example (default 384).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--here", action="store_true", help="Train in this process instead of the worker.")
        parser.add_argument("--activate-if-better", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        if not 0.05 <= o["holdout"] <= 0.5:
            raise CommandError("--holdout must be between 0.05 and 0.5")
        try:
            purpose = registry.purpose_get(o["purpose"])
        except registry.UnknownPurpose as exc:
            raise CommandError(str(exc)) from exc
        parameters = {"holdout": o["holdout"], "seed": o["seed"]}
        if purpose.is_lora:  # another trainer (support.intent) has no epochs, pairs or sequence length
            parameters["epochs"] = o["epochs"]
        if o["pairs"] and purpose.is_lora:
            parameters["pairs"] = {"path": o["pairs"], "format": o["format"]}
        if o["held_out_limit"]:
            parameters["held_out_limit"] = o["held_out_limit"]
        if o["train_limit"]:
            parameters["train_limit"] = o["train_limit"]
        if o["max_length"] and purpose.is_lora:
            parameters["max_length"] = o["max_length"]
        adapter = services.adapter_train_request(purpose=o["purpose"], parameters=parameters, actor=None)
        if not o["here"]:
            self.stdout.write(f"{adapter} queued for the training worker (-Q training); follow it in the admin")
            return
        adapter = services.adapter_train_run(adapter.pk)
        if o["activate_if_better"] and adapter.gate_passed:
            services.adapter_activate(adapter=adapter, actor=None)
            adapter.refresh_from_db()
        summary = {"adapter": str(adapter), "status": adapter.status, "active": adapter.is_active,
                   "data": adapter.data, "progress": adapter.progress, "metrics": adapter.metrics,
                   "seconds": adapter.seconds, "error": adapter.error}
        if o["json"]:
            self.stdout.write(json.dumps(summary, indent=2, default=str))
            return
        self.stdout.write(f"{adapter}: {adapter.status}, {adapter.data.get('train')} examples trained, "
                          f"{adapter.data.get('held_out')} held out, {adapter.seconds or 0:.0f} s")
        if adapter.error:
            raise CommandError(adapter.error)
        for reason in adapter.metrics.get("gate", {}).get("reasons", []):
            self.stdout.write(("gate passed: " if adapter.gate_passed else "gate refused: ") + reason)
