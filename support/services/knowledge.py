"""The knowledge base: embeddings of articles and canned responses, and retrieval for a reply prompt."""

from __future__ import annotations

import hashlib

import numpy as np
from django.db.models import Q

from ecomcms import inference
from support import prompts
from support.conf import conf
from support.models import CannedResponse, KnowledgeArticle
from support.services._base import _embed, _send_after_commit, _vector, _vector_bytes

TOP_ARTICLES = 2
TOP_CANNED = 1
MIN_ARTICLE_SIMILARITY = 0.2
MIN_CANNED_SIMILARITY = 0.3


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def knowledge_refresh_embeddings() -> int:
    """Embed published articles and active canned responses whose text or model changed; returns how many.

    Runs in workers (lazily before retrieval, and after an edit in the admin); a
    compare-and-set on the text hash keeps an embedding of an older text from
    overwriting a newer one.
    """
    model_id = inference.get_embedder().model_id
    refreshed = 0
    for model in (KnowledgeArticle, CannedResponse):
        published = Q(is_published=True) if model is KnowledgeArticle else Q(is_active=True)
        stale = [
            row
            for row in model.objects.filter(published)
            if row.embedding is None
            or row.embedding_model != model_id
            or row.embedding_hash != _text_hash(row.embedding_text())
        ]
        if not stale:
            continue
        vectors = _embed([row.embedding_text() for row in stale])
        for row, vector in zip(stale, vectors):
            refreshed += model.objects.filter(pk=row.pk, title=row.title, body=row.body).update(
                embedding=_vector_bytes(vector),
                embedding_model=model_id,
                embedding_hash=_text_hash(row.embedding_text()),
            )
    return refreshed


def knowledge_changed() -> None:
    """Queue an embedding refresh after an article or canned response was saved.

    With the broker down nothing is lost: retrieval refreshes stale embeddings itself before it ranks.
    """
    _send_after_commit("embed_knowledge")


def _ranked(rows: list, query: np.ndarray, model_id: str, limit: int, minimum: float) -> list[tuple[object, float]]:
    usable = [r for r in rows if r.embedding is not None and r.embedding_model == model_id]
    if not usable:
        return []
    matrix = np.stack([_vector(r.embedding) for r in usable])
    if matrix.shape[1] != query.shape[0]:
        return []
    similarities = matrix @ query
    order = np.argsort(-similarities)[:limit]
    return [(usable[i], float(similarities[i])) for i in order if similarities[i] >= minimum]


def knowledge_retrieve(query: np.ndarray, *, model_id: str, queue_id: int | None) -> list[prompts.Source]:
    """The best published articles and canned responses for a query vector, numbered for the prompt."""
    articles = _ranked(list(KnowledgeArticle.objects.filter(is_published=True)), query, model_id, TOP_ARTICLES,
                       MIN_ARTICLE_SIMILARITY)
    canned_rows = CannedResponse.objects.filter(is_active=True).filter(Q(queue__isnull=True) | Q(queue_id=queue_id))
    # The reply model writes the shop's language: responses in other languages are for foreign tickets only.
    canned_rows = canned_rows.filter(Q(language="") | Q(language=(conf.SUPPORT_SHOP_LANGUAGE or "en").lower()))
    canned = _ranked(list(canned_rows), query, model_id, TOP_CANNED, MIN_CANNED_SIMILARITY)
    sources = [prompts.Source(n, "article", a.pk, a.title, a.body, round(s, 4), a.url)
               for n, (a, s) in enumerate(articles, start=1)]
    sources += [prompts.Source(len(sources) + n, "canned", c.pk, c.title, c.body, round(s, 4))
                for n, (c, s) in enumerate(canned, start=1)]
    return sources
