"""Sentence embeddings with sentence-transformers on ECOMCMS_DEVICE (default: all-MiniLM-L6-v2)."""

from __future__ import annotations

import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

from ecomcms.inference.base import Embeddings, ModelUnavailable, normalize_rows
from ecomcms.inference.sources import ModelSource
from ecomcms.inference.transformers_backend import resolve_device


class SentenceTransformersEmbedder:
    """Embeds a list of texts into unit-length float32 vectors (one row per text).

    Raises ``ModelUnavailable`` when the folder cannot be loaded.
    """

    def __init__(self, source: ModelSource, *, batch_size: int = 32, threads: int = 0, device: str = "auto"):
        if threads:
            torch.set_num_threads(threads)
        self.source = source
        self.model_id = source.model_id
        self.batch_size = batch_size
        started = time.perf_counter()
        try:
            self.model = SentenceTransformer(str(source.path), device=resolve_device(device), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot load the embedding model from {source.path}: {exc}") from exc
        self.load_seconds = time.perf_counter() - started
        self.convert_seconds = 0.0
        self.parameters = sum(p.numel() for p in self.model.parameters())

    def embed(self, texts: list[str]) -> Embeddings:
        if not texts:
            return Embeddings(vectors=np.zeros((0, self.dimensions), dtype=np.float32), model_id=self.model_id)
        with torch.inference_mode():
            vectors = self.model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return Embeddings(vectors=normalize_rows(vectors), model_id=self.model_id)

    @property
    def dimensions(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())
