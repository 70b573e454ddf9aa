"""Fine-tuning the reply model (purpose ``support.reply``): data, held-out evaluation, and the gate.

Training data: the replies staff actually sent (accepted or edited suggestions: the text sent, with
the customer's details redacted again, after the prompt that made the suggestion) and, to bootstrap
a shop with no history, Bitext pairs (``parameters["pairs"] = {"path": ..., "format": "bitext"}``):
the customer's message in the product's reply prompt (the articles retrieved for it from the demo
knowledge base), and as target the reference reply adapted like a template reply (shop details
filled, sentences with slots nobody can fill dropped), framed with the greeting and sign-off, and
citing the intent's article when it is among the prompt's sources.

Split: tickets by a seeded hash of their id, Bitext rows by ``reply_evaluation.is_held_out`` (the
same split ``evaluate_replies`` uses); a share ``holdout`` (default 0.2) is held out and never
trained on. ``train_limit`` keeps the first N training pairs spread evenly over the intents.

Evaluation: the reply harness (``support.reply_evaluation``) on the held-out Bitext rows, every
strategy, with the given adapter. Gate: for the ``model`` strategy, chrF not lower and the flagged
share not higher than the active model's.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from django.conf import settings as django_settings

from ecomcms.assign import stable_fraction
from ecomcms.finetune import registry
from ecomcms.finetune.lora import Example
from support import prompts, replies, reply_evaluation
from support.conf import conf

REPLY_PURPOSE = replies.REPLY_PURPOSE
GATED_STRATEGY = "model"


class HeldOut(list):
    """The held-out pairs, carrying the training pairs the template strategies search (never trained on)."""

    def __init__(self, items, resolved):
        super().__init__(items)
        self.resolved = list(resolved)


def _settings(adapter_path: str = "") -> reply_evaluation.Settings:
    from support.services.strategies import shop_details

    return reply_evaluation.Settings(
        adapter_path=adapter_path, adapter=adapter_path.rstrip("/").rsplit("/", 1)[-1] if adapter_path else "none",
        details=shop_details(), batch_size=conf.ECOMCMS_GENERATION_BATCH_SIZE,
        max_new_tokens=conf.SUPPORT_REPLY_MAX_NEW_TOKENS,
        shop_texts=(django_settings.DEFAULT_FROM_EMAIL, *conf.SUPPORT_REDACTION_KEEP))


def _spread(pairs, limit: int | None):
    """At most ``limit`` pairs, the first of each intent in turn (so every intent is trained on)."""
    if not limit or len(pairs) <= limit:
        return list(pairs)
    per_intent = math.ceil(limit / max(len({p.intent for p in pairs}), 1))
    return reply_evaluation.held_out_sample(pairs, per_intent=per_intent, limit=limit)


def _cited(body: str, number: int | None) -> str:
    """The body with the article's number after its last sentence (teaches citing as the prompt asks)."""
    if not number:
        return body
    return re.sub(r"([.!?])?\s*$", lambda m: f" [{number}]{m.group(1) or '.'}", body.rstrip(), count=1)


def bitext_examples(pairs, settings: reply_evaluation.Settings, articles=None) -> list[Example]:
    """Bitext pairs as training examples: the product's prompt -> the adapted reference reply."""
    articles = articles if articles is not None else reply_evaluation.knowledge_demo()
    knowledge = reply_evaluation.knowledge_index(articles)
    vectors = reply_evaluation.embed([p.redacted()[0] for p in pairs])
    examples = []
    for pair, query in zip(pairs, vectors):
        text, mapping = pair.redacted()
        sources = knowledge.retrieve(query)
        details = replies.Details(**{**settings.details.__dict__, "order": next(iter(mapping), "")})
        body = replies.adapt(pair.reference, details)
        if not body:
            continue
        right = {a.id for a in knowledge.by_intent.get(pair.intent, [])}
        number = next((s.number for s in sources if s.id in right), None)
        target = replies.framed(_cited(body, number), customer="", shop_name=settings.details.shop_name)
        prompt = reply_evaluation.reply_prompt(text, sources, shop_name=settings.details.shop_name)
        examples.append(Example(prompt=prompt, target=target))
    return examples


def _staff_examples(seed: int, share: float) -> tuple[list[Example], int]:
    """Accepted and edited suggestions: the prompt that made them -> the text staff sent (redacted again)."""
    from support.models import CannedResponse, KnowledgeArticle, ReplySuggestion
    from support.services.suggestions import _thread_context

    examples, count = [], 0
    sent = (ReplySuggestion.objects.filter(decision__in=[ReplySuggestion.Decision.ACCEPTED,
                                                        ReplySuggestion.Decision.EDITED])
            .exclude(sent_text="").select_related("ticket"))
    for suggestion in sent:
        count += 1
        if stable_fraction(seed, f"ticket:{suggestion.ticket_id}") < share:
            continue
        subject, thread, mapping, customer, _ = _thread_context(suggestion.ticket)
        last_customer = max((i for i, m in enumerate(thread) if m.author == "customer"), default=-1)
        thread = thread[:last_customer + 1]  # the prompt ended there: the sent reply itself is not in it
        sources = []
        for source in suggestion.sources:
            model = KnowledgeArticle if source.get("kind") == "article" else CannedResponse
            row = model.objects.filter(pk=source.get("id")).first()
            if row is not None:
                sources.append(prompts.Source(source["number"], source["kind"], row.pk, row.title, row.body,
                                              source.get("similarity", 0.0), getattr(row, "url", "")))
        target = suggestion.sent_text.split("\n\nRelated help article", 1)[0].strip()
        for placeholder, value in sorted(mapping.items(), key=lambda item: -len(item[1])):
            if value:
                target = target.replace(value, placeholder)
        prompt = prompts.build_reply_prompt(shop_name=conf.SUPPORT_SHOP_NAME, subject=subject, thread=thread,
                                            sources=sources, customer=customer)
        examples.append(Example(prompt=prompt, target=target))
    return examples, count


def reply_dataset(parameters: dict) -> registry.Dataset:
    seed, share = int(parameters.get("seed", 0)), float(parameters.get("holdout", 0.2))
    train, counts = _staff_examples(seed, share)
    counts = {"staff_replies": counts, "imported_pairs": 0}
    held, resolved = [], []
    pairs = parameters.get("pairs")
    if pairs:
        if pairs.get("format", "bitext") != "bitext":
            raise ValueError(f"{REPLY_PURPOSE} imports pairs in the bitext format only")
        all_pairs = reply_evaluation.pairs_read(pairs["path"])
        counts["imported_pairs"] = len(all_pairs)
        resolved, held = reply_evaluation.split(all_pairs, seed=seed, share=share)
        chosen = _spread(resolved, parameters.get("train_limit"))
        train = train + bitext_examples(chosen, _settings())
        counts["imported_trained"] = len(chosen)
        counts["intents_trained"] = dict(Counter(p.intent for p in chosen))
    limit = parameters.get("held_out_limit")
    if limit:
        held = reply_evaluation.held_out_sample(
            held, per_intent=math.ceil(int(limit) / max(len({p.intent for p in held}), 1)), limit=int(limit))
    return registry.Dataset(train=train, held_out=HeldOut(held, resolved), counts=counts)


def reply_evaluate(held_out, adapter_path: str) -> dict:
    """The reply harness on the held-out pairs: every strategy, with this adapter ("" = the base model)."""
    if not held_out:
        return {"held_out": 0}
    resolved = getattr(held_out, "resolved", [])
    report = reply_evaluation.replies_evaluate(list(held_out), resolved, _settings(adapter_path))
    flat = {f"{name}_{key}": row[key] for name, row in report["strategies"].items()
            for key in ("chrf", "flagged_share", "right_article_share") if row.get(key)}
    return {"held_out": len(held_out), "adapter": report["settings"]["adapter"], "strategies": report["strategies"],
            "choice": report["choice"], "generation": report["generation"], "seconds": report["seconds"], **flat}


def _value(metrics: dict, key: str):
    return ((metrics.get("strategies") or {}).get(GATED_STRATEGY, {}).get(key) or {}).get("value")


def reply_gate(base: dict, tuned: dict) -> tuple[bool, list[str]]:
    """Better on the held-out split, for replies the model writes: chrF not lower, flagged share not higher."""
    cb, ca = _value(base, "chrf"), _value(tuned, "chrf")
    fb, fa = _value(base, "flagged_share"), _value(tuned, "flagged_share")
    if None in (cb, ca, fb, fa):
        return False, ["not evaluated on held-out replies with a reference"]
    reasons = []
    if ca < cb:
        reasons.append(f"chrF {ca:.1f} vs {cb:.1f} for the active model: lower")
    if fa > fb:
        reasons.append(f"flagged share {100 * fa:.0f}% vs {100 * fb:.0f}% for the active model: higher")
    if reasons:
        return False, reasons
    return True, [f"chrF {ca:.1f} >= {cb:.1f}; flagged share {100 * fa:.0f}% <= {100 * fb:.0f}%"]


registry.register(registry.Purpose(
    name=REPLY_PURPOSE, label="Suggested replies", dataset=reply_dataset, evaluate=reply_evaluate, gate=reply_gate,
    shown_metrics=tuple((f"{name} {label}", f"{name}_{key}") for name in replies.STRATEGIES
                        for label, key in (("chrF", "chrf"), ("flagged", "flagged_share"),
                                           ("right article", "right_article_share"))),
))
