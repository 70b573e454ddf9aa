"""From stored events to a fitted artifact, with the engine doing the maths.

``load_training_data`` reads events from the database into the engine's
:class:`~recommender.engine.Events` (cancellations still in, so a holdout split
nets each side on its own); ``product_texts`` and ``embed_products`` give the
content vectors; ``fit_artifact`` fits the blend and bought-together on every
event and packs what serving needs; ``holdout_metrics`` is the offline
evaluation of every recommender and baseline on the last days.
Nothing here writes to the database: ``services.model_train`` does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from django.db.models import Q
from django.utils.text import slugify

from content.models import CopyKind, Product, PublishedCopy
from recommender.artifacts import Artifact, artifact_dir
from recommender.engine import (
    Blend,
    BlendParams,
    BoughtTogether,
    DecayedPopularity,
    Events,
    ItemSimilarity,
    SessionRecommender,
    net_cancellations,
    temporal_split,
)
from recommender.engine.blend import product_cf
from recommender.engine.data import make_events
from recommender.engine.evaluate import baselines, evaluate_recommender
from recommender.models import Event, EventType

logger = logging.getLogger(__name__)

MIN_TEST_CUSTOMERS = 5  # fewer holdout customers than this: no metrics (the numbers would be noise)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class TrainingData:
    """Events (cancellations not yet netted) over a vocabulary of products."""

    events: Events
    item_pk: np.ndarray  # Product pk per item index
    item_category: np.ndarray  # str per item index

    @property
    def categories(self) -> dict[str, str]:
        return {sku: category for sku, category in zip(self.events.item_ids.tolist(), self.item_category.tolist())
                if category}


def load_training_data(*, since: datetime | None = None, until: datetime | None = None,
                       feedback: tuple[str, ...] = (EventType.PURCHASE,)) -> TrainingData | None:
    """Events of the ``feedback`` types in ``[since, until)``, as engine arrays; None if there are none.

    A basket is the event's order, else its session (each sessionless event is a basket
    of its own). The item vocabulary is every product with events plus every active
    product: an active product nobody has bought yet becomes reachable through content
    similarity, the cold-start path for new products.
    """
    events = Event.objects.filter(type__in=feedback, product__isnull=False)
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)
    rows = list(events.values_list("pk", "customer_id", "order_id", "session_id", "product_id", "quantity",
                                   "price", "occurred_at").order_by())
    if not rows:
        return None
    pk, customer, order, session, product, quantity, price, when = zip(*rows)
    basket = [o or (f"session:{s}" if s else f"event:{p}") for p, o, s in zip(pk, order, session)]
    timestamps = np.array([w.astimezone(UTC).replace(tzinfo=None) for w in when], dtype="datetime64[s]")
    products = {p: (sku, category, title) for p, sku, category, title in
                Product.objects.filter(Q(pk__in=events.values("product_id")) | Q(is_active=True))
                .values_list("pk", "sku", "category", "title").order_by().iterator(chunk_size=5000)}
    sku_of = {p: values[0] for p, values in products.items()}
    events = make_events(
        customer=customer, invoice=basket, item=[sku_of[p] for p in product], quantity=quantity,
        timestamp=timestamps, price=[float(x) if x is not None else 0.0 for x in price],
    )
    # Widen the vocabulary to every product (sorted by SKU), keeping the events' indices meaningful.
    vocabulary = np.array(sorted(sku for sku, _, _ in products.values()), dtype=str)
    remap = np.searchsorted(vocabulary, events.item_ids)
    by_sku = {sku: (p, category, title) for p, (sku, category, title) in products.items()}
    events = replace(
        events, item=remap[events.item].astype(np.int32), item_ids=vocabulary,
        item_descriptions=np.array([by_sku[sku][2] for sku in vocabulary.tolist()], dtype=str),
    )
    return TrainingData(
        events=events,
        item_pk=np.array([by_sku[sku][0] for sku in vocabulary.tolist()], dtype=np.int64),
        item_category=np.array([by_sku[sku][1] for sku in vocabulary.tolist()], dtype=str),
    )


# --- Content embeddings -----------------------------------------------------------------------

def product_texts(item_pk: np.ndarray) -> list[str]:
    """What a product is, in words: title, brand, category, attributes and its published description."""
    products = Product.objects.in_bulk(item_pk.tolist())  # batched by Django for SQLite's variable limit
    descriptions = {}
    for start in range(0, len(item_pk), 500):
        descriptions.update(PublishedCopy.objects.filter(
            product_id__in=item_pk[start : start + 500].tolist(), kind=CopyKind.DESCRIPTION, variant=1,
            superseded_at__isnull=True,
        ).values_list("product_id", "text"))
    texts = []
    for pk in item_pk.tolist():
        product = products[pk]
        facts = "; ".join(f"{key}: {value}" for key, value in sorted((product.attributes or {}).items()))
        parts = [product.title, product.brand, product.category, facts, descriptions.get(pk, "")]
        texts.append(". ".join(part for part in parts if part))
    return texts


def embed_products(texts: list[str], embedder, progress: Progress | None = None, batch: int = 256) -> np.ndarray:
    """Unit vectors for ``texts``, reusing earlier vectors of the same text by the same model.

    The cache (``DATA_DIR/recommender/embeddings/<model>.npz``, text SHA-256 -> vector)
    makes a nightly run embed only new or changed products.
    """
    cache_path = artifact_dir() / "embeddings" / f"{slugify(embedder.model_id)[:80] or 'model'}.npz"
    known: dict[str, np.ndarray] = {}
    if cache_path.exists():
        with np.load(cache_path, allow_pickle=False) as data:
            known = dict(zip(data["hashes"].tolist(), data["vectors"]))
    hashes = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    missing = sorted({h: t for h, t in zip(hashes, texts) if h not in known}.items())
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = embedder.embed([text for _, text in chunk]).vectors
        known.update({h: vector for (h, _), vector in zip(chunk, vectors)})
        if progress:
            progress("embed", min(start + batch, len(missing)), len(missing))
    if missing:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache_path.parent, prefix=".tmp-", suffix=".npz")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, hashes=np.array(list(known), dtype=str), vectors=np.stack(list(known.values())))
        os.replace(temporary, cache_path)
    return np.stack([known[h] for h in hashes]).astype(np.float32)


# --- Fitting -----------------------------------------------------------------------------------

def bought_together_support(events: Events) -> int:
    """Minimum orders a pair must share: the engine's 20 for a shop with 10,000+ orders, less for
    a small one (down to 2), where 20 shared orders would leave no pair at all."""
    return int(min(20, max(2, np.unique(events.session).shape[0] // 500)))


def fit_artifact(data: TrainingData, *, params: BlendParams, embeddings: np.ndarray | None,
                 min_support: int, neighbours: int = 100) -> tuple[Artifact, Events]:
    """Fit the blend and bought-together on every event (cancellations netted); pack the artifact."""
    train = net_cancellations(data.events)
    blend = Blend(params, categories=data.categories, embeddings=embeddings, neighbours=neighbours).fit(train)
    together = BoughtTogether(min_support=min_support).fit(train)
    popularity = blend.popularity.popularity
    artifact = Artifact(
        item_ids=train.item_ids, item_pk=data.item_pk, item_category=data.item_category,
        customer_ids=train.user_ids, repeat=blend.repeat.tocsr().astype(np.float32),
        similarity=blend.items.similarity.tocsr().astype(np.float32), together=together.similarity.astype(np.float32),
        user_factors=blend.cf.user_factors, item_factors=blend.cf.item_factors, has_history=blend.cf.has_history,
        popularity=popularity / max(float(popularity.max()), 1e-12), recommendable=blend.recommendable,
        weights=blend.weights(),
    )
    return artifact, train


def holdout_metrics(data: TrainingData, *, params: BlendParams, embeddings: np.ndarray | None, min_support: int,
                    test_days: int, k: int, progress: Progress | None = None) -> tuple[dict, dict]:
    """Every baseline and recommender fitted before the last ``test_days`` and scored @k on them.

    Returns ``(metrics keyed by recommender, protocol)``; metrics are empty when the
    holdout has fewer than :data:`MIN_TEST_CUSTOMERS` customers with history.
    """
    split = temporal_split(data.events, test_days)
    protocol = {"test_days": test_days, "k": k, "cut": str(split.cut), "test_customers": len(split.test_users),
                "train_lines": len(split.train)}
    if len(split.test_users) < MIN_TEST_CUSTOMERS or len(split.train) == 0:
        protocol["skipped"] = f"{len(split.test_users)} holdout customers with history, fewer than {MIN_TEST_CUSTOMERS}"
        return {}, protocol
    models = [*baselines(), *product_models(params, data.categories, embeddings, min_support)]
    results = {}
    for done, model in enumerate(models, start=1):
        results[model.name] = evaluate_recommender(model, split, k)
        if progress:
            progress("evaluate", done, len(models))
    return results, protocol


def product_models(params: BlendParams, categories: dict[str, str], embeddings: np.ndarray | None, min_support: int):
    """The recommenders a version serves from, as fitted for the evaluation; the blend last."""
    return [
        DecayedPopularity(categories=categories),
        BoughtTogether(min_support=min_support),
        ItemSimilarity(embeddings=embeddings),
        product_cf(),
        SessionRecommender(),
        Blend(params, categories=categories, embeddings=embeddings),
    ]


def jsonable(value):
    """Round-trip through JSON so numpy scalars become plain numbers."""
    return json.loads(json.dumps(value, default=float))
