"""Retraining the intent classifier from staff decisions (fine-tuning purpose ``support.intent``).

Registered with the runtime's one versioned, gated path (``ecomcms.finetune``) by
``SupportConfig.ready()``: every retraining is an ``ecomcms.models.Adapter`` version with its data
counts, training seconds and held-out metrics, activated only when its gate passed, and rolled
back in *Runtime > Adapters* like any other purpose.

Which decisions are labels (docs/support.md, "Learning from staff decisions"):

* ``import``: labels that came with imported texts or tickets (``import_tickets``, banking77 ...).
* ``staff``: a person set the ticket's intent (an override in the ticket page, the unsure queue or
  the staff API). A rejected suggestion whose intent staff then changed is this: the change is
  the label, the rejection itself says nothing about the intent (a reply can be wrong for other
  reasons: the knowledge base, the wording). A ticket's latest label wins.
* ``confirmed``: a suggested reply was sent (accepted, or edited and sent) on a ticket whose
  intent the model set and nobody changed: the person who answered saw the intent and kept it.
  Training only: a confirmation is the active model's own answer, so a held-out slice made of
  them would favour the active model; confirmations whose ticket falls in the held-out slice are
  left out altogether.

Suggestion edits and rejections are the reply model's labels (``support.reply``), not the intents'.

The held-out slice is chosen by a seeded hash of each item's key (the ticket, or the normalised
text of a label without a ticket), so an item stays on its side as labels accumulate and two
versions are always compared on the same slice; the trainer never sees it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecomcms import inference
from ecomcms.assign import stable_fraction
from ecomcms.finetune import registry
from support.conf import conf

PURPOSE = "support.intent"
CLASSIFIER_FILE = "classifier.joblib"
SOURCES = ("import", "staff", "confirmed")
SENT = ("accepted", "edited")  # ReplySuggestion.Decision values that sent the reply


@dataclass(frozen=True)
class Labelled:
    """One label: the redacted text the classifier sees, its intent, where the label came from, its split key."""

    text: str
    intent: str
    source: str
    key: str


def classifier_file(path: str) -> Path:
    """The classifier of a version: ``<folder>/classifier.joblib`` (or the file itself, for versions migrated
    from the older ``IntentModel`` rows)."""
    candidate = Path(path)
    return candidate if candidate.suffix == ".joblib" else candidate / CLASSIFIER_FILE


def _text_key(text: str) -> str:
    return "text:" + " ".join(text.lower().split())


def is_held_out(key: str, *, seed: int, share: float) -> bool:
    return stable_fraction(PURPOSE, seed, key) < share


def intent_labels() -> list[Labelled]:
    """Every label that may teach the classifier (the module docstring says which decisions count)."""
    from support.models import IntentLabel, ReplySuggestion, SetBy, Ticket
    from support.services.tickets import ticket_model_text

    items: list[Labelled] = []
    latest: dict[int, IntentLabel] = {}
    for label in IntentLabel.objects.order_by("created_at", "pk").iterator():
        if label.ticket_id is not None:
            latest[label.ticket_id] = label
        elif label.text.strip():
            items.append(Labelled(label.text, label.intent, label.source, _text_key(label.text)))
    for ticket_id, label in latest.items():
        if label.text.strip():
            items.append(Labelled(label.text, label.intent, label.source, f"ticket:{ticket_id}"))
    confirmed = (Ticket.objects.filter(intent_set_by=SetBy.MODEL).exclude(intent="")
                 .exclude(pk__in=list(latest))
                 .filter(pk__in=ReplySuggestion.objects.filter(decision__in=SENT).values("ticket_id"))
                 .order_by("pk"))
    for ticket in confirmed:
        text = ticket_model_text(ticket)
        if text.strip():
            items.append(Labelled(text, ticket.intent, "confirmed", f"ticket:{ticket.pk}"))
    return items


def intent_dataset(parameters: dict) -> registry.Dataset:
    """Training items and the held-out slice (``holdout`` share, ``seed``); intents with fewer than two
    training examples are left out of training (the classifier cross-validates) and listed."""
    seed, share = int(parameters.get("seed", 0)), float(parameters.get("holdout", 0.2))
    use_confirmed = bool(parameters.get("confirmed", True))
    train, held_out = [], []
    counts = {source: 0 for source in SOURCES}
    for item in intent_labels():
        if item.source == "confirmed" and not use_confirmed:
            continue
        if is_held_out(item.key, seed=seed, share=share):
            if item.source != "confirmed":  # never the active model's own answers as the truth
                held_out.append(item)
            continue
        train.append(item)
        counts[item.source] = counts.get(item.source, 0) + 1
    per_intent: dict[str, int] = {}
    for item in train:
        per_intent[item.intent] = per_intent.get(item.intent, 0) + 1
    dropped = sorted(intent for intent, n in per_intent.items() if n < 2)
    train = [item for item in train if per_intent[item.intent] >= 2]
    if len({item.intent for item in train}) < 2:
        too_few = f" (too few: {', '.join(dropped)})" if dropped else ""
        raise ValueError(f"need at least two intents with two labelled examples each outside the held-out slice; "
                         f"have {len(train)} usable examples{too_few}")
    limit = parameters.get("held_out_limit")
    if limit:
        held_out = held_out[:int(limit)]
    counts |= {"intents": len({item.intent for item in train}), "dropped_intents": dropped}
    return registry.Dataset(train=train, held_out=held_out, counts=counts)


def _embed(texts: list[str]) -> np.ndarray:
    return inference.get_embedder().embed(list(texts)).vectors


def intent_train(train, output: Path, parameters: dict, on_step: registry.OnStep) -> registry.TrainingResult:
    """Fit the product's classifier (embeddings + TF-IDF linear SVM, calibration, the "none of these" rule)."""
    from support.intent import IntentClassifier

    embedder = inference.get_embedder()
    started = time.perf_counter()
    classifier = IntentClassifier(open_traffic=conf.SUPPORT_INTENT_OPEN_TRAFFIC, seed=int(parameters.get("seed", 0)))
    classifier.fit([item.text for item in train], [item.intent for item in train], _embed)
    output.mkdir(parents=True, exist_ok=True)
    classifier.save(output / CLASSIFIER_FILE)
    seconds = time.perf_counter() - started
    error = round(1 - classifier.cv_accuracy, 4)  # the "loss": cross-validated error on the training rows
    on_step(1, 1, error)
    return registry.TrainingResult(steps=1, examples=len(train), seconds=seconds, losses=[error],
                                   base_model=embedder.model_id)


def _bootstrap(correct: np.ndarray, rounds: int = 1000) -> list[float]:
    rng = np.random.default_rng(0)
    means = correct[rng.integers(0, len(correct), size=(rounds, len(correct)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)]


def intent_evaluate(held_out, path: str) -> dict:
    """Accuracy and macro-F1 on the held-out slice of the version at ``path`` ("" = what triage uses with no
    version: zero-shot matching against the active intents). "None of these" counts as a wrong answer."""
    from sklearn.metrics import f1_score

    from support.intent import IntentClassifier, IntentSpec, ZeroShotIntent
    from support.models import Intent

    texts, truth = [item.text for item in held_out], [item.intent for item in held_out]
    if not texts:
        return {"held_out": 0, "model": "-"}
    started = time.perf_counter()
    extra = {}
    if path:
        classifier = IntentClassifier.load(classifier_file(path))
        predictions = classifier.predict(texts, _embed)
        extra = {"cv_accuracy": round(classifier.cv_accuracy, 4), "threshold": round(classifier.threshold, 4)}
        model = f"classifier ({len(classifier.labels)} intents)"
    else:
        intents = list(Intent.objects.filter(is_active=True))
        specs = [IntentSpec(i.name, i.description, tuple(str(e) for e in (i.examples or []))[:10]) for i in intents]
        predictions = ZeroShotIntent().fit(specs, _embed).predict(texts, _embed) if specs else None
        model = f"zero-shot ({len(specs)} intents)"
    predicted = ["" if p is None or p.out_of_scope else p.label
                 for p in (predictions if predictions is not None else [None] * len(texts))]
    correct = np.array([p == t for p, t in zip(predicted, truth)], dtype=float)
    return {
        "model": model, "held_out": len(texts),
        "accuracy": {"value": round(float(correct.mean()), 4), "ci95": _bootstrap(correct)},
        "macro_f1": {"value": round(float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro",
                                                   zero_division=0)), 4)},
        "answered": round(sum(1 for p in predicted if p) / len(texts), 4),
        "seconds": round(time.perf_counter() - started, 2), **extra,
    }


def _value(metrics: dict, key: str) -> float | None:
    value = metrics.get(key)
    return value.get("value") if isinstance(value, dict) else value


def intent_gate(active: dict, candidate: dict) -> tuple[bool, list[str]]:
    """Not worse than the active model on the same slice: accuracy and macro-F1 each at least the active
    model's, less ``SUPPORT_INTENT_GATE_TOLERANCE``."""
    if not candidate.get("held_out"):
        return False, ["no held-out labels to compare on: import or set more intents first"]
    tolerance = float(conf.SUPPORT_INTENT_GATE_TOLERANCE)
    reasons, verdicts = [], []
    for key, name in (("accuracy", "accuracy"), ("macro_f1", "macro-F1")):
        new, old = _value(candidate, key), _value(active, key) or 0.0
        if new is None:
            return False, [f"{name} was not measured"]
        if new < old - tolerance:
            reasons.append(f"{name} {new:.3f} vs {old:.3f} for the active model: worse")
        else:
            verdicts.append(f"{name} {new:.3f} >= {old:.3f}" + (f" - {tolerance:g}" if tolerance else ""))
    if reasons:
        return False, reasons
    return True, [f"{'; '.join(verdicts)} on {candidate['held_out']} held-out labels"]


registry.register(registry.Purpose(
    name=PURPOSE, label="Ticket intents", dataset=intent_dataset, trainer=intent_train, evaluate=intent_evaluate,
    gate=intent_gate, defaults={"holdout": 0.2, "seed": 0, "confirmed": True},
    shown_metrics=(("accuracy", "accuracy"), ("macro-F1", "macro_f1"), ("answered (not 'none of these')", "answered"),
                   ("held-out labels", "held_out")),
))
