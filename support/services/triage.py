"""Triage in the worker: predict intent, sentiment, language and priority, save them while the claim is ours."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from content.selectors import products_mentioned
from ecomcms import inference, sentiment as reader
from ecomcms.errors import require_permission
from ecomcms.finetune.selectors import adapter_active
from support import triage
from support.intent.zeroshot import IntentSpec, ZeroShotIntent
from support.intent_finetuning import PURPOSE as INTENT_PURPOSE, classifier_file
from support.models import Confidence, Intent, PriorityRule, SetBy, Ticket, TicketEvent, TriageStatus
from support.privacy import log_safe
from support.services._base import (
    MAX_ATTEMPTS,
    PERMISSION,
    NotAllowed,
    StateError,
    TriageRetry,
    _dispatch_triage,
    _embed,
    _event,
    _stale_before,
    _vector_bytes,
)
from support.services.revisions import ticket_copy_revision
from support.services.suggestions import suggestion_request
from support.services.tickets import _route_to_queue, ticket_model_text

if TYPE_CHECKING:
    from support.intent.classifier import IntentClassifier

logger = logging.getLogger(__name__)


_cache_lock = threading.Lock()
_classifiers: dict[tuple[str, float], IntentClassifier] = {}
_zero_shot: dict[tuple, ZeroShotIntent] = {}
_sentiment_prototypes: dict[str, np.ndarray] = {}


def _load_classifier(path: str) -> IntentClassifier:
    """Loaded once per worker process (and again only when the file changes)."""
    key = (path, Path(path).stat().st_mtime)
    with _cache_lock:
        if key not in _classifiers:
            _classifiers.clear()
            from support.intent.classifier import IntentClassifier  # scikit-learn: loaded where tickets are triaged

            _classifiers[key] = IntentClassifier.load(path)
        return _classifiers[key]


def _zero_shot_model(intents: list[Intent], model_id: str) -> ZeroShotIntent:
    specs = tuple(IntentSpec(i.name, i.description, tuple(str(e) for e in (i.examples or []))[:10]) for i in intents)
    key = (model_id, specs)
    with _cache_lock:
        if key not in _zero_shot:
            _zero_shot.clear()
            _zero_shot[key] = ZeroShotIntent().fit(list(specs), _embed)
        return _zero_shot[key]


def _sentiment_anchors(model_id: str) -> np.ndarray:
    with _cache_lock:
        if model_id not in _sentiment_prototypes:
            _sentiment_prototypes[model_id] = triage.anchor_prototypes(_embed)
        return _sentiment_prototypes[model_id]


@dataclass
class TriageResult:
    """Everything triage predicts for one text (no database writes)."""

    intent: triage.Signal
    intent_score: float | None
    category: str
    sentiment: triage.Signal
    language: triage.Signal
    priority: triage.Signal
    vector: np.ndarray
    model_id: str


def triage_predict(texts: list[str], *, has_order_reference: list[bool]) -> list[TriageResult]:
    """Predict intent, sentiment, language and priority for redacted texts, embedding each text once.

    Intent comes from the active version of the trained classifier (fine-tuning
    purpose ``support.intent``) when its embedding model is the one loaded, else
    from zero-shot matching against the active intents'
    descriptions and examples. Raises ``inference.ModelError``.
    """
    if not texts:
        return []
    embedder = inference.get_embedder()
    vectors = embedder.embed(list(texts)).vectors
    cached = {text: vectors[i] for i, text in enumerate(texts)}

    def embed(batch: list[str]) -> np.ndarray:  # the classifier asks for the texts we have already embedded
        if all(t in cached for t in batch):
            return np.stack([cached[t] for t in batch]) if batch else np.zeros((0, vectors.shape[1]), np.float32)
        return _embed(batch)

    intents = {i.name: i for i in Intent.objects.filter(is_active=True)}
    active = adapter_active(INTENT_PURPOSE)  # the active version of the intent classifier, if any
    details: dict = {}
    predictions = None
    if active is not None and active.base_model == embedder.model_id and classifier_file(active.path).is_file():
        classifier = _load_classifier(str(classifier_file(active.path)))
        predictions = classifier.predict(list(texts), embed)
        details = {"source": "classifier", "intent_version": active.version,
                   "threshold": round(classifier.threshold, 3)}
    elif intents:
        if active is not None:
            details["note"] = (f"{active} was trained with {active.base_model!r}, "
                               f"not the loaded {embedder.model_id!r}, or its file is missing")
        predictions = _zero_shot_model(list(intents.values()), embedder.model_id).predict(list(texts), embed)
        details["source"] = "zero-shot"
    prototypes = _sentiment_anchors(embedder.model_id)
    # The trained sentiment model when one is saved for this embedder (ecomcms/sentiment.py), else the cue words
    # and anchor sentences (support/triage.py).
    sentiment_model = reader.active_classifier(embedder.model_id)
    model_moods = reader.read_with_model(sentiment_model, vectors) if sentiment_model is not None else None
    rules = [triage.Rule(r.name, r.priority, r.intents or (), r.sentiments or (), r.requires_order_reference,
                         r.keywords or ()) for r in PriorityRule.objects.filter(is_active=True)]
    results = []
    for index, text in enumerate(texts):
        if predictions is None:
            intent = triage.Signal("", Confidence.LOW, {"source": "none", "note": "no intents and no trained model"})
            score = None
        elif predictions[index].out_of_scope:
            # "None of these": no intent (so no routing and no suggestion from a wrong one); the nearest
            # intent is kept in the details for staff.
            prediction = predictions[index]
            intent = triage.Signal("", Confidence.LOW, {**details, "confidence": round(prediction.confidence, 4),
                                                        "out_of_scope": True, "nearest_intent": prediction.label})
            score = prediction.confidence
        else:
            prediction = predictions[index]
            intent = triage.Signal(prediction.label, prediction.bucket.lower(),
                                   {**details, "confidence": round(prediction.confidence, 4)})
            score = prediction.confidence
        intent_row = intents.get(intent.value)
        if model_moods is not None:
            reading = model_moods[index]
            mood = triage.Signal(reading.label, reading.confidence,
                                 {"source": reading.source, "probabilities": reading.probabilities})
        else:
            mood = triage.sentiment(text, vectors[index], prototypes)
        results.append(TriageResult(
            intent=intent, intent_score=score, category=intent_row.category if intent_row else "",
            sentiment=mood, language=triage.language(text),
            priority=triage.priority(rules=rules, text=text, intent=intent if intent.value else None,
                                     sentiment_signal=mood, has_order_reference=has_order_reference[index]),
            vector=vectors[index], model_id=embedder.model_id,
        ))
    return results


# --- Triage (in the worker) ------------------------------------------------------------------------

def ticket_triage(ticket_id: int) -> Ticket | None:
    """Predict a ticket's intent, category, sentiment, language and priority, then queue a suggested reply.

    Claimed with a compare-and-set (``pending -> running``, or a claim older than
    the hard time limit); saved only while the claim is ours. A prediction staff
    already set is never overwritten. Low intent confidence sends the ticket to
    the human triage queue; a ticket the classifier finds out of scope goes there
    with no intent and gets no automatic suggestion. A transient model error raises ``TriageRetry`` (up to
    ``MAX_ATTEMPTS``); a permanent one marks triage failed and asks for a person.
    """
    now = timezone.now()
    claimed = (
        Ticket.objects.filter(pk=ticket_id)
        .filter(
            Q(triage_status=TriageStatus.PENDING)
            | Q(triage_status=TriageStatus.RUNNING, triage_claimed_at__lt=_stale_before(now))
        )
        .update(triage_status=TriageStatus.RUNNING, triage_claimed_at=now, triage_attempts=F("triage_attempts") + 1)
    )
    if not claimed:
        return None  # gone, done, or someone else is on it
    ticket = Ticket.objects.get(pk=ticket_id)
    started = time.perf_counter()
    text = ticket_model_text(ticket)
    try:
        result = triage_predict([text], has_order_reference=[bool(ticket.order_reference)])[0]
    except inference.ModelError as exc:
        return _triage_failed(ticket, now, str(exc), permanent=exc.permanent)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("queue").get(pk=ticket_id)
        if locked.triage_status != TriageStatus.RUNNING or locked.triage_claimed_at != now:
            logger.info("ticket %s: triage claim was taken over; result dropped", ticket_id)
            return None
        fields = _apply_predictions(locked, result)
        out_of_scope = locked.intent_set_by != SetBy.STAFF and bool(result.intent.details.get("out_of_scope"))
        intent_row = (
            Intent.objects.select_related("queue").filter(name=locked.intent).first() if locked.intent else None
        )
        fields += _route_to_queue(locked, intent_row.queue if intent_row else None, actor=None)
        if locked.product_id is None:  # the product the ticket is about, for the monitoring: one named, or none
            named = products_mentioned(text, limit=2)
            if len(named) == 1:
                locked.product = named[0]
                fields.append("product")
        if locked.intent_set_by != SetBy.STAFF:
            locked.needs_human_triage = result.intent.confidence == Confidence.LOW
        locked.triage_status, locked.triaged_at, locked.triage_seconds = TriageStatus.DONE, timezone.now(), seconds
        locked.triage_error, locked.embedding, locked.embedding_model = (
            "",
            _vector_bytes(result.vector),
            result.model_id,
        )
        locked.save(update_fields=list(dict.fromkeys(fields + [
            "needs_human_triage", "triage_status", "triaged_at", "triage_seconds", "triage_error", "embedding",
            "embedding_model", "triage_details", "updated_at",
        ])))
        _event(locked, TicketEvent.Kind.TRIAGED, to_value=locked.intent or "(no intent)", comment=(
            f"intent {locked.intent or '-'} ({locked.intent_confidence or '-'}), sentiment {locked.sentiment}, "
            f"priority {locked.priority}, language {locked.language or '-'}"
            + ("; needs a person to set the intent" if locked.needs_human_triage else "")
            + ("; fits no known intent, so no reply is suggested" if out_of_scope else "")))
        if not out_of_scope:
            suggestion_request(ticket=locked, actor=None)
        ticket_copy_revision(locked)
    return locked


def _apply_predictions(ticket: Ticket, result: TriageResult) -> list[str]:
    """Copy predictions onto the ticket, except those staff set; returns the changed fields."""
    fields: list[str] = []
    values = {
        "intent": (result.intent.value, result.intent.confidence, SetBy.MODEL),
        "category": (result.category, result.intent.confidence if result.category else "", SetBy.MODEL),
        "sentiment": (result.sentiment.value, result.sentiment.confidence, SetBy.MODEL),
        "language": (result.language.value, result.language.confidence, SetBy.MODEL),
        "priority": (result.priority.value, result.priority.confidence, SetBy.RULE),
    }
    for field, (value, confidence, set_by) in values.items():
        if getattr(ticket, f"{field}_set_by") == SetBy.STAFF:
            continue
        setattr(ticket, field, value)
        setattr(ticket, f"{field}_confidence", confidence)
        setattr(ticket, f"{field}_set_by", set_by if value else "")
        fields += [field, f"{field}_confidence", f"{field}_set_by"]
    if ticket.intent_set_by != SetBy.STAFF:
        ticket.intent_score = result.intent_score
        fields.append("intent_score")
    ticket.triage_details = {
        "intent": result.intent.details, "sentiment": result.sentiment.details,
        "language": result.language.details, "priority": result.priority.details,
    }
    return fields


def _triage_failed(ticket: Ticket, claimed_at: datetime, reason: str, *, permanent: bool) -> Ticket | None:
    if not permanent and ticket.triage_attempts < MAX_ATTEMPTS:
        Ticket.objects.filter(pk=ticket.pk, triage_status=TriageStatus.RUNNING, triage_claimed_at=claimed_at).update(
            triage_status=TriageStatus.PENDING, triage_error=reason[:2000])
        # Celery logs a retry's exception message: it is a log line like any other.
        raise TriageRetry(log_safe(reason, customer_name=ticket.customer_name))
    with transaction.atomic():
        updated = Ticket.objects.filter(
            pk=ticket.pk, triage_status=TriageStatus.RUNNING, triage_claimed_at=claimed_at
        ).update(triage_status=TriageStatus.FAILED, triage_error=reason[:2000], needs_human_triage=True)
        if updated:
            _event(ticket, TicketEvent.Kind.TRIAGE_FAILED, comment=reason[:2000])
            logger.error(
                "ticket %s: triage failed: %s", ticket.pk, log_safe(reason, customer_name=ticket.customer_name)
            )
    return None


def ticket_retriage(*, ticket: Ticket, actor) -> Ticket:
    """Run triage again (after a failure, or a new model); staff-set predictions stay."""
    require_permission(actor, PERMISSION, error=NotAllowed)
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk).exclude(triage_status=TriageStatus.RUNNING).update(
            triage_status=TriageStatus.PENDING, triage_attempts=0, triage_error="")
        if not updated:
            raise StateError("triage is running for this ticket right now")
        _dispatch_triage(ticket.pk)
    return Ticket.objects.get(pk=ticket.pk)
