"""The result type shared by the trained and the zero-shot classifier, and its buckets.

A bucket is what the support UI acts on: ``High`` routes automatically, ``Medium``
routes but is worth a glance, ``Low`` means "out of scope / needs a human".
"""

from __future__ import annotations

from dataclasses import dataclass

HIGH = "High"
MEDIUM = "Medium"
LOW = "Low"


@dataclass(frozen=True)
class Prediction:
    """One ticket's best intent, its confidence in [0, 1], and the bucket that confidence falls in."""

    label: str
    confidence: float
    bucket: str
    #: "None of these": the ticket looks like no known intent (``openset.OpenRule``); ``label`` is only the
    #: nearest intent and must not be acted on.
    out_of_scope: bool = False

    @property
    def needs_human(self) -> bool:
        """True below the threshold or out of scope: the label should not be trusted."""
        return self.bucket == LOW or self.out_of_scope


@dataclass(frozen=True)
class Cutoffs:
    """Confidence cut-offs: below ``threshold`` is Low, at or above ``high`` is High, else Medium."""

    threshold: float
    high: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= self.high <= 1.0:
            raise ValueError(f"need 0 <= threshold <= high <= 1, got {self.threshold}, {self.high}")

    def bucket(self, confidence: float) -> str:
        if confidence < self.threshold:
            return LOW
        return HIGH if confidence >= self.high else MEDIUM

    def predictions(self, labels: list[str], confidences: list[float],
                    out_of_scope: list[bool] | None = None) -> list[Prediction]:
        """Wrap parallel label/confidence lists, clipping confidences into [0, 1] against float noise.

        An out-of-scope prediction is always in the Low bucket, whatever its confidence.
        """
        clipped = [min(1.0, max(0.0, float(c))) for c in confidences]
        flags = [bool(flag) for flag in out_of_scope] if out_of_scope is not None else [False] * len(clipped)
        return [Prediction(label, c, LOW if flag else self.bucket(c), flag)
                for label, c, flag in zip(labels, clipped, flags)]
