"""Generation throughput on this machine: the product's layouts against one at a time and llama.cpp.

    .venv/bin/python bench/generation.py [--prompts 32] [--max-new-tokens 64]
        [--layouts 1x2x8,1x2x16,2x1x8,4x1x8,1x2x16:int8] [--no-llama]

Every variant runs in fresh processes on the same prompts (the demo products through the
description template, as the worker builds them) with the same token budget, greedy:

- one prompt at a time (1 process, every core, batch 1), on a quarter of the prompts;
- the worker's batched path at its configured batch (ECOMCMS_GENERATION_BATCH_SIZE) and threads;
- layouts PxTxB: P worker processes of T torch threads each, each generating its share of the
  prompts in batches of B (what P generation workers on one queue do; the 1, 2 and 4 process
  rows are the scale-out figures); PxTxB:int8 with dynamic int8 quantization of the linear
  layers (ECOMCMS_TEXT_QUANTIZE=int8);
- llama.cpp (llama-cpp-python) on the same GGUF, one stream per process, 1x2 and 2x1, when it is
  installed (otherwise the bench says it skipped it; docs/performance.md says how to build it).

Prints aggregate generated tokens per second (all processes, first start to last end), the peak
RSS of the largest process, and the ratios. The machine may be shared: compare ratios within one
run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")


@dataclass
class Result:
    label: str
    processes: int
    threads: int
    batch: int
    tokens: int
    seconds: float
    rss_mb: float
    pss_mb: float
    prompts: int

    @property
    def speed(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def demo_prompts(count: int) -> list[dict]:
    """The description prompts of the demo products, as the worker builds them (plain dicts)."""
    import django

    django.setup()
    from content import prompts
    from content.models import Product, PromptTemplate

    rows = json.loads((ROOT / "demo" / "products.json").read_text())
    default = prompts.DEFAULT_TEMPLATES["description"]
    template = PromptTemplate(kind="description", version=1, system=default["system"], user=default["user"],
                              options=default["options"], max_chars=default["max_chars"])
    products = [Product(**dict(row)) for row in rows]
    built = [prompts.build_prompt(template=template, product=products[i % len(products)]) for i in range(count)]
    return [{"system": p.system, "user": p.user} for p in built]


def _memory_mb() -> tuple[float, float]:
    """Peak RSS, and PSS now: the weights are a read-only mapping of the model file that every
    worker process on the host shares, which RSS counts in full in each and PSS divides."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    try:
        import psutil

        pss = psutil.Process().memory_full_info().pss / 2**20
    except (ImportError, AttributeError, OSError):
        pss = float("nan")
    return peak, pss


# --- one process of a layout (spawned: a fresh interpreter, as a worker's pool process) ---------

def _product_process(share, options, threads, batch, quantize, barrier, results):
    os.environ["ECOMCMS_TORCH_THREADS"] = str(threads)
    os.environ["ECOMCMS_TEXT_QUANTIZE"] = quantize
    import django

    django.setup()
    from ecomcms import inference

    generator = inference.get_generator()
    prompts = [inference.ChatPrompt(**p) for p in share]
    generator.generate(prompts[:1], inference.GenerationOptions(max_new_tokens=4))  # warm-up
    barrier.wait()
    started, tokens = time.perf_counter(), 0
    for i in range(0, len(prompts), batch):
        tokens += sum(
            r.tokens_out for r in generator.generate(prompts[i : i + batch], inference.GenerationOptions(**options))
        )
    results.put((tokens, started, time.perf_counter(), *_memory_mb()))


def _llama_process(share, options, threads, gguf, barrier, results):
    from llama_cpp import Llama

    llm = Llama(model_path=gguf, n_threads=threads, n_threads_batch=threads, n_ctx=1024, n_batch=512, verbose=False)
    def complete(prompt, max_tokens):
        messages = [{"role": "system", "content": prompt["system"]}, {"role": "user", "content": prompt["user"]}]
        answer = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0,
                                            repeat_penalty=options["repetition_penalty"], seed=0)
        return answer["usage"]["completion_tokens"]
    complete(share[0], 4)  # warm-up
    barrier.wait()
    started = time.perf_counter()
    tokens = sum(complete(p, options["max_new_tokens"]) for p in share)
    results.put((tokens, started, time.perf_counter(), *_memory_mb()))


def _scorer_process(share, threads, barrier, results):
    """Candidates scored per second (the planned copy's ranking), batched against one at a time,
    and seconds per planned draft end to end (content.generation, as the worker writes it)."""
    os.environ["ECOMCMS_TORCH_THREADS"] = str(threads)
    import django

    django.setup()
    from content import generation
    from content.models import Product, PromptTemplate
    from ecomcms import inference

    generator = inference.get_generator()
    if not callable(getattr(generator, "score", None)):
        results.put(None)
        return
    contexts, candidates = [], []
    for prompt in share:
        title = prompt["user"].split("Title: ", 1)[-1].split("\n", 1)[0]
        for sentence in (f"The {title} is a practical choice.", f"Meet the {title}.",
                         f"The {title} is made to last.", f"With the {title}, everyday use is easy."):
            contexts.append(inference.ChatPrompt(**prompt))
            candidates.append(sentence)
    generator.score(contexts[:2], candidates[:2])  # warm-up
    barrier.wait()
    started = time.perf_counter()
    generator.score(contexts, candidates)
    batched = len(candidates) / (time.perf_counter() - started)
    started = time.perf_counter()
    for context, candidate in zip(contexts[:8], candidates[:8]):
        generator.score([context], [candidate])
    single = 8 / (time.perf_counter() - started)
    per_draft = float("nan")
    try:
        rows = json.loads((ROOT / "demo" / "products.json").read_text())
        template = PromptTemplate(kind="description", version=1, system="", user="", options={}, max_chars=1000,
                                  strategy="planned")
        requests = [generation.CopyRequest(product=Product(**dict(row))) for row in rows[:8]]
        started = time.perf_counter()
        generation.copy_generate_batch(template=template, requests=requests, strategy="planned")
        per_draft = (time.perf_counter() - started) / len(requests)
    except Exception as exc:  # the planned strategy may need the database (vocabularies): say so
        print(f"planned drafts end to end: skipped ({type(exc).__name__}: {exc})", flush=True)
    results.put((batched, single, per_draft))


def run_layout(label, target, prompts, processes, threads, batch, *args) -> Result:
    """Start ``processes`` fresh processes, give each its share of ``prompts``, time them together."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    shares = [prompts[i::processes] for i in range(processes)]
    workers = [context.Process(target=target, args=(share, *args, barrier, results)) for share in shares]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    tokens = sum(o[0] for o in outcomes)
    seconds = max(o[2] for o in outcomes) - min(o[1] for o in outcomes)
    result = Result(label, processes, threads, batch, tokens, seconds, max(o[3] for o in outcomes),
                    max(o[4] for o in outcomes), len(prompts))
    print(f"{label:<30} {processes}x{threads}x{batch:<3} {len(prompts):>4} prompts {tokens:>6} tokens "
          f"{seconds:>7.1f} s {result.speed:>7.1f} tokens/s  per process: peak RSS {result.rss_mb:>5.0f} MB, "
          f"PSS {result.pss_mb:>5.0f} MB", flush=True)
    return result


def parse_layout(text: str) -> tuple[int, int, int, str]:
    """``PxTxB`` or ``PxTxB:int8``: processes, torch threads each, batch, quantization."""
    shape, _, quantize = text.strip().lower().partition(":")
    try:
        processes, threads, batch = (int(part) for part in shape.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a layout is PROCESSESxTHREADSxBATCH[:int8], e.g. 1x2x16; got {text!r}"
        ) from None
    if quantize not in {"", "none", "int8"}:
        raise argparse.ArgumentTypeError(f"unknown quantization {quantize!r} in {text!r}: none or int8")
    return processes, threads, batch, quantize or "none"


def gguf_path() -> str | None:
    import django

    django.setup()
    from django.conf import settings

    from ecomcms.inference.sources import text_model_source

    source = text_model_source(settings.ECOMCMS_TEXT_MODEL)
    return str(source.path / source.gguf_file) if source.is_gguf else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = os.cpu_count() or 1
    parser.add_argument("--prompts", type=int, default=32, help="prompts per variant (one at a time: a quarter)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--layouts", default=f"1x{cores}x8,1x{cores}x16,1x{cores}x32,{cores}x1x8,{cores}x1x16,4x1x8,"
                                              f"1x{cores}x16:int8",
                        help="comma-separated PROCESSESxTHREADSxBATCH[:int8]")
    parser.add_argument("--no-llama", action="store_true", help="skip llama.cpp even when it is installed")
    args = parser.parse_args()

    from django.conf import settings

    prompts = demo_prompts(args.prompts)
    options = {"max_new_tokens": args.max_new_tokens}
    defaults = {"repetition_penalty": 1.1}
    threads = settings.ECOMCMS_TORCH_THREADS or cores
    configured_batch = settings.ECOMCMS_GENERATION_BATCH_SIZE
    configured_quantize = getattr(settings, "ECOMCMS_TEXT_QUANTIZE", "none")
    print(f"{cores} cores, {len(prompts)} prompts, {args.max_new_tokens} new tokens at most, greedy; "
          f"model {settings.ECOMCMS_TEXT_MODEL}; configured: {threads} threads, batch {configured_batch}, "
          f"quantize {configured_quantize}", flush=True)

    results: dict[str, Result] = {}
    one = run_layout("one prompt at a time", _product_process, prompts[:max(1, len(prompts) // 4)], 1, threads, 1,
                     options, threads, 1, configured_quantize)
    worker = run_layout(f"worker as configured ({configured_quantize})", _product_process, prompts, 1, threads,
                        configured_batch, options, threads, configured_batch, configured_quantize)
    for layout in args.layouts.split(","):
        p, t, b, quantize = parse_layout(layout)
        label = f"layout{' int8' if quantize == 'int8' else ''}"
        results[f"{p}x{t}x{b}{':int8' if quantize == 'int8' else ''}"] = run_layout(
            label, _product_process, prompts, p, t, b, options, t, b, quantize)

    llama: dict[str, Result] = {}
    gguf = gguf_path()
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        print("llama.cpp: skipped (llama-cpp-python is not installed; docs/performance.md says how to build it)")
    else:
        if args.no_llama or not gguf:
            print(
                "llama.cpp: skipped (" + ("--no-llama" if args.no_llama else "the text model is not a GGUF file") + ")"
            )
        else:
            for p, t in sorted({(1, cores), (max(1, cores), 1)}):
                llama[f"{p}x{t}"] = run_layout("llama.cpp", _llama_process, prompts, p, t, 1,
                                               options | defaults, t, gguf)

    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(1), context.Queue()
    process = context.Process(target=_scorer_process, args=(prompts[:8], threads, barrier, queue))
    process.start()
    scoring = queue.get(timeout=3600)
    process.join()
    if scoring is None:
        print("scoring: skipped (the text backend has no score capability)")
    else:
        batched, single, per_draft = scoring
        print(
            f"scoring candidates (1x{threads}): batched {batched:.1f}/s, one at a time {single:.1f}/s "
            f"({batched / single:.2f}x); planned description drafts end to end: {per_draft:.2f} s per draft",
            flush=True,
        )

    best_key = max(results, key=lambda k: results[k].speed) if results else None
    best = results[best_key] if best_key else worker
    print()
    print(f"worker as configured / one at a time: {worker.speed / one.speed:.2f}x")
    print(f"best layout ({best_key}) / one at a time: {best.speed / one.speed:.2f}x")
    print(f"best layout / worker as configured: {best.speed / worker.speed:.2f}x")
    by_processes = {r.processes: r for r in sorted(results.values(), key=lambda r: r.speed)}
    if len(by_processes) > 1:
        base = by_processes.get(1)
        for processes, result in sorted(by_processes.items()):
            scale = f" ({result.speed / base.speed:.2f}x of 1 process)" if base else ""
            print(f"best with {processes} process(es): {result.speed:.1f} tokens/s{scale}")
    if llama:
        llama_key = max(llama, key=lambda k: llama[k].speed)
        print(f"llama.cpp best ({llama_key}): {llama[llama_key].speed:.1f} tokens/s")
        print(f"best layout / llama.cpp best: {best.speed / llama[llama_key].speed:.2f}x (goal >= 1.5x)")
        print(f"worker as configured / llama.cpp best: {worker.speed / llama[llama_key].speed:.2f}x")
    print(f"per generation process, best layout: peak RSS {best.rss_mb:.0f} MB (goal < 1024 MB), "
          f"PSS {best.pss_mb:.0f} MB (the model file's pages shared between processes counted once)")


if __name__ == "__main__":
    main()
