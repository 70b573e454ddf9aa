"""Deterministic stand-ins for fast unit tests of the code around the models.

They prove nothing about generation quality; tests of the models themselves use
the real backends.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ecomcms.inference.base import (
    ChatPrompt,
    Embeddings,
    Generation,
    GenerationOptions,
    Grounding,
    Score,
    normalize_rows,
)


class FakeGenerator:
    """Echoes a fixed sentence built from the prompt, so tests can predict the output."""

    model_id = "fake-generator"
    load_seconds = convert_seconds = 0.0
    parameters = 0
    supports_grounding = True

    def __init__(self, *args, **kwargs):
        self.calls: list[list[ChatPrompt]] = []
        self.options: list[GenerationOptions] = []  # one per call: what was asked for (temperature, adapter ...)
        self.groundings: list[list[Grounding | None] | None] = []
        self.scored: list[tuple[list, list[str]]] = []

    def score(self, contexts: list[ChatPrompt | str], candidates: list[str]) -> list[Score]:
        """Shorter candidates score higher (-0.1 per character); ties keep the candidates' order."""
        if len(contexts) != len(candidates):
            raise ValueError("one context per candidate")
        self.scored.append((list(contexts), list(candidates)))
        return [Score(logprob=-0.1 * len(c), tokens=max(len(c.split()), 1)) for c in candidates]

    def generate(self, prompts: list[ChatPrompt], options: GenerationOptions,
                 groundings: list[Grounding | None] | None = None) -> list[Generation]:
        self.calls.append(list(prompts))
        self.options.append(options)
        self.groundings.append(list(groundings) if groundings is not None else None)
        return [
            Generation(
                text=f"Generated copy for: {p.user[:200]}",
                model_id=self.model_id,
                tokens_in=len(p.user.split()),
                tokens_out=5,
                seconds=0.0,
                batch_size=len(prompts),
                grounded=bool(groundings and groundings[i] is not None),
            )
            for i, p in enumerate(prompts)
        ]


class FakeEmbedder:
    """Hashed bag of words: texts sharing words get similar vectors."""

    model_id = "fake-embedder"
    load_seconds = convert_seconds = 0.0
    parameters = 0
    dimensions = 64

    def __init__(self, *args, **kwargs):
        pass

    def embed(self, texts: list[str]) -> Embeddings:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimensions
                vectors[row, bucket] += 1.0
        return Embeddings(vectors=normalize_rows(vectors), model_id=self.model_id)
