"""Intent classifier: labels from imports and staff decisions; new versions through the fine-tuning path.

Versions, their held-out comparison, activation and roll-back are the runtime's (``ecomcms.finetune``,
purpose ``support.intent`` registered by ``support.intent_finetuning``); this module is support's door onto it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from ecomcms.finetune import services as finetune
from ecomcms.models import Adapter, AdapterStatus
from support.conf import conf
from support.intent_finetuning import PURPOSE
from support.models import Confidence, Intent, IntentLabel, SetBy, Ticket
from support.privacy import redact_text
from support.selectors import intent_labels_new
from support.services._base import NotAllowed
from support.services.tickets import ticket_model_text

logger = logging.getLogger(__name__)


def intent_model_training_request(*, actor, activate_if_better: bool | None = None) -> Adapter:
    """Queue a new version of the intent classifier on the ``training`` worker (the admin's "Train" button).

    A version of the fine-tuning purpose ``support.intent`` (``support.intent_finetuning``): trained on the labels
    outside the held-out slice, compared with the active version on that slice, and activated when its gate
    passed if ``activate_if_better`` (default ``SUPPORT_INTENT_AUTO_ACTIVATE``); operators may activate or roll
    back in *Runtime > Adapters*.
    """
    if activate_if_better is None:
        activate_if_better = bool(conf.SUPPORT_INTENT_AUTO_ACTIVATE)
    try:
        return finetune.adapter_train_request(purpose=PURPOSE, parameters={"activate_if_better": activate_if_better},
                                              actor=actor)
    except finetune.NotAllowed as exc:
        raise NotAllowed(str(exc)) from exc


def intent_model_train(*, actor=None, activate_if_better: bool = True, parameters: dict | None = None) -> Adapter:
    """Train a new version in this process (``manage.py train_intents``): the same path as the worker's."""
    try:
        version = finetune.adapter_train_request(
            purpose=PURPOSE, parameters={"activate_if_better": activate_if_better} | (parameters or {}), actor=actor)
    except finetune.NotAllowed as exc:
        raise NotAllowed(str(exc)) from exc
    return finetune.adapter_train_run(version.pk) or version


def intent_model_retrain_if_needed(*, min_new_labels: int | None = None) -> Adapter | None:
    """Queue a new version when enough new labels arrived since the last one (Celery beat, daily).

    Counted since the last version of any outcome, so a version the gate refused is not retrained on
    the same labels every day; nothing is queued while a version is still queued or training.
    """
    if min_new_labels is None:
        min_new_labels = int(conf.SUPPORT_INTENT_RETRAIN_MIN_LABELS)
    last = Adapter.objects.filter(purpose=PURPOSE).order_by("-version").first()
    if last is not None and last.status in (AdapterStatus.QUEUED, AdapterStatus.TRAINING, AdapterStatus.EVALUATING):
        return None
    new = intent_labels_new(since=last.created_at if last else None)
    if new < min_new_labels:
        logger.info("intent retraining not due: %s new labels, %s needed", new, min_new_labels)
        return None
    return intent_model_training_request(actor=None)


def intent_labels_import(*, rows: list[tuple[str, str]], categories: dict[str, str] | None = None,
                         create_intents: bool = True) -> int:
    """Store labelled texts (redacted first) as import labels; unknown intents join the taxonomy."""
    labels = [IntentLabel(text=redact_text(text).text, intent=intent, source=IntentLabel.Source.IMPORT)
              for text, intent in rows]
    categories = categories or {}
    with transaction.atomic():
        if create_intents:
            known = set(Intent.objects.values_list("name", flat=True))
            Intent.objects.bulk_create([Intent(name=name, category=categories.get(name, ""))
                                        for name in sorted({i for _, i in rows} - known)], ignore_conflicts=True)
        IntentLabel.objects.bulk_create(labels, batch_size=1000)
    return len(labels)


def ticket_label_import(*, ticket: Ticket, intent: str) -> IntentLabel:
    """A label that came with an imported ticket: kept for training, and set on the ticket as a person's."""
    Intent.objects.get_or_create(name=intent)
    label = IntentLabel.objects.create(ticket=ticket, text=ticket_model_text(ticket), intent=intent,
                                       source=IntentLabel.Source.IMPORT)
    Ticket.objects.filter(pk=ticket.pk).update(intent=intent, intent_confidence=Confidence.HIGH,
                                               intent_set_by=SetBy.STAFF)
    return label
