"""Read the sentiment of imported reviews from their text (ecomcms/sentiment.py).

The trained sentiment model is used when one is saved for the loaded embedding model, the cue
words otherwise. The rating is never used: it is what the model is measured against, and the
monitoring shows both (share negative by the text, the average rating by the stars).
Runs where models may run: the import command and the monitoring's Celery task, never a request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from content.models import Review
from ecomcms import inference, sentiment as reader

BATCH = 256


def review_model_text(review: Review) -> str:
    title, body = review.title.strip(), review.body.strip()
    return f"{title}. {body}" if title and body else title or body


def reviews_score_sentiment(*, rescore: bool = False, product_ids: list[int] | None = None,
                            progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Store the sentiment of the reviews that have none (all of them with ``rescore``); returns counts.

    Saved with a compare-and-set on the text read, so a review re-imported with new words while
    this ran keeps its emptied sentiment and is read again next time.
    """
    reviews = Review.objects.all() if rescore else Review.objects.filter(sentiment="")
    if product_ids is not None:
        reviews = reviews.filter(product_id__in=product_ids)
    ids = list(reviews.order_by("pk").values_list("pk", flat=True))
    counts = {"scored": 0, "model": 0, "cue words": 0}
    if not ids:
        return counts
    embedder = None
    classifier = None
    try:
        embedder = inference.get_embedder()
        classifier = reader.active_classifier(embedder.model_id)
    except inference.ModelError:
        embedder = None  # no embedder here: the cue words need none
    for start in range(0, len(ids), BATCH):
        batch = list(Review.objects.filter(pk__in=ids[start:start + BATCH]).order_by("pk"))
        texts = [review_model_text(r) for r in batch]
        if classifier is not None:
            readings = reader.read_with_model(classifier, embedder.embed(texts).vectors)
        else:
            readings = reader.read_with_cues(texts)
        for review, reading in zip(batch, readings):
            updated = Review.objects.filter(Q(pk=review.pk), title=review.title, body=review.body).update(
                sentiment=reading.label, sentiment_confidence=reading.confidence, sentiment_source=reading.source)
            counts["scored"] += updated
            counts["model" if reading.source.startswith("model") else "cue words"] += updated
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    return counts
