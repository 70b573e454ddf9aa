"""Support triage latency (without the reply) and reply generation time, with the real models.

    .venv/bin/python bench/triage.py [--tickets 12] [--replies 4] [--max-new-tokens 64] [--budget 150]

Runs on a throwaway SQLite database with the demo intents and knowledge base. Prints:

* triage per ticket: the full worker service (redact -> embed once -> intent, sentiment,
  language, priority -> save), one ticket at a time, median and p90; and the prediction
  step alone for one ticket at a time vs all tickets in one batch, with their ratio;
* reply generation: one prompt per model call vs all prompts in one call (what the
  generation worker does with a batch of pending suggestions), median seconds per reply,
  tokens per second, and the ratio.

Everything stops once ``--budget`` seconds have passed (the rest is reported as skipped).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["ECOMCMS_DATA_DIR"] = tempfile.mkdtemp(prefix="ecomcms-bench-triage-")
os.environ.pop("DATABASE_URL", None)
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from ecomcms import inference  # noqa: E402
from support import demo, services, tasks  # noqa: E402
from support.models import ReplySuggestion, Ticket  # noqa: E402

EXTRA = [
    ("Wrong size", "I ordered the blue dress in M but need an L. Can you change it before it ships?"),
    ("Payment declined", "My card keeps getting declined at checkout although there is money on it."),
    ("Zip broke", "The zip of my backpack broke after two months of use. Is that covered?"),
    ("Delivery time", "How long does express delivery to Austria take?"),
    ("Cancel please", "Please cancel my last order, I bought the same thing twice by mistake."),
    ("Complaint", "Third time I write. Nobody answers. Terrible service, I am really fed up."),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=12)
    parser.add_argument("--replies", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--budget", type=float, default=150.0, help="seconds; later steps are skipped after this")
    args = parser.parse_args()
    started = time.perf_counter()

    call_command("migrate", verbosity=0)
    demo.load_demo_knowledge()
    tasks.suggest_reply.delay = lambda *a, **k: None  # the bench calls the services itself
    tasks.triage_ticket.delay = lambda *a, **k: None
    samples = [(t[3], t[4], t[2]) for t in demo.TICKETS] + [(s, b, "") for s, b in EXTRA]
    samples = (samples * (args.tickets // len(samples) + 1))[: args.tickets]

    load = time.perf_counter()
    embedder, generator = inference.get_embedder(), inference.get_generator()
    print(f"models: {embedder.model_id} and {generator.model_id}, loaded in {time.perf_counter() - load:.1f} s; "
          f"torch threads {settings.ECOMCMS_TORCH_THREADS or 'all'}; {len(samples)} tickets")

    # Warm-up: the first call fits the zero-shot prototypes and sentiment anchors once per process.
    warm = time.perf_counter()
    services.triage_predict(["warm up"], has_order_reference=[False])
    services.knowledge_refresh_embeddings()
    print(f"first triage call (prototypes, anchors, knowledge embeddings): {time.perf_counter() - warm:.2f} s")

    tickets = []
    for subject, body, order in samples:
        ticket, _ = services.ticket_create(email="bench@example.com", name="Sam Bench", subject=subject, body=body,
                                           order_reference=order, triage_now=False)
        tickets.append(ticket)

    per_ticket = []
    for ticket in tickets:
        t0 = time.perf_counter()
        services.ticket_triage(ticket.pk)
        per_ticket.append(time.perf_counter() - t0)
    print(f"triage per ticket (service, with database writes): median {statistics.median(per_ticket) * 1000:.0f} ms, "
          f"p90 {percentile(per_ticket, 0.9) * 1000:.0f} ms")

    texts = [services.ticket_model_text(t) for t in tickets]
    orders = [bool(t.order_reference) for t in tickets]
    single = []
    for text, order in zip(texts, orders):
        t0 = time.perf_counter()
        services.triage_predict([text], has_order_reference=[order])
        single.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    services.triage_predict(texts, has_order_reference=orders)
    batched = (time.perf_counter() - t0) / len(texts)
    print(f"prediction only, one ticket per call: median {statistics.median(single) * 1000:.0f} ms; "
          f"all {len(texts)} in one call: {batched * 1000:.0f} ms per ticket; "
          f"ratio single / batched {statistics.median(single) / batched:.2f}x")

    counts = {}
    for ticket in Ticket.objects.all():
        key = (ticket.intent, ticket.priority)
        counts[key] = counts.get(key, 0) + 1
    print(
        "triaged as (intent, priority): " + ", ".join(f"{k[0] or '-'}/{k[1]}: {n}" for k, n in sorted(counts.items()))
    )

    remaining = args.budget - (time.perf_counter() - started)
    if remaining < 20:
        print(f"reply generation: skipped (budget of {args.budget:.0f} s used up)")
        return
    settings.SUPPORT_REPLY_MAX_NEW_TOKENS = args.max_new_tokens
    pending = list(ReplySuggestion.objects.filter(status="pending").order_by("pk")[: args.replies])
    ids = [s.pk for s in pending]
    ReplySuggestion.objects.filter(status="pending").exclude(pk__in=ids).update(status="superseded")

    one_seconds, one_tokens = [], 0
    for pk in ids:
        if time.perf_counter() - started > args.budget:
            print("reply generation: stopped early (budget)")
            break
        t0 = time.perf_counter()
        services.suggestions_process(first_id=pk, batch_size=1)
        one_seconds.append(time.perf_counter() - t0)
        one_tokens += ReplySuggestion.objects.get(pk=pk).tokens_out or 0
    done = ids[: len(one_seconds)]
    if not done:
        return
    print(
        f"reply, one prompt per call: median {statistics.median(one_seconds):.1f} s per reply, "
        f"{one_tokens / sum(one_seconds):.1f} tokens/s ({len(done)} replies, at most {args.max_new_tokens} new tokens)"
    )
    if time.perf_counter() - started > args.budget:
        print("reply, batched: skipped (budget)")
        return
    ReplySuggestion.objects.filter(pk__in=done).update(status="pending", claimed_at=None)
    t0 = time.perf_counter()
    services.suggestions_process(batch_size=len(done))
    batch_seconds = time.perf_counter() - t0
    batch_tokens = sum(ReplySuggestion.objects.filter(pk__in=done).values_list("tokens_out", flat=True))
    print(f"reply, {len(done)} prompts in one call: {batch_seconds / len(done):.1f} s per reply, "
          f"{batch_tokens / batch_seconds:.1f} tokens/s; ratio batched / one at a time "
          f"{(batch_tokens / batch_seconds) / (one_tokens / sum(one_seconds)):.2f}x tokens per second")
    sample = ReplySuggestion.objects.get(pk=done[0])
    print(f"sample reply ({sample.ticket.subject!r}, flags: {[f['code'] for f in sample.flags]}):\n"
          + "\n".join("  " + line for line in sample.text.splitlines()))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
