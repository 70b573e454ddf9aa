"""Fine-tuning: one versioned, gated path for every app's model (LoRA adapters by default).

- ``lora``: train a LoRA adapter (peft) on (prompt, target) examples, on CPU by default.
- ``registry``: each app registers a *purpose* (``content.copy``, ``support.reply``,
  ``support.intent``, ``insights.sentiment``): where its training data comes from, how a model is
  evaluated on a held-out split, the gate a new version must pass against the active model before it can be activated,
  and, for a model that is not a LoRA adapter (the intent classifier, the sentiment model), its own trainer.
- ``services``: request training (a task on the ``training`` queue), run it in the worker with
  progress, evaluate, gate, activate, roll back. ``selectors``: the active adapter of a purpose.
"""
