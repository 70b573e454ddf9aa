"""What each purpose brings to fine-tuning: data, evaluation, and the gate (registered by the apps).

The runtime never imports an app: an app registers its purpose in ``AppConfig.ready()``:

    finetune.registry.register(Purpose(
        name="content.copy", dataset=..., evaluate=..., gate=...))

- ``dataset(parameters) -> Dataset``: the training and held-out examples (split once, by the app,
  with a seed; the held-out items are never trained on) and their counts by source.
- ``evaluate(held_out, adapter_path) -> dict``: metrics of the model with that adapter ("" = the
  base model) on the held-out items.
- ``gate(base, adapter) -> (passed, reasons)``: whether the adapter may replace the active model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecomcms.finetune.lora import Example


@dataclass
class Dataset:
    train: Sequence[Example]
    held_out: Sequence[Any]  # whatever ``evaluate`` takes
    counts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Purpose:
    name: str
    label: str
    dataset: Callable[[dict], Dataset]
    evaluate: Callable[[Sequence[Any], str], dict]
    gate: Callable[[dict, dict], tuple[bool, list[str]]]


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
