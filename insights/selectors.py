"""Weekly figures per product, brand and category: reviews, tickets, share negative, rating, complaints.

A review counts in the week of its date (``reviewed_at``; its import time when the file gave
none), a ticket in the week it was opened; only tickets that name a product count. Weeks start
on Monday (UTC). Sentiment is the one read from the text (content.review_sentiment for reviews,
triage for tickets), not the stars; the stars give the average rating.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from content.models import Product, Review
from ecomcms import sentiment as reader
from ecomcms.models import Adapter
from insights.models import Alert, Scope
from support.models import Ticket

KEY_FIELD = {Scope.PRODUCT: "product__sku", Scope.BRAND: "product__brand", Scope.CATEGORY: "product__category"}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class WeekFigures:
    """One key's week. ``reviews_by`` and ``tickets_by`` count each sentiment ("" = not read yet)."""

    key: str
    week: date
    reviews: int = 0
    rating_sum: int = 0
    reviews_by: Counter = field(default_factory=Counter)
    tickets: int = 0
    tickets_by: Counter = field(default_factory=Counter)

    @property
    def negative_reviews(self) -> int:
        return self.reviews_by["negative"]

    @property
    def share_negative(self) -> float | None:
        read = self.reviews - self.reviews_by[""]
        return self.negative_reviews / read if read else None

    @property
    def ticket_share_negative(self) -> float | None:
        read = self.tickets - self.tickets_by[""]
        return self.tickets_by["negative"] / read if read else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.reviews if self.reviews else None


def weekly_figures(scope: str, *, since: date, until: date, keys: list[str] | None = None
                   ) -> dict[tuple[str, date], WeekFigures]:
    """``{(key, Monday): WeekFigures}`` for the weeks from ``since`` to ``until`` (days, inclusive)."""
    key_field = KEY_FIELD[scope]
    figures: dict[tuple[str, date], WeekFigures] = {}

    def row(key: str, day: date) -> WeekFigures:
        week = week_start(day)
        return figures.setdefault((key, week), WeekFigures(key, week))

    reviews = (Review.objects.annotate(day=Coalesce("reviewed_at", TruncDate("imported_at")))
               .filter(day__gte=since, day__lte=until).exclude(**{key_field: ""}))
    if keys is not None:
        reviews = reviews.filter(**{f"{key_field}__in": keys})
    for item in (reviews.values(key_field, "day", "sentiment")
                 .annotate(n=Count("pk"), stars=Sum("rating")).order_by()):
        figure = row(item[key_field], item["day"])
        figure.reviews += item["n"]
        figure.rating_sum += item["stars"] or 0
        figure.reviews_by[item["sentiment"] or ""] += item["n"]

    tickets = (Ticket.objects.filter(product__isnull=False).annotate(day=TruncDate("created_at"))
               .filter(day__gte=since, day__lte=until).exclude(**{key_field: ""}))
    if keys is not None:
        tickets = tickets.filter(**{f"{key_field}__in": keys})
    for item in tickets.values(key_field, "day", "sentiment").annotate(n=Count("pk")).order_by():
        figure = row(item[key_field], item["day"])
        figure.tickets += item["n"]
        figure.tickets_by[item["sentiment"] or ""] += item["n"]
    return figures


def weeks_between(first: date, last: date) -> list[date]:
    weeks, week = [], week_start(first)
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class KeyInfo:
    label: str
    brand: str
    category: str


def key_info(scope: str, keys: list[str]) -> dict[str, KeyInfo]:
    """What to call each key and whose subscribers hear of it (a product's brand and category)."""
    if scope == Scope.PRODUCT:
        return {sku: KeyInfo(title, brand, category) for sku, title, brand, category in
                Product.objects.filter(sku__in=keys).values_list("sku", "title", "brand", "category")}
    if scope == Scope.BRAND:
        return {key: KeyInfo(key, key, "") for key in keys}
    return {key: KeyInfo(key, "", key) for key in keys}


def top_keys(scope: str, *, since: date, until: date, limit: int) -> list[str]:
    """The keys with the most reviews and tickets in the period."""
    totals: Counter = Counter()
    for (key, _), figure in weekly_figures(scope, since=since, until=until).items():
        totals[key] += figure.reviews + figure.tickets
    return [key for key, _ in totals.most_common(limit)]


def recent_alerts(*, limit: int = 50):
    return Alert.objects.order_by("-detected_at", "-pk")[:limit]


# --- complaint phrases ----------------------------------------------------------------------------

STOPWORDS = frozenset("""
a an the and or but if so of to in on at for with from by as is are was were be been being it its it's this
that these those i i'm i've me my we our you your she her he his they them their what which who not no very
just really too also than then there here have has had do does did will would could should can may might
much more most some any all one out up down over about into only even still again get got so
""".split())
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _phrases(text: str) -> set[str]:
    tokens = _TOKEN.findall(text.lower())
    found = set()
    for size in (2, 3):
        for i in range(len(tokens) - size + 1):
            gram = tokens[i:i + size]
            if gram[0] in STOPWORDS or gram[-1] in STOPWORDS:
                continue
            found.add(" ".join(gram))
    return found


def complaint_phrases(texts_negative: list[str], texts_all: list[str], *, limit: int = 10,
                      min_count: int = 2) -> list[tuple[str, int]]:
    """Two- and three-word phrases more frequent in negative reviews than in all of them.

    Ranked by the number of negative reviews using the phrase, weighted by how much more often
    they use it than reviews in general (a lift), so "this dress" gives way to "runs small".
    """
    if not texts_negative:
        return []
    negative = Counter(p for text in texts_negative for p in _phrases(text))
    overall = Counter(p for text in texts_all for p in _phrases(text))
    n_negative, n_all = len(texts_negative), max(len(texts_all), 1)
    ranked = []
    for phrase, count in negative.items():
        if count < min_count:
            continue
        lift = (count / n_negative) / ((overall[phrase] + 1) / (n_all + 1))
        if lift < 1.2:
            continue
        ranked.append((count * math.log1p(lift), phrase, count))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    chosen: list[tuple[str, int]] = []
    for _, phrase, count in ranked:
        if any(phrase in longer or longer in phrase for longer, _ in chosen):
            continue  # "runs small" and "runs small and" say one thing
        chosen.append((phrase, count))
        if len(chosen) == limit:
            break
    return chosen


def review_texts(scope: str, *, since: date, until: date, key: str | None = None, limit: int = 3000
                 ) -> tuple[list[str], list[str]]:
    """(negative reviews' texts, all reviews' texts) of the scope (or one key of it) in the period."""
    key_field = KEY_FIELD[scope]
    reviews = (Review.objects.annotate(day=Coalesce("reviewed_at", TruncDate("imported_at")))
               .filter(day__gte=since, day__lte=until).exclude(**{key_field: ""}))
    if key is not None:
        reviews = reviews.filter(**{key_field: key})
    rows = list(reviews.order_by("-day", "-pk").values_list("title", "body", "sentiment")[:limit])
    texts = [f"{title}. {body}" for title, body, _ in rows]
    return [t for t, (_, _, s) in zip(texts, rows) if s == "negative"], texts


def sentiment_models(limit: int = 5) -> list[dict]:
    """The newest versions of the sentiment model (fine-tuning purpose ``insights.sentiment``) with their
    held-out metrics next to the cue words' on the same reviews."""
    rows = []
    for adapter in Adapter.objects.filter(purpose=reader.PURPOSE).order_by("-version")[:limit]:
        measured = (adapter.metrics or {}).get("adapter") or {}
        rows.append({
            "version": adapter.version, "status": adapter.get_status_display(), "active": adapter.is_active,
            "gate_passed": adapter.gate_passed, "recipe": (adapter.parameters or {}).get("recipe", ""),
            "finished_at": adapter.finished_at, "held_out": measured.get("held_out"),
            "accuracy": _value(measured.get("accuracy")), "macro_f1": _value(measured.get("macro_f1")),
            "cue_words_accuracy": measured.get("cue_words_accuracy"),
            "cue_words_macro_f1": measured.get("cue_words_macro_f1"),
        })
    return rows


def _value(metric):
    return metric.get("value") if isinstance(metric, dict) else metric


def unread_reviews() -> int:
    return Review.objects.filter(Q(sentiment="")).count()
