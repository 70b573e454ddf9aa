"""What each purpose brings to fine-tuning: data, a trainer, evaluation, and the gate (registered by the apps).

The runtime never imports an app: an app registers its purpose in ``AppConfig.ready()``:

    finetune.registry.register(Purpose(
        name="content.copy", label="Product copy", dataset=..., evaluate=..., gate=...))

- ``dataset(parameters) -> Dataset``: the training and held-out examples (split once, by the app,
  with a seed; the held-out items are never trained on) and their counts by source.
- ``trainer(train, output, parameters, on_step) -> TrainingResult``: trains on ``Dataset.train``
  and writes the artifact into the folder ``output``; ``on_step(step, steps, loss)`` records
  progress. ``None`` (the default) is LoRA on the text model (``ecomcms.finetune.lora``, whose
  ``Example`` the training items then are); a purpose with another kind of model (the support
  intent classifier) brings its own, with its parameters' ``defaults``.
- ``evaluate(held_out, path) -> dict``: metrics of the model whose artifact is at ``path`` ("" = what
  the purpose uses with no active version: the base model) on the held-out items.
- ``gate(active, candidate) -> (passed, reasons)``: whether the candidate may replace the active model.
- ``shown_metrics``: ``(label, key)`` rows of the admin's side-by-side comparison (default: every
  number in the metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecomcms.finetune.lora import Example


@dataclass
class Dataset:
    train: Sequence[Example] | Sequence[Any]  # LoRA examples, or whatever the purpose's trainer takes
    held_out: Sequence[Any]  # whatever ``evaluate`` takes
    counts: dict = field(default_factory=dict)


@dataclass
class TrainingResult:
    steps: int
    examples: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # one per optimizer step (may be empty)
    base_model: str = ""  # what the artifact was trained on top of (text model, embedding model)

    @property
    def seconds_per_100(self) -> float:
        return 100 * self.seconds / max(self.examples, 1)


OnStep = Callable[[int, int, float], None]
Trainer = Callable[[Sequence[Any], Path, dict, OnStep], TrainingResult]


@dataclass(frozen=True)
class Purpose:
    name: str
    label: str
    dataset: Callable[[dict], Dataset]
    evaluate: Callable[[Sequence[Any], str], dict]
    gate: Callable[[dict, dict], tuple[bool, list[str]]]
    trainer: Trainer | None = None  # None: a LoRA adapter of the text model
    defaults: Mapping[str, Any] = field(default_factory=dict)  # the trainer's parameters (LoRA's when None)
    shown_metrics: tuple[tuple[str, str], ...] = ()

    @property
    def is_lora(self) -> bool:
        return self.trainer is None


_purposes: dict[str, Purpose] = {}


class UnknownPurpose(KeyError):
    pass


def register(purpose: Purpose) -> Purpose:
    _purposes[purpose.name] = purpose
    return purpose


def purpose_get(name: str) -> Purpose:
    try:
        return _purposes[name]
    except KeyError:
        raise UnknownPurpose(
            f"no fine-tuning purpose {name!r} (registered: {', '.join(sorted(_purposes)) or 'none'})"
        ) from None


def purposes() -> list[Purpose]:
    return [_purposes[name] for name in sorted(_purposes)]
