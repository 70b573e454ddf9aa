"""The two small, batch-first interfaces every model backend implements.

Services talk to these types only; torch and transformers stay inside the backend
modules, so a web process that never runs a model never imports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np


class ModelError(Exception):
    """A model could not be loaded or run. ``permanent`` errors are not worth a retry."""

    def __init__(self, message: str, *, permanent: bool = True):
        super().__init__(message)
        self.permanent = permanent


class ModelUnavailable(ModelError):
    """The model's files or package are missing; the message says what to install or set."""


@dataclass(frozen=True)
class ChatPrompt:
    """One conversation to complete: a system instruction and the user's message."""

    system: str
    user: str

    def messages(self) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        return messages + [{"role": "user", "content": self.user}]


@dataclass(frozen=True)
class GenerationOptions:
    """How to decode. ``temperature == 0`` means greedy (deterministic) decoding.

    The defaults are what worked best for SmolLM2-135M-Instruct in a small trial:
    greedy with a mild repetition penalty and no repeated trigrams, which stops the
    model's loops without hurting fluency.
    """

    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.1
    no_repeat_ngram_size: int = 3
    seed: int | None = None
    stop: tuple[str, ...] = ()
    adapter: str = ""  # a LoRA adapter's folder ("" = the base model): ecomcms.finetune

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if self.temperature < 0:
            raise ValueError("temperature must not be negative")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be positive")
        object.__setattr__(self, "stop", tuple(self.stop))

    def as_dict(self) -> dict:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: dict | None) -> GenerationOptions:
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown generation options: {', '.join(sorted(unknown))}")
        if "stop" in data:
            data["stop"] = tuple(data["stop"])
        return cls(**data)


@dataclass(frozen=True)
class Generation:
    """The text generated for one prompt, with its provenance.

    ``seconds`` is the wall time of the whole batch the prompt was part of, and
    ``batch_size`` says how many prompts shared it.
    """

    text: str
    model_id: str
    tokens_in: int
    tokens_out: int
    seconds: float
    batch_size: int = 1
    finish_reason: str = "stop"  # "stop" (end of text or stop string) or "length"
    grounded: bool = False  # a Grounding constrained the decoding (see ``Grounding``)
    details: dict = field(default_factory=dict, compare=False)  # how a copy strategy made the text (candidates ...)

    def provenance(self) -> dict:
        data = asdict(self)
        data.pop("text")
        return data


@dataclass(frozen=True)
class Embeddings:
    """Unit-length float32 vectors, one row per input text."""

    vectors: np.ndarray = field(repr=False)
    model_id: str

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1])


@dataclass(frozen=True)
class Grounding:
    """What one prompt's output may state, for backends that can constrain decoding.

    ``numbers``: the numbers the product's facts hold, as written there ("10000", "2.5",
    "1,200"); a number the model forms while decoding must be one of them (compared
    whole, as it is formed, not digit by digit). ``banned_terms``: attribute values
    (materials, colours, certifications from the shop's vocabularies) the product does
    NOT hold (or phrases a reply must not say); the model may not write them. ``brackets``
    and ``links`` keep replies free of unfilled placeholders and unknown links. A backend that
    cannot apply a grounding says so with ``supports_grounding = False`` (or by not having the
    attribute).
    """

    numbers: frozenset[str] | None = frozenset()  # None: numbers are not constrained
    banned_terms: frozenset[str] = frozenset()
    #: None: not constrained. Otherwise the bracketed texts the output may hold, as written ("[1]",
    #: "[ORDER_1]"); any other "[...]", and every "{" and "<", cannot be written (replies: no gaps).
    brackets: frozenset[str] | None = None
    #: None: not constrained. Otherwise the links (web addresses, domains, email addresses) the output may
    #: write; any other link is cut off as it forms (``ecomcms.inference.replyrules``).
    links: frozenset[str] | None = None

    def as_dict(self) -> dict:
        data = {"numbers": sorted(self.numbers) if self.numbers is not None else None,
                "banned_terms": sorted(self.banned_terms)}
        if self.brackets is not None:
            data["brackets"] = sorted(self.brackets)
        if self.links is not None:
            data["links"] = sorted(self.links)
        return data


@dataclass(frozen=True)
class Score:
    """How likely the model finds a candidate text after a context: the sum of its tokens'
    log-probabilities and how many tokens it has (``mean`` is the per-token average)."""

    logprob: float
    tokens: int

    @property
    def mean(self) -> float:
        return self.logprob / max(self.tokens, 1)


class TextGenerator(Protocol):
    """``generate`` is required. Optional capabilities, checked with ``getattr``:

    - ``supports_grounding = True`` and ``generate(..., groundings=[Grounding | None, ...])``:
      constrained decoding, one grounding per prompt; each ``Generation.grounded`` says
      whether it was applied.
    - ``score(contexts, candidates) -> list[Score]``: the log-likelihood of each candidate
      after its context (a ``ChatPrompt``, scored as the assistant's reply, or plain text),
      batched. Used to rank candidate sentences ("overgenerate and rank").
    """

    model_id: str

    def generate(self, prompts: list[ChatPrompt], options: GenerationOptions) -> list[Generation]: ...


class TextScorer(Protocol):
    model_id: str

    def score(self, contexts: list[ChatPrompt | str], candidates: list[str]) -> list[Score]: ...


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: list[str]) -> Embeddings: ...


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)
