"""The trained intent classifier for support-ticket triage.

A weighted mix of three members' log-probabilities (``members.py``): a linear SVM
on embedding + TF-IDF features, an RBF-kernel SVM on the embedding, and a
nearest-neighbour vote. Fitting runs a k-fold cross-validation on the TRAINING
rows only; from the out-of-fold scores it learns, in order:

1. one temperature per member (turns raw scores into calibrated log-probabilities),
2. the mixing weights (grid below; best out-of-fold accuracy, ties to lower log-loss),
3. one temperature for the mix (calibrated confidences),
4. the Low/Medium/High cut-offs (``calibration.choose_cutoffs``),
5. the out-of-scope rule (``openset.choose_open_rule``): a floor on a combined confidence and
   similarity-to-the-nearest-training-ticket score, and similarity floors, chosen by simulating unknown
   intents: a few draws hold out a quarter of the intents, refit the members without them and score
   their rows.

Then the members with a non-zero weight are refitted on all rows.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import joblib
import numpy as np
from scipy.special import log_softmax
from sklearn.model_selection import StratifiedKFold

from support.intent.calibration import (
    HIGH_PRECISION,
    LOW_ACCURACY,
    choose_cutoffs,
    choose_mix,
    fit_temperature,
    softmax,
)
from support.intent.embedding import Embed, embed_checked
from support.intent.features import FeatureWeights
from support.intent.members import KernelMember, LinearMember, NeighbourMember
from support.intent.openset import OPEN_TRAFFIC, OpenRule, choose_open_rule, label_similarity, similarity_and_margin
from support.intent.prediction import Cutoffs, Prediction

FORMAT_VERSION = 2
#: Attributes written by ``save`` besides the fitted members.
_SAVED = ("weights", "c", "folds", "seed", "low_accuracy", "high_precision", "labels", "member_temperatures", "mix",
          "temperature", "cutoffs", "cv_accuracy", "open_traffic", "open_rule", "reference", "reference_targets")
#: Added in format 2; a format-1 file loads with these (an out-of-scope rule that never fires).
_FORMAT_1_DEFAULTS = {"open_traffic": None, "open_rule": OpenRule(), "reference": None, "reference_targets": None}
MEMBERS = ("linear", "kernel", "neighbour")
#: (linear, kernel, neighbour) weights tried; the linear member always keeps >= 40%.
MIX_GRID = tuple((round(1 - k - n, 2), k, n) for k in (0.0, 0.1, 0.2, 0.3) for n in (0.0, 0.1, 0.2, 0.3))

Member = LinearMember | KernelMember | NeighbourMember


class IntentClassifier:
    """Mixed linear/kernel/neighbour classifier with calibrated confidences and an out-of-scope threshold.

    ``folds`` is 3, not 5, to keep BANKING77-sized fits near 2 minutes on 2 cores;
    the out-of-fold scores only calibrate and choose weights, the final members see
    every row. ``low_accuracy`` and ``high_precision`` set the bucket cut-offs (see
    ``calibration.choose_cutoffs``): raise ``low_accuracy`` to send more tickets to
    a person. ``open_traffic`` is the share of incoming tickets expected to fit no
    intent; the out-of-scope rule is chosen for it (``openset``; None: as many as the
    simulation holds out).
    """

    def __init__(
        self,
        weights: FeatureWeights = FeatureWeights(),
        c: float = 0.5,
        folds: int = 3,
        seed: int = 0,
        low_accuracy: float = LOW_ACCURACY,
        high_precision: float = HIGH_PRECISION,
        open_traffic: float | None = OPEN_TRAFFIC,
    ) -> None:
        self.weights = weights
        self.c = c
        self.folds = folds
        self.seed = seed
        self.low_accuracy = low_accuracy
        self.high_precision = high_precision
        self.labels: list[str] = []
        self.member_temperatures: dict[str, float] = {}
        self.mix: dict[str, float] = {}
        self.temperature = 1.0
        self.cutoffs = Cutoffs(threshold=0.0, high=1.0)
        self.cv_accuracy = 0.0
        self.open_traffic = open_traffic
        self.open_rule = OpenRule()
        self.reference: np.ndarray | None = None  # the training embeddings, for the nearest-ticket similarity
        self.reference_targets: np.ndarray | None = None
        self._members: dict[str, Member] = {}

    @property
    def threshold(self) -> float:
        """Confidence below which a prediction counts as out of scope / needs a human."""
        return self.cutoffs.threshold

    def fit(self, texts: list[str], labels: list[str], embed: Embed) -> IntentClassifier:
        """Learn from labelled tickets; every label needs at least two examples for cross-validation."""
        _check_training_labels(texts, labels)
        self.labels = sorted(set(labels))
        targets = np.array([self.labels.index(label) for label in labels])
        vectors = embed_checked(embed, texts)
        held_out = self._out_of_fold_scores(texts, vectors, targets)
        self.member_temperatures = {name: fit_temperature(held_out[name], targets) for name in MEMBERS}
        weights, mixed = choose_mix([self._log_probabilities(name, held_out[name]) for name in MEMBERS], targets,
                                    MIX_GRID)
        self.mix = {name: w for name, w in zip(MEMBERS, weights) if w > 0}
        self.temperature = fit_temperature(mixed, targets)
        probabilities = softmax(mixed, self.temperature)
        correct = probabilities.argmax(axis=1) == targets
        self.cv_accuracy = float(correct.mean())
        self.cutoffs = choose_cutoffs(probabilities.max(axis=1), correct, self.low_accuracy, self.high_precision)
        self.open_rule = choose_open_rule(
            probabilities, targets, vectors, seed=self.seed, open_traffic=self.open_traffic,
            refit=lambda known: self._refit_without_unknown(texts, vectors, targets, known))
        self.reference, self.reference_targets = vectors.astype(np.float32), targets.copy()
        self._members = {name: self._new_member(name).fit(texts, vectors, targets) for name in self.mix}
        return self

    def predict(self, texts: list[str], embed: Embed) -> list[Prediction]:
        """Best intent, calibrated confidence and bucket per text; ``out_of_scope`` when it fits no intent."""
        if not texts:
            return []
        vectors = embed_checked(embed, texts)
        probabilities = self._probabilities(texts, vectors)
        best = probabilities.argmax(axis=1)
        confidences = probabilities[np.arange(len(texts)), best]
        similarity, margin = self.nearest_similarity(vectors)
        out_of_scope = self.open_rule.is_open(confidences, similarity, margin, best)
        return self.cutoffs.predictions([self.labels[i] for i in best], confidences.tolist(), out_of_scope.tolist())

    def nearest_similarity(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarity of each vector to the nearest training ticket, and how much closer that is than the
        nearest ticket of any other intent (1.0 and 1.0 for a format-1 model, which has no training vectors)."""
        if self.reference is None or self.reference_targets is None:
            return np.ones(len(vectors), dtype=np.float32), np.ones(len(vectors), dtype=np.float32)
        by_label = label_similarity(np.asarray(vectors, dtype=np.float32), self.reference, self.reference_targets,
                                    len(self.labels))
        return similarity_and_margin(by_label)

    def predict_proba(self, texts: list[str], embed: Embed) -> np.ndarray:
        """Calibrated probabilities, one column per label in ``self.labels`` order."""
        if not self._members:
            raise RuntimeError("call fit() or load() before predicting")
        if not texts:
            return np.zeros((0, len(self.labels)))
        return self._probabilities(texts, embed_checked(embed, texts))

    def _probabilities(self, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        if not self._members:
            raise RuntimeError("call fit() or load() before predicting")
        mixed = sum(
            weight * self._log_probabilities(name, self._members[name].scores(texts, vectors))
            for name, weight in self.mix.items()
        )
        return softmax(mixed, self.temperature)

    def save(self, path: str | Path) -> None:
        """Write scikit-learn objects, arrays and numbers with joblib (no closures, no embed function)."""
        if not self._members:
            raise RuntimeError("nothing to save: the classifier is not fitted")
        state = {key: getattr(self, key) for key in _SAVED}
        joblib.dump({"format": FORMAT_VERSION, **state, "members": self._members}, path)

    @classmethod
    def load(cls, path: str | Path) -> IntentClassifier:
        """Read a file written by ``save``; only load files you wrote yourself (joblib runs pickle)."""
        state = joblib.load(path)
        if state.get("format") not in (1, FORMAT_VERSION):
            raise ValueError(f"{path}: unsupported format {state.get('format')!r}")
        model = cls()
        for key in _SAVED:
            setattr(model, key, state[key] if key in state else _FORMAT_1_DEFAULTS[key])
        model._members = state["members"]
        return model

    def _new_member(self, name: str, n_labels: int | None = None) -> Member:
        if name == "linear":
            return LinearMember(self.weights, self.c, self.seed)
        if name == "kernel":
            return KernelMember()
        return NeighbourMember(len(self.labels) if n_labels is None else n_labels)

    def _refit_without_unknown(self, texts: list[str], vectors: np.ndarray, targets: np.ndarray,
                               known: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (columns in ``known`` order) of the rows whose label is not in ``known``, from
        the mixed members refitted on the rows of ``known`` only: how the model scores an intent it never saw."""
        keep = np.isin(targets, known)
        column = np.full(len(self.labels), -1)
        column[known] = np.arange(len(known))
        known_texts = [text for text, kept in zip(texts, keep) if kept]
        unknown_texts = [text for text, kept in zip(texts, keep) if not kept]
        mixed = sum(
            weight * self._log_probabilities(name, self._new_member(name, len(known)).fit(
                known_texts, vectors[keep], column[targets[keep]]).scores(unknown_texts, vectors[~keep]))
            for name, weight in self.mix.items())
        return softmax(mixed, self.temperature)

    def _log_probabilities(self, name: str, scores: np.ndarray) -> np.ndarray:
        return log_softmax(scores / self.member_temperatures[name], axis=1)

    def _out_of_fold_scores(self, texts: list[str], vectors: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
        """Each member's scores for each training row, from a fit that did not see that row's fold.

        At most as many folds as the rarest label has rows, so stratification puts
        every label in every fold's training part and the score columns line up.
        """
        splits = min(self.folds, int(np.bincount(targets).min()))
        scores = {name: np.zeros((len(texts), len(self.labels))) for name in MEMBERS}
        folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=self.seed)
        for train_rows, held_rows in folds.split(vectors, targets):
            train_texts = [texts[i] for i in train_rows]
            held_texts = [texts[i] for i in held_rows]
            for name in MEMBERS:
                member = self._new_member(name).fit(train_texts, vectors[train_rows], targets[train_rows])
                scores[name][held_rows] = member.scores(held_texts, vectors[held_rows])
        return scores


def _check_training_labels(texts: list[str], labels: list[str]) -> None:
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("need at least two different labels")
    rare = sorted(label for label, n in counts.items() if n < 2)
    if rare:
        raise ValueError(f"every label needs at least 2 examples; too few for {rare}")
