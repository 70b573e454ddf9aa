"""The copy-quality harness: how good is the copy the worker writes, in numbers.

``manage.py evaluate_copy`` is its door. The parts:

- ``sources``: products with their facts and the copy people wrote for them, from the Amazon
  2020 listings (``--format amazon2020``) or the product import CSV plus a ``reference`` column.
- ``claims``: an extractor of factual claims (numbers with units, sizes, materials, colours,
  certifications, origins, features, durations, prices) and whether the facts support them.
  It shares no code and no vocabulary with ``content.checks`` on purpose: a lenient check must
  not be able to make the figures look better.
- ``metrics``: per-text and total figures (length, completeness, overlap with the people's copy
  by chrF and ROUGE-L, distinct-2, bootstrap confidence intervals).
- ``harness``: generates drafts in-process through the worker's own path
  (``content.services.drafts_compose``: template, prompts, batched generation, post-processing,
  checks) on unsaved products, and scores them. It writes nothing to the database.

docs/copy-quality.md explains the figures and holds the baseline.
"""
