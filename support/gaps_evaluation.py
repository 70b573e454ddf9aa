"""Measuring knowledge-base gap detection on labelled tickets with reference replies (Bitext).

Protocol (one seed): every intent gets one article, a reference reply of that intent (its title
is the intent's name in words); ``per_intent`` other requests of each intent are the tickets. A
share of the intents loses its article. A good detector finds exactly the tickets of the removed
intents and groups them by intent:

- detection: precision and recall of "uncovered" (best article below the threshold) against
  "its intent's article was removed";
- clusters: a cluster is *right* when most of its tickets share one removed intent; cluster
  precision = right clusters / clusters, intent recall = removed intents that are the majority of
  a right cluster / removed intents, purity = mean share of a cluster's majority intent.

Embeddings are computed once for every text of every seed (``embed`` takes a list of texts and
returns L2-normalised vectors). Pure: no Django, no database.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from support import gaps


def load_bitext_rows(path: str | Path) -> list[tuple[str, str, str]]:
    """(request, intent, reference reply) of every Bitext row with all three."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [(r["instruction"].strip(), r["intent"].strip(), r["response"].strip()) for r in csv.DictReader(handle)]
    return [row for row in rows if all(row)]


def _draw(rows, seed: int, per_intent: int, removed_fraction: float):
    rng = np.random.RandomState(seed)
    by_intent: dict[str, list[int]] = {}
    for index, (_, intent, _) in enumerate(rows):
        by_intent.setdefault(intent, []).append(index)
    intents = sorted(by_intent)
    articles, tickets = {}, []
    for intent in intents:
        order = rng.permutation(by_intent[intent])
        articles[intent] = int(order[0])
        tickets += [int(i) for i in order[1:per_intent + 1]]
    removed = set(rng.choice(intents, size=max(1, round(removed_fraction * len(intents))), replace=False).tolist())
    return intents, articles, tickets, removed


def article_text(intent: str, reply: str) -> str:
    return f"{intent.replace('_', ' ').capitalize()}\n{reply}"


def run_seed(rows, vectors: dict[str, np.ndarray], *, seed: int, per_intent: int, removed_fraction: float,
             threshold: float, distance: float, min_size: int) -> dict:
    intents, articles, tickets, removed = _draw(rows, seed, per_intent, removed_fraction)
    kept = [i for i in intents if i not in removed]
    article_matrix = np.stack([vectors[article_text(i, rows[articles[i]][2])] for i in kept])
    ticket_matrix = np.stack([vectors[rows[t][0]] for t in tickets])
    labels = [rows[t][1] for t in tickets]
    scores, clusters = gaps.gaps(ticket_matrix, article_matrix, threshold=threshold, distance=distance,
                                 min_size=min_size)
    uncovered = scores < threshold
    truly = np.array([label in removed for label in labels])
    tp = int((uncovered & truly).sum())
    right, found, purities = 0, set(), []
    for c in clusters:
        majority, count = Counter(labels[m] for m in c.members).most_common(1)[0]
        purities.append(count / len(c.members))
        if majority in removed:
            right += 1
            found.add(majority)
    return {
        "seed": seed, "removed": sorted(removed), "tickets": len(tickets),
        "detection_precision": tp / max(1, int(uncovered.sum())), "detection_recall": tp / max(1, int(truly.sum())),
        "clusters": len(clusters), "cluster_precision": right / max(1, len(clusters)),
        "intent_recall": len(found) / len(removed), "purity": float(np.mean(purities)) if purities else 0.0,
    }


def texts_needed(rows, *, seeds: Sequence[int], per_intent: int, removed_fraction: float) -> list[str]:
    needed = set()
    for seed in seeds:
        intents, articles, tickets, _ = _draw(rows, seed, per_intent, removed_fraction)
        needed |= {article_text(i, rows[articles[i]][2]) for i in intents}
        needed |= {rows[t][0] for t in tickets}
    return sorted(needed)


def evaluate(rows, embed: Callable[[list[str]], np.ndarray], *, seeds: Sequence[int], per_intent: int = 20,
             removed_fraction: float = 0.25, grid: Sequence[tuple[float, float]] = (),
             min_size: int = gaps.DEFAULT_MIN_SIZE,
             vectors: dict[str, np.ndarray] | None = None) -> dict:
    """Every (threshold, distance) of ``grid`` on every seed; mean and sample sd of each measure."""
    if vectors is None:
        texts = texts_needed(rows, seeds=seeds, per_intent=per_intent, removed_fraction=removed_fraction)
        vectors = dict(zip(texts, embed(texts)))
    results = []
    for threshold, distance in grid:
        runs = [run_seed(rows, vectors, seed=s, per_intent=per_intent, removed_fraction=removed_fraction,
                         threshold=threshold, distance=distance, min_size=min_size) for s in seeds]
        summary = {}
        for key in ("detection_precision", "detection_recall", "clusters", "cluster_precision", "intent_recall",
                    "purity"):
            values = np.array([r[key] for r in runs], dtype=float)
            summary[key] = (float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0)
        p, r = summary["cluster_precision"][0], summary["intent_recall"][0]
        summary["cluster_f1"] = 2 * p * r / (p + r) if p + r else 0.0
        results.append({"threshold": threshold, "distance": distance, "summary": summary, "runs": runs})
    return {"seeds": list(seeds), "per_intent": per_intent, "removed_fraction": removed_fraction,
            "min_size": min_size, "results": results}
