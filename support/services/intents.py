"""Intent classifier training: labels from staff overrides and imports, train, activate, retrain when due."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from ecomcms import inference, queueing
from ecomcms.errors import require_permission
from support.conf import conf
from support.intent import IntentClassifier
from support.models import Confidence, Intent, IntentLabel, IntentModel, SetBy, Ticket
from support.privacy import redact_text
from support.services._base import NotAllowed, SupportError, _embed, _send_after_commit
from support.services.tickets import ticket_model_text

logger = logging.getLogger(__name__)

ADD_MODEL = "ecomcms_support.add_intentmodel"


def intent_training_rows() -> tuple[list[str], list[str], dict]:
    """Texts and labels from IntentLabel rows: a ticket's latest label only, imported rows as they are."""
    latest_per_ticket: dict[int, IntentLabel] = {}
    texts, labels = [], []
    counts = {"staff": 0, "import": 0}
    for label in IntentLabel.objects.order_by("created_at", "pk").iterator():
        if label.ticket_id is not None:
            latest_per_ticket[label.ticket_id] = label
        elif label.text.strip():
            texts.append(label.text)
            labels.append(label.intent)
            counts[label.source] = counts.get(label.source, 0) + 1
    for label in latest_per_ticket.values():
        if label.text.strip():
            texts.append(label.text)
            labels.append(label.intent)
            counts[label.source] = counts.get(label.source, 0) + 1
    return texts, labels, counts


def intent_model_training_request(*, actor) -> queueing.Dispatch:
    """Queue a training run on the default worker (the admin's "Train" button; it embeds every label).

    Nothing is stored until the worker trains, so a broker that is down loses nothing: the returned
    ``Dispatch`` says the task was not sent, and the door tells the person to try again.
    """
    require_permission(actor, ADD_MODEL, error=NotAllowed)
    return _send_after_commit("train_intents", actor.pk if actor else None)


def intent_model_train(*, actor=None, activate: bool = True) -> IntentModel:
    """Train the intent classifier on every label (staff overrides and imports) and save it.

    Intents with fewer than two examples are left out (cross-validation needs
    two) and listed in the metrics. The artifact goes under ``DATA_DIR/support``.
    """
    require_permission(actor, ADD_MODEL, error=NotAllowed)
    texts, labels, counts = intent_training_rows()
    per_label: dict[str, int] = {}
    for label in labels:
        per_label[label] = per_label.get(label, 0) + 1
    dropped = sorted(label for label, n in per_label.items() if n < 2)
    rows = [(t, y) for t, y in zip(texts, labels) if per_label[y] >= 2]
    if len({y for _, y in rows}) < 2:
        raise SupportError(f"need at least two intents with two labelled examples each; have {len(rows)} usable "
                           f"examples{' (too few: ' + ', '.join(dropped) + ')' if dropped else ''}")
    embedder = inference.get_embedder()
    started = time.perf_counter()
    classifier = IntentClassifier(open_traffic=conf.SUPPORT_INTENT_OPEN_TRAFFIC).fit(
        [t for t, _ in rows], [y for _, y in rows], _embed)
    seconds = time.perf_counter() - started
    folder = Path(conf.ECOMCMS_DATA_DIR) / "support" / "intent-models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"intent-{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.joblib"
    classifier.save(path)
    with transaction.atomic():
        model = IntentModel.objects.create(
            embedding_model=embedder.model_id,
            n_train=len(rows),
            labels=classifier.labels,
            threshold=classifier.threshold,
            artifact=str(path),
            trained_by=actor,
            metrics={
                "cv_accuracy": round(classifier.cv_accuracy, 4),
                "high_cutoff": round(classifier.cutoffs.high, 4),
                "train_seconds": round(seconds, 1),
                "sources": counts,
                "dropped_intents": dropped,
                "mix": classifier.mix,
                "open_rule": {
                    "min_confidence": classifier.open_rule.min_confidence,
                    "min_similarity": classifier.open_rule.min_similarity,
                    "open_traffic": classifier.open_traffic,
                },
            },
        )
        if activate:
            intent_model_activate(model=model, actor=actor)
    return model


def intent_model_activate(*, model: IntentModel, actor) -> IntentModel:
    require_permission(actor, "ecomcms_support.change_intentmodel", error=NotAllowed)
    with transaction.atomic():
        IntentModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
        IntentModel.objects.filter(pk=model.pk).update(is_active=True)
    model.refresh_from_db()
    return model


def intent_model_retrain_if_needed(*, min_new_labels: int = 20) -> IntentModel | None:
    """Retrain when enough staff labels arrived since the active model (Celery beat, daily)."""
    active = IntentModel.objects.filter(is_active=True).first()
    new = IntentLabel.objects.filter(source=IntentLabel.Source.STAFF)
    if active is not None:
        new = new.filter(created_at__gt=active.created_at)
    if new.count() < min_new_labels:
        return None
    try:
        return intent_model_train(actor=None)
    except SupportError as exc:
        logger.info("intent retraining skipped: %s", exc)
        return None


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
