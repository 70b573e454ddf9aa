"""Planned copy: structure over freedom.

A 135M model cannot be trusted to write facts (docs/copy-quality.md, NOTES-inference.md):
it mangles names, invents figures and places, and does not follow a fact it is given.
So the copy is planned from the facts and the model is never the source of a fact:

1. ``facts.facts_of`` cleans the product's facts (noisy marketplace specs included);
2. ``planner.description_plan`` / ``planner.short_form_candidates`` choose what to say for
   the kind and fill the sentence patterns of ``patterns`` (data editors review) with names
   and values copied verbatim;
3. the model scores every candidate (``TextScorer.score``, batched) and the most fluent
   wins; the texts are assembled from whole sentences within the kind's length.
"""
