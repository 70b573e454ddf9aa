"""The embed-function contract, and MiniLM from the model runtime for the command line.

Classifiers take ``embed`` as an argument instead of owning a model so the Django
app can pass its shared, already-loaded embedder (and tests a fake one).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

#: list of texts -> float32 array (n, d) whose rows have unit length.
Embed = Callable[[list[str]], np.ndarray]


def embed_checked(embed: Embed, texts: list[str]) -> np.ndarray:
    """Call ``embed`` and fail early on a wrong shape or non-unit rows.

    A caller that forgets ``normalize_embeddings=True`` would otherwise get a
    classifier that silently scores worse; checking costs one pass over the rows.
    """
    vectors = np.asarray(embed(list(texts)), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(f"embed returned shape {vectors.shape} for {len(texts)} texts")
    norms = np.linalg.norm(vectors, axis=1)
    if len(norms) and not np.allclose(norms, 1.0, atol=1e-3):
        raise ValueError("embed must return unit-length rows (normalize the embeddings)")
    return vectors


def minilm_embedder(batch_size: int = 32) -> Embed:
    """MiniLM on the CPU, loaded by the model runtime (``ecomcms.inference``), as an ``Embed`` of unit float32 rows.

    For the command line, which runs without Django settings; the app passes its shared embedder
    instead. The import is local so the rest of this package stays plain Python, and only the
    runtime's backend module imports torch, when this is called.
    """
    from ecomcms import inference

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    embedder = inference.build_embedder("all-MiniLM-L6-v2", batch_size=batch_size, device="cpu")

    def embed(texts: list[str]) -> np.ndarray:
        return embedder.embed(list(texts)).vectors

    return embed
