"""Fine-tuning with LoRA adapters: one versioned, gated path for every app's model.

- ``lora``: train a LoRA adapter (peft) on (prompt, target) examples, on CPU by default.
- ``registry``: each app registers a *purpose* (``content.copy``, ``support.reply``): where its
  training data comes from, how a model is evaluated on a held-out split, and the gate an adapter
  must pass against the active model before it can be activated.
- ``services``: request training (a task on the ``training`` queue), run it in the worker with
  progress, evaluate, gate, activate, roll back. ``selectors``: the active adapter of a purpose.
"""
