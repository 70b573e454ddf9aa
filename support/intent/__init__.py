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

from ecomcms.lazy import names_on_first_use

# Names are loaded on first use (PEP 562): importing one submodule (the zero-shot model, say) must
# not load scikit-learn and scipy into every process that imports the services, the generation workers
# among them (docs/performance.md, "Memory per generation process").
_WHERE = {
    "IntentClassifier": "classifier",
    "LabelledTexts": "data",
    "load_banking77": "data",
    "load_bitext": "data",
    "load_csv": "data",
    "stratified_split": "data",
    "HIGH": "prediction",
    "LOW": "prediction",
    "MEDIUM": "prediction",
    "Cutoffs": "prediction",
    "Prediction": "prediction",
    "IntentSpec": "zeroshot",
    "ZeroShotIntent": "zeroshot",
}

__getattr__, __dir__ = names_on_first_use(__name__, _WHERE)

__all__ = [
    "HIGH", "LOW", "MEDIUM", "Cutoffs", "IntentClassifier", "IntentSpec", "LabelledTexts", "Prediction",
    "ZeroShotIntent", "load_banking77", "load_bitext", "load_csv", "stratified_split",
]
