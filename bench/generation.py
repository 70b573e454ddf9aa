"""Batched generation (the worker's path) against one prompt at a time, same model, prompts and budget.

    .venv/bin/python bench/generation.py [--batch-size 8] [--max-new-tokens 64] [--rounds 1]

Prints generated tokens per second of each variant and their ratio. The prompts are
the demo products run through the active description template, as the worker builds them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")

import django  # noqa: E402

django.setup()

from content import prompts  # noqa: E402
from content.models import Product, PromptTemplate  # noqa: E402
from ecomcms import inference  # noqa: E402


def demo_prompts(count: int) -> list[inference.ChatPrompt]:
    rows = json.loads((ROOT / "demo" / "products.json").read_text())
    default = prompts.DEFAULT_TEMPLATES["description"]
    template = PromptTemplate(kind="description", version=1, system=default["system"], user=default["user"],
                              options=default["options"], max_chars=default["max_chars"])
    products = [Product(**{k: v for k, v in row.items()}) for row in rows]
    return [prompts.build_prompt(template=template, product=products[i % len(products)]) for i in range(count)]


def run(label: str, batches: list[list[inference.ChatPrompt]], options) -> tuple[int, float]:
    generator = inference.get_generator()
    tokens, started = 0, time.perf_counter()
    for batch in batches:
        tokens += sum(r.tokens_out for r in generator.generate(batch, options))
    seconds = time.perf_counter() - started
    print(f"{label:<28} {len(batches):>3} calls {tokens:>6} tokens {seconds:>8.1f} s {tokens / seconds:>8.1f} tokens/s", flush=True)
    return tokens, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1, help="batches per variant")
    args = parser.parse_args()

    options = inference.GenerationOptions(max_new_tokens=args.max_new_tokens)
    items = demo_prompts(args.batch_size * args.rounds)
    started = time.perf_counter()
    generator = inference.get_generator()
    print(f"model: {generator.model_id}, loaded in {time.perf_counter() - started:.1f} s; "
          f"{len(items)} prompts, {args.max_new_tokens} new tokens at most, greedy")
    generator.generate(items[:1], inference.GenerationOptions(max_new_tokens=4))  # warm-up

    one_tokens, one_seconds = run("one prompt at a time", [[p] for p in items], options)
    batch_tokens, batch_seconds = run(f"batched ({args.batch_size} per call)",
                                      [items[i:i + args.batch_size] for i in range(0, len(items), args.batch_size)], options)
    ratio = (batch_tokens / batch_seconds) / (one_tokens / one_seconds)
    print(f"ratio batched / one at a time: {ratio:.2f}x tokens per second")


if __name__ == "__main__":
    main()
