"""One sparse feature matrix per ticket: sentence embedding + word and character TF-IDF.

The embedding carries meaning (paraphrases land close together); the TF-IDF blocks
carry the exact words and sub-words that separate near-identical intents
("card arrival" vs "card delivery estimate") and survive typos. Stacking them in one
linear model scored better in cross-validation than either alone (see README.md).
Each block has unit-length rows, so the weights below set each block's share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class FeatureWeights:
    """How much each block counts; the embedding is up-weighted because its 384 dense
    dimensions otherwise lose against tens of thousands of n-gram columns."""

    embedding: float = 2.0
    words: float = 1.0
    chars: float = 1.0


class TicketFeatures:
    """Fits the TF-IDF vocabularies on training texts, then stacks the three blocks."""

    def __init__(self, weights: FeatureWeights = FeatureWeights()) -> None:
        self.weights = weights
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)

    def fit(self, texts: list[str]) -> TicketFeatures:
        self.words.fit(texts)
        self.chars.fit(texts)
        return self

    def transform(self, texts: list[str], vectors: np.ndarray) -> sp.csr_matrix:
        blocks = [
            sp.csr_matrix(vectors * self.weights.embedding),
            self.words.transform(texts) * self.weights.words,
            self.chars.transform(texts) * self.weights.chars,
        ]
        return sp.hstack(blocks, format="csr", dtype=np.float32)
