"""Generation throughput on this machine: the product's layouts against one at a time and llama.cpp.

    .venv/bin/python bench/generation.py [--quick] [--prompts 32] [--max-new-tokens 128] [--rounds 2]
        [--layouts 2x1x32,2x1x16:fp32,1x2x32,2x1x32:int8,1x2x16:generate] [--no-llama] [--no-scoring]
        (default 64 prompts: each of 2 processes fills its batches of 32)

Every variant runs in fresh processes on the same prompts (the demo products through the
description template, as the worker builds them) with the same token budget, greedy:

- one prompt at a time (1 process, the configured threads, batch 1), on a quarter of the prompts;
- the worker's batched path at its configured batch (ECOMCMS_GENERATION_BATCH_SIZE), threads and
  dtype (ECOMCMS_TEXT_DTYPE);
- layouts PxTxB: P worker processes of T torch threads each, each generating its share of the
  prompts in batches of B (what P generation workers on one queue do), in the configured dtype;
  ``:bf16`` / ``:fp32`` force bfloat16 / float32 weights and compute, ``:int8`` dynamic int8
  quantization of the linear layers (ECOMCMS_TEXT_QUANTIZE=int8, float32), ``:generate``
  transformers' ``generate`` instead of the backend's fast decoder (the reference), ``:plain`` the
  fast decoder without its memory measures (the whole prompt in one pass, a KV cache grown by
  concatenation: what it did before they were added). The default set
  (also ``--quick``): ``default_layouts`` below;
- llama.cpp (llama-cpp-python) on the same GGUF, one stream per process, 1xcores and coresx1,
  when it is installed (otherwise the bench says it skipped it; docs/performance.md says how to
  build it).

Every variant runs once per round, in alternating order (ABBA...), so drifting load hits all of
them alike. Prints tokens/s per run, then per variant the median and range over the rounds and
the peak RSS per process, and the ratios computed within each round (median and range). The
machine may be shared: compare ratios within one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
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

def _product_process(share, options, threads, batch, quantize, decoder, dtype, barrier, results):
    os.environ["ECOMCMS_TORCH_THREADS"] = str(threads)
    os.environ["ECOMCMS_TEXT_QUANTIZE"] = quantize
    os.environ["ECOMCMS_TEXT_DTYPE"] = dtype
    import django

    django.setup()
    from ecomcms import inference

    generator = inference.get_generator()
    if decoder == "plain":  # the fast decoder without its memory measures (the comparison's reference)
        generator.decoder, generator.prefill_tokens, generator.kv_preallocate = "fast", 0, False
    else:
        generator.decoder = decoder
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
    # The planned strategy reads the database (active adapters, vocabularies): a fresh, migrated SQLite file of its
    # own, so the figure does not depend on the checkout's database having been set up.
    folder = tempfile.mkdtemp(prefix="ecomcms-bench-scoring-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
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
    shutil.rmtree(folder, ignore_errors=True)
    results.put((batched, single, per_draft))


def run_layout(label, target, prompts, processes, threads, batch, *args, quiet=False) -> Result:
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
    if not quiet:
        print(f"  {label:<34} {processes}x{threads}x{batch:<3} {len(prompts):>4} prompts {tokens:>6} tokens "
              f"{seconds:>7.1f} s {result.speed:>7.1f} tokens/s  peak RSS {result.rss_mb:>5.0f} MB, "
              f"PSS {result.pss_mb:>5.0f} MB", flush=True)
    return result


@dataclass(frozen=True)
class Variant:
    key: str  # PxTxB[:int8|:bf16|:fp32][:generate], "one at a time", "llama.cpp PxT"
    processes: int
    threads: int
    batch: int
    quantize: str = "none"
    dtype: str = "float32"
    decoder: str = "fast"
    llama: bool = False
    share: float = 1.0  # of the prompts

    def run(self, prompts, options, gguf) -> Result:
        chosen = prompts[: max(self.processes, int(len(prompts) * self.share))]
        if self.llama:
            return run_layout(self.key, _llama_process, chosen, self.processes, self.threads, 1,
                              options | {"repetition_penalty": 1.1}, self.threads, gguf)
        return run_layout(self.key, _product_process, chosen, self.processes, self.threads, self.batch,
                          options, self.threads, self.batch, self.quantize, self.decoder, self.dtype)


def parse_layout(text: str, dtype: str = "float32") -> Variant:
    """``PxTxB`` with optional ``:bf16`` / ``:fp32`` (ECOMCMS_TEXT_DTYPE; default ``dtype``, the
    configured one), ``:int8`` (ECOMCMS_TEXT_QUANTIZE=int8, float32) and ``:generate``
    (transformers' ``generate`` instead of the fast decoder): processes, torch threads each, batch."""
    shape, *flags = text.strip().lower().split(":")
    try:
        processes, threads, batch = (int(part) for part in shape.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a layout is PROCESSESxTHREADSxBATCH[:bf16|:fp32][:int8][:generate|:plain], e.g. 1x2x16; got {text!r}"
        ) from None
    unknown = set(flags) - {"int8", "generate", "plain", "none", "bf16", "fp32"}
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown flag {sorted(unknown)[0]!r} in {text!r}: bf16, fp32, int8, generate or plain")
    if "bf16" in flags:
        dtype = "bfloat16"
    if "fp32" in flags or "int8" in flags:
        dtype = "float32"
    return Variant(text.strip().lower(), processes, threads, batch, "int8" if "int8" in flags else "none",
                   dtype, "generate" if "generate" in flags else "plain" if "plain" in flags else "fast")


def gguf_path() -> str | None:
    import django

    django.setup()
    from django.conf import settings

    from ecomcms.inference.sources import text_model_source

    source = text_model_source(settings.ECOMCMS_TEXT_MODEL)
    return str(source.path / source.gguf_file) if source.is_gguf else None


def default_layouts(cores: int) -> str:
    """The layouts the bench compares by default (and ``--quick``): what ``make run`` uses (one process
    per core, one thread, batch 32, the configured dtype: bfloat16 by default), the same without the
    decoder's memory measures (``:plain``), its batch at 16, one process of every core, and the float32
    layout ``make run`` used before (``Cx1x16:fp32``). Each process needs at least B prompts for its
    batches to be full: see ``--prompts``."""
    return f"{cores}x1x32,{cores}x1x32:plain,{cores}x1x16,1x{cores}x32,{cores}x1x16:fp32"


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _spread(values, digits: int = 1) -> str:
    if len(values) == 1:
        return f"{values[0]:7.{digits}f}"
    return f"{_median(values):7.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = os.cpu_count() or 1
    parser.add_argument("--quick", action="store_true",
                        help="one round, 64 new tokens (the same table, several minutes)")
    parser.add_argument("--prompts", type=int, default=None,
                        help="prompts per variant (default 64: full batches of 32 in each of 2 processes; one "
                             "at a time gets a quarter)")
    parser.add_argument("--max-new-tokens", type=int, default=None, help="default 128 (the description's budget), "
                                                                         "--quick 64")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of every variant, in alternating order (ABBA), default 2, --quick 1")
    parser.add_argument("--layouts", default=None,
                        help="comma-separated PROCESSESxTHREADSxBATCH[:bf16|:fp32][:int8][:generate]; default: "
                             + default_layouts(cores))
    parser.add_argument("--no-llama", action="store_true", help="skip llama.cpp even when it is installed")
    parser.add_argument("--no-scoring", action="store_true", help="skip the scoring and planned-draft figures")
    args = parser.parse_args()
    prompt_count = args.prompts or 64
    max_new_tokens = args.max_new_tokens or (64 if args.quick else 128)
    rounds = args.rounds or (1 if args.quick else 2)

    from django.conf import settings

    prompts = demo_prompts(prompt_count)
    options = {"max_new_tokens": max_new_tokens}
    threads = settings.ECOMCMS_TORCH_THREADS or cores
    configured_batch = settings.ECOMCMS_GENERATION_BATCH_SIZE
    configured_quantize = getattr(settings, "ECOMCMS_TEXT_QUANTIZE", "none")
    from ecomcms.inference.transformers_backend import resolve_device, resolve_dtype

    configured_dtype = resolve_dtype(settings.ECOMCMS_TEXT_DTYPE, resolve_device(settings.ECOMCMS_DEVICE))
    print(f"{cores} cores, {len(prompts)} prompts, {max_new_tokens} new tokens at most, greedy, {rounds} round(s); "
          f"model {settings.ECOMCMS_TEXT_MODEL}; configured: {threads} threads, batch {configured_batch}, "
          f"dtype {configured_dtype}, quantize {configured_quantize}; load average {os.getloadavg()[0]:.1f}",
          flush=True)

    one = Variant("one at a time", 1, threads, 1, configured_quantize, configured_dtype, share=0.25)
    worker = Variant(f"worker as configured 1x{threads}x{configured_batch}", 1, threads, configured_batch,
                     configured_quantize, configured_dtype)
    layouts = [parse_layout(text, configured_dtype) for text in (args.layouts or default_layouts(cores)).split(",")]
    shapes = {(1, threads, configured_batch, configured_quantize, configured_dtype, "fast")}  # the worker's row
    unique = []
    for v in layouts:  # e.g. 2x1x16 and 2x1x16:fp32 where the configured dtype is float32
        shape = (v.processes, v.threads, v.batch, v.quantize, v.dtype, v.decoder)
        if shape not in shapes:
            shapes.add(shape)
            unique.append(v)
    layouts = unique
    variants = [one, worker, *layouts]

    gguf = gguf_path()
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        print("llama.cpp: skipped (llama-cpp-python is not installed; docs/performance.md says how to build it)")
    else:
        if args.no_llama or not gguf:
            print("llama.cpp: skipped (" + ("--no-llama" if args.no_llama else "the text model is not a GGUF") + ")")
        else:
            variants += [Variant(f"llama.cpp {p}x{t}", p, t, 1, llama=True)
                         for p, t in sorted({(1, cores), (cores, 1)})]

    results: dict[str, list[Result]] = {v.key: [] for v in variants}
    for round_ in range(rounds):
        print(f"round {round_ + 1} of {rounds}", flush=True)
        for variant in variants if round_ % 2 == 0 else reversed(variants):
            results[variant.key].append(variant.run(prompts, options, gguf))

    if not args.no_scoring:
        _report_scoring(prompts, threads)

    speed = {key: [r.speed for r in rows] for key, rows in results.items()}
    print()
    print(f"{'variant':<38} {'tokens/s median [min-max]':<28} peak RSS per process")
    for key, rows in results.items():
        print(f"{key:<38} {_spread(speed[key]):<28} {max(r.rss_mb for r in rows):5.0f} MB")

    def ratio(a: str, b: str) -> str:
        per_round = [x / y for x, y in zip(speed[a], speed[b]) if y]
        return _spread(per_round, 2).strip() + "x"

    product = [v.key for v in variants if not v.llama and v is not one]
    best = max(product, key=lambda k: _median(speed[k]))
    kept = [k for k in product if ":int8" not in k and ":generate" not in k and ":plain" not in k]
    best_kept = max(kept, key=lambda k: _median(speed[k]))
    float32 = [v.key for v in variants if not v.llama and v is not one and v.dtype == "float32"
               and v.quantize == "none" and v.decoder == "fast"]
    print()
    print("ratios (per round, median [min-max]):")
    print(f"worker as configured / one at a time: {ratio(worker.key, one.key)}")
    if any(":generate" in k for k in product):
        reference = next(k for k in product if ":generate" in k)
        print(f"worker as configured (fast decoder) / {reference}: {ratio(worker.key, reference)}")
    print(f"best product layout ({best_kept}) / one at a time: {ratio(best_kept, one.key)}")
    if float32 and best_kept not in float32:
        best_float32 = max(float32, key=lambda k: _median(speed[k]))
        print(f"best product layout / best float32 layout ({best_float32}): {ratio(best_kept, best_float32)}")
    if best != best_kept:
        print(f"fastest row overall: {best} (not kept: see docs/performance.md)")
    llama = [v.key for v in variants if v.llama]
    if llama:
        llama_best = max(llama, key=lambda k: _median(speed[k]))
        print(f"llama.cpp best ({llama_best}): {_median(speed[llama_best]):.1f} tokens/s")
        print(f"best product layout / llama.cpp best: {ratio(best_kept, llama_best)} (goal >= 1.5x)")
        print(f"worker as configured / llama.cpp best: {ratio(worker.key, llama_best)}")
    rss = max(r.rss_mb for r in results[best_kept])
    plain = f"{best_kept}:plain"
    if plain in results:
        before = max(r.rss_mb for r in results[plain])
        print(f"peak RSS, best product layout / the same without the decoder's memory measures ({plain}): "
              f"{rss:.0f} / {before:.0f} MB = {rss / before:.2f}x; tokens/s {ratio(best_kept, plain)}")
    print(f"peak RSS per generation process, best product layout: {rss:.0f} MB (goal < 1024 MB)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def _report_scoring(prompts, threads) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(1), context.Queue()
    process = context.Process(target=_scorer_process, args=(prompts[:8], threads, barrier, queue))
    process.start()
    scoring = queue.get(timeout=3600)
    process.join()
    if scoring is None:
        print("scoring: skipped (the text backend has no score capability)")
        return
    batched, single, per_draft = scoring
    print(f"scoring candidates (1x{threads}): batched {batched:.1f}/s, one at a time {single:.1f}/s "
          f"({batched / single:.2f}x); planned description drafts end to end: {per_draft:.2f} s per draft",
          flush=True)


if __name__ == "__main__":
    main()
