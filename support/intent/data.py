"""Loaders for labelled support-ticket files, and the one fixed split used for Bitext.

Every loader returns plain ``list[str]`` texts and labels so the classifier never
depends on a file format. Files are read with the ``csv`` module because Bitext's
``response`` cells contain quoted newlines that a line-based reader would split.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

#: The seed and test fraction of the documented Bitext split (stratified by intent).
BITEXT_SPLIT_SEED = 42
BITEXT_TEST_FRACTION = 0.2


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with one label each (same length, same order)."""

    texts: list[str]
    labels: list[str]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)


def load_csv(path: str | Path, text_column: str = "text", label_column: str = "label") -> LabelledTexts:
    """Read a UTF-8 CSV with a header; rows with an empty text or label are skipped.

    Skipping (not failing on) blank rows lets exported ticket dumps with trailing
    empty lines load; a missing column is an error because it means a wrong file.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: no column(s) {sorted(missing)}; found {reader.fieldnames}")
        pairs = [(row[text_column].strip(), row[label_column].strip()) for row in reader]
    pairs = [(text, label) for text, label in pairs if text and label]
    return LabelledTexts([text for text, _ in pairs], [label for _, label in pairs])


def load_bitext(path: str | Path) -> LabelledTexts:
    """The Bitext customer-support CSV: ``instruction`` is the customer text, ``intent`` the label."""
    return load_csv(path, text_column="instruction", label_column="intent")


def load_banking77(folder: str | Path) -> tuple[LabelledTexts, LabelledTexts]:
    """BANKING77's official ``train.csv`` and ``test.csv`` (columns ``text``, ``category``)."""
    folder = Path(folder)
    return (
        load_csv(folder / "train.csv", text_column="text", label_column="category"),
        load_csv(folder / "test.csv", text_column="text", label_column="category"),
    )


def stratified_split(
    data: LabelledTexts, test_fraction: float = BITEXT_TEST_FRACTION, seed: int = BITEXT_SPLIT_SEED
) -> tuple[LabelledTexts, LabelledTexts]:
    """A fixed, seeded split that keeps each label's share equal in train and test.

    Uses scikit-learn's ``train_test_split(stratify=labels, random_state=seed)`` on
    the rows in file order, so the same file and seed always give the same split.
    """
    indices = list(range(len(data)))
    train_idx, test_idx = train_test_split(
        indices, test_size=test_fraction, random_state=seed, stratify=data.labels
    )
    return _subset(data, train_idx), _subset(data, test_idx)


def _subset(data: LabelledTexts, indices: list[int]) -> LabelledTexts:
    return LabelledTexts([data.texts[i] for i in indices], [data.labels[i] for i in indices])
