"""Train a LoRA adapter on chat examples: the loss is on the target tokens only.

A plain loop (AdamW, gradient accumulation, a linear warm-up and decay) instead of ``Trainer``:
fewer moving parts on CPU, and a progress callback after every optimizer step.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecomcms.finetune.registry import TrainingResult
from ecomcms.inference.base import ChatPrompt

__all__ = ["DEFAULTS", "Example", "TrainingResult", "parameters_with_defaults", "train"]

DEFAULTS = {
    "r": 16, "alpha": 32, "dropout": 0.05, "learning_rate": 3e-4, "epochs": 1, "batch_size": 4,
    "accumulation": 1, "max_length": 384, "seed": 0, "warmup": 0.1,
    "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}


@dataclass(frozen=True)
class Example:
    prompt: ChatPrompt
    target: str


def parameters_with_defaults(parameters: dict | None) -> dict:
    merged = DEFAULTS | {k: v for k, v in (parameters or {}).items() if k in DEFAULTS}
    merged["target_modules"] = list(merged["target_modules"])
    return merged


def _encode(tokenizer, example: Example, max_length: int) -> tuple[list[int], list[int]]:
    prompt = tokenizer.apply_chat_template(example.prompt.messages(), tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    target_ids = tokenizer(example.target, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        target_ids = target_ids + [tokenizer.eos_token_id]
    keep_target = min(len(target_ids), max(max_length // 2, max_length - len(prompt_ids)))
    target_ids = target_ids[:keep_target]
    prompt_ids = prompt_ids[-(max_length - len(target_ids)):] if max_length > len(target_ids) else []
    return prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids


def train(folder: Path, examples: Sequence[Example], output: Path, parameters: dict | None = None, *,
          threads: int = 0, on_step: Callable[[int, int, float], None] | None = None) -> TrainingResult:
    """Train an adapter for the model in ``folder`` and save it (adapter files only) in ``output``.

    ``on_step(step, steps, loss)`` is called after every optimizer step (for progress records).
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not examples:
        raise ValueError("no training examples")
    p = parameters_with_defaults(parameters)
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(p["seed"])
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True)
    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [m for m in p["target_modules"] if m in present] or None
    model = get_peft_model(model, LoraConfig(r=p["r"], lora_alpha=p["alpha"], lora_dropout=p["dropout"],
                                             target_modules=targets, task_type="CAUSAL_LM"))
    model.train()
    encoded = [_encode(tokenizer, e, p["max_length"]) for e in examples]
    batches_per_epoch = math.ceil(len(encoded) / p["batch_size"])
    steps = max(1, math.ceil(batches_per_epoch * p["epochs"] / p["accumulation"]))
    optimizer = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=p["learning_rate"])
    warmup = max(1, int(steps * p["warmup"]))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(steps - warmup, 1))))
    rng = random.Random(p["seed"])
    result = TrainingResult(steps=steps, examples=len(encoded) * p["epochs"], seconds=0.0)
    step, accumulated, running = 0, 0, []
    for _ in range(p["epochs"]):
        order = list(range(len(encoded)))
        rng.shuffle(order)
        for start in range(0, len(order), p["batch_size"]):
            batch = [encoded[i] for i in order[start:start + p["batch_size"]]]
            width = max(len(ids) for ids, _ in batch)
            input_ids = torch.tensor([ids + [pad_id] * (width - len(ids)) for ids, _ in batch])
            labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
            mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            (loss / p["accumulation"]).backward()
            running.append(float(loss.detach()))
            accumulated += 1
            if accumulated == p["accumulation"]:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                step += 1
                accumulated = 0
                mean = sum(running) / len(running)
                running = []
                result.losses.append(round(mean, 4))
                if on_step:
                    on_step(step, steps, mean)
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output)
    result.steps = step
    result.seconds = time.perf_counter() - started
    return result
