"""Copy quality of the generation variants, in one run on the same products (the copy harness).

    .venv/bin/python bench/generation_quality.py [--kind ad_description] [--limit 100]
        [--variants generate,fast] [--batch-size 32]

Runs ``manage.py evaluate_copy`` (the copy harness, docs/copy-quality.md) once per variant in
one process, on the same seeded sample of the shared Amazon dev products, with the free strategy
(the model writes; the guarded and planned strategies add their own constraints on top):

- ``generate``: transformers' ``generate``, float32 (the reference);
- ``fast``: the backend's fast decoder (finished rows leave the batch), float32;
- ``bf16``: the fast decoder on bfloat16 weights and compute (``ECOMCMS_TEXT_DTYPE=bfloat16``);
- ``int8``: the fast decoder on ``ECOMCMS_TEXT_QUANTIZE=int8`` weights (float32 activations);
- ``bf16plain``: ``bf16`` without the fast decoder's memory measures (the whole prompt in one pass, a
  KV cache grown by concatenation), the reference for them.

``bf16`` and ``int8`` reload the model from the converted folder, so they run after the float32
variants. Variants can also run in separate processes at the same time (one ``--variants`` each,
e.g. one process per core): the reports land in separate files.

Prints each variant's totals (unsupported claims per draft and chrF with their intervals) and
writes the JSON reports under ``var/eval/generation-quality-VARIANT.json``. Needs a migrated
database (``manage.py migrate``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="ad_description")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default="generate,fast")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    os.environ["ECOMCMS_TEXT_DTYPE"] = "float32"  # generate and fast are the float32 reference; bf16 reloads

    import django

    django.setup()
    import torch
    from django.core.management import call_command
    from transformers import AutoModelForCausalLM

    from content.management.commands.evaluate_copy import render_totals
    from ecomcms import inference
    from ecomcms.inference.transformers_backend import quantize_int8

    generator = inference.get_generator()
    out_dir = ROOT / "var" / "eval"
    reports = {}
    unknown = set(args.variants.split(",")) - {"generate", "fast", "bf16", "int8", "bf16plain"}
    if unknown:
        parser.error(f"unknown variant(s) {sorted(unknown)}: generate, fast, bf16, int8, bf16plain")
    measures = generator.prefill_tokens, generator.kv_preallocate
    # bf16 and int8 change the model: they run last, each on weights reloaded from the converted folder
    for variant in sorted(args.variants.split(","), key=lambda v: v in ("bf16", "int8", "bf16plain")):
        generator.prefill_tokens, generator.kv_preallocate = (0, False) if variant == "bf16plain" else measures
        if variant in ("bf16", "int8", "bf16plain"):
            dtype = torch.bfloat16 if variant.startswith("bf16") else torch.float32
            model = AutoModelForCausalLM.from_pretrained(generator.folder, dtype=dtype, local_files_only=True)
            model = model.to(generator.device).eval()
            generator.model = quantize_int8(model, generator.device) if variant == "int8" else model
            generator.quantize = "int8" if variant == "int8" else "none"
        generator.decoder = "generate" if variant == "generate" else "fast"
        out = out_dir / f"generation-quality-{variant}.json"
        call_command("evaluate_copy", format="amazon2020", kind=args.kind, limit=args.limit, seed=args.seed,
                     strategy="free", batch_size=args.batch_size, json=True, out=str(out), stdout=open(os.devnull, "w"))
        reports[variant] = json.loads(out.read_text())
        print(f"--- {variant} ---")
        print(render_totals(reports[variant]["metrics"]), flush=True)
    if len(reports) > 1:
        first, *others = reports
        texts = [item.get("text") for item in reports[first]["items"]]
        for other in others:
            same = sum(a == item.get("text") for a, item in zip(texts, reports[other]["items"]))
            print(f"identical drafts, {other} vs {first}: {same} of {len(texts)}")


if __name__ == "__main__":
    main()
