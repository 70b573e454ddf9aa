"""Intent classification for support-ticket triage (pure Python, no Django).

* ``IntentClassifier`` - trained on labelled tickets (embedding + TF-IDF linear SVM).
* ``ZeroShotIntent`` - for when no labelled tickets exist (intent names/descriptions).
* ``Prediction`` - label, confidence in [0, 1], bucket High/Medium/Low.
* loaders in ``support.intent.data``; ``evaluate`` in ``support.intent.evaluation``
  (not re-exported here: ``support.intent.evaluate`` is the command-line module,
  and a package attribute of the same name would be shadowed once it is imported).

Both classifiers take an ``embed`` callable (texts -> unit float32 rows) instead of
owning a model, so the caller decides which embedding model runs and where.
"""

from support.intent.classifier import IntentClassifier
from support.intent.data import LabelledTexts, load_banking77, load_bitext, load_csv, stratified_split
from support.intent.prediction import HIGH, LOW, MEDIUM, Cutoffs, Prediction
from support.intent.zeroshot import IntentSpec, ZeroShotIntent

__all__ = [
    "HIGH", "LOW", "MEDIUM", "Cutoffs", "IntentClassifier", "IntentSpec", "LabelledTexts", "Prediction",
    "ZeroShotIntent", "load_banking77", "load_bitext", "load_csv", "stratified_split",
]
