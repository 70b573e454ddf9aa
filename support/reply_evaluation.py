"""The reply-evaluation harness: every reply strategy on a held-out split of Bitext, in one run.

Bitext (``../shared/data/support/bitext``) gives 4,514 customer messages, each with its intent and
the reply an agent gave. Rows are split once by a seeded hash of their row number
(``is_held_out``): the held-out rows are never trained on (``support.finetuning`` uses the same
split), and the training rows stand for the shop's resolved tickets (the ``nearest`` strategy
searches them) and for its canned responses (``canned``: per intent, the reply to the training
message closest to the intent's centre).

For each held-out message every strategy writes a reply that goes through the product's own
finishing (``support.replies.finish``: citations, quotes, checks). Measured per strategy, with 95%
intervals: chrF of the reply (without the footer) against the reference reply, the share of
replies with any flag or anything that would stop them being sent, and the share citing the right
article. The right article: a published article whose tags name the message's intent (the same
intent -> article mapping the product uses to put the intent's article first; the demo knowledge
base tags its articles with the 27 Bitext intents they answer). Messages whose intent has no
article count in the first two shares only.

The reference keeps what cannot be filled (``{{Customer Support Phone Number}}``); its shop details
are filled with the same values as the strategies' texts, so no strategy gains from a slot's name.
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ecomcms import inference, stats
from ecomcms.assign import stable_fraction
from ecomcms.redaction import restore
from support import prompts, replies
from support.checks import BLOCKING_CODES, send_blockers

BITEXT_FILE = "Bitext_Sample_Customer_Support_Training_Dataset.csv"
SUBJECT = "Support request"
MIN_ARTICLE_SIMILARITY = 0.2
TOP_ARTICLES = 2


@dataclass(frozen=True)
class Pair:
    """One Bitext row: the customer's message, its intent and the agent's reference reply."""

    id: str
    intent: str
    text: str
    reference: str
    order: str = ""  # the order number the message names, if any

    def redacted(self) -> tuple[str, dict[str, str]]:
        """The message as the model sees it: an order number becomes ``[ORDER_1]`` (as with the shop's patterns)."""
        if self.order:
            found = re.search(rf"#?\b0*{re.escape(self.order.lstrip('0'))}\b", self.text)
            if found:
                return self.text.replace(found.group(), "[ORDER_1]"), {"[ORDER_1]": found.group()}
        return self.text, {}


@dataclass(frozen=True)
class Article:
    id: int
    title: str
    body: str
    url: str = ""
    tags: tuple[str, ...] = ()


def pairs_read(path: str | Path) -> list[Pair]:
    """The Bitext CSV (or the folder holding it) as pairs, numbered by row."""
    path = Path(path)
    if path.is_dir():
        path = path / BITEXT_FILE
    if not path.exists():
        raise FileNotFoundError(f"no Bitext file at {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    missing = {"instruction", "intent", "response"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path} is not the Bitext file: no column {', '.join(sorted(missing))}")
    pairs = []
    for n, row in enumerate(rows, start=1):
        text, reference = _lines(row["instruction"]), _lines(row["response"])
        if not text or not reference:
            continue
        order = row.get("entity_value", "").strip() if row.get("entity_type") == "order_id" else ""
        if order:  # the reply names its own customer's order: a detail to adapt, like a template slot
            reference = re.sub(rf"#?\b0*{re.escape(order.lstrip('0'))}\b", "{{Order Number}}", reference)
        pairs.append(Pair(id=str(n), intent=row["intent"].strip(), text=text, reference=reference, order=order))
    return pairs


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def is_held_out(pair_id: str, *, seed: int, share: float) -> bool:
    """The one split of Bitext rows: held out (never trained on) or training, by a seeded hash of the row."""
    return stable_fraction(seed, f"bitext:{pair_id}") < share


def split(pairs: Sequence[Pair], *, seed: int = 0, share: float = 0.2) -> tuple[list[Pair], list[Pair]]:
    train = [p for p in pairs if not is_held_out(p.id, seed=seed, share=share)]
    held = [p for p in pairs if is_held_out(p.id, seed=seed, share=share)]
    return train, held


def held_out_sample(held: Sequence[Pair], *, per_intent: int | None = None, limit: int | None = None) -> list[Pair]:
    """The first ``per_intent`` held-out rows of each intent (file order), then at most ``limit`` in all.

    With ``per_intent`` the rows come round by round (the first of each intent, then the second ...), so
    any prefix of the sample, what a run stopped early has measured, covers the intents evenly."""
    if per_intent:
        taken: Counter = Counter()
        ranked = []
        for pair in held:
            if taken[pair.intent] < per_intent:
                ranked.append((taken[pair.intent], len(ranked), pair))
                taken[pair.intent] += 1
        held = [pair for _, _, pair in sorted(ranked, key=lambda r: (r[0], r[1]))]
    return list(held[:limit] if limit else held)


def knowledge_demo() -> list[Article]:
    from support.demo import ARTICLES

    return [Article(n, title, body, url, tuple(tags)) for n, (title, url, tags, body) in enumerate(ARTICLES, start=1)]


def knowledge_db() -> list[Article]:
    from support.models import KnowledgeArticle

    return [Article(a.pk, a.title, a.body, a.url, tuple(a.tags or ()))
            for a in KnowledgeArticle.objects.filter(is_published=True)]


def article_source(article: Article, number: int = 0, similarity: float = 0.0) -> prompts.Source:
    return prompts.Source(number, "article", article.id, article.title, article.body, round(similarity, 4),
                          article.url)


@dataclass
class Settings:
    strategies: tuple[str, ...] = replies.STRATEGIES  # or any of replies.EVALUATED ("model+grounded" ...)
    adapter_path: str = ""  # "" = the base model
    adapter: str = "none"
    details: replies.Details = field(default_factory=replies.Details)
    batch_size: int = 8
    max_new_tokens: int = 120
    shop_texts: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _chrf_scorer():
    from sacrebleu.metrics import CHRF

    return CHRF()


def chrf(hypothesis: str, reference: str) -> float:
    """Sentence-level chrF (sacrebleu's defaults: character 6-grams, beta 2), 0-100."""
    return float(_chrf_scorer().sentence_score(hypothesis, [reference]).score)


_vectors: dict[tuple[str, str], np.ndarray] = {}


def embed(texts: Sequence[str], batch: int = 64) -> np.ndarray:
    """Unit vectors of ``texts`` with the runtime's embedder (cached per process: a run embeds Bitext once)."""
    embedder = inference.get_embedder()
    model_id = getattr(embedder, "model_id", "")
    missing = list(dict.fromkeys(t for t in texts if (model_id, t) not in _vectors))
    for start in range(0, len(missing), batch):
        chunk = missing[start:start + batch]
        for text, vector in zip(chunk, np.asarray(embedder.embed(chunk).vectors, dtype=np.float32)):
            _vectors[(model_id, text)] = vector
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    return np.vstack([_vectors[(model_id, t)] for t in texts])


class Knowledge:
    """Articles with their embeddings and sentence embeddings, ranked like ``knowledge_retrieve``."""

    def __init__(self, articles: Sequence[Article]):
        from support import checks

        self.articles = list(articles)
        self.matrix = embed([f"{a.title}\n{a.body}" for a in self.articles])
        self.sentences = {a.id: checks.sentences(a.body)[:40] for a in self.articles}
        self.sentence_vectors = {a.id: embed(self.sentences[a.id]) if len(self.sentences[a.id]) > 2 else None
                                 for a in self.articles}
        self.by_intent: dict[str, list[Article]] = defaultdict(list)
        for article in self.articles:
            for tag in article.tags:
                self.by_intent[tag].append(article)

    def retrieve(self, query: np.ndarray) -> list[prompts.Source]:
        found = replies.top_matches(self.matrix, query, TOP_ARTICLES, MIN_ARTICLE_SIMILARITY)
        return [article_source(self.articles[i], n, s) for n, (i, s) in enumerate(found, start=1)]

    def intent_articles(self, intent: str) -> list[prompts.Source]:
        return [article_source(a) for a in self.by_intent.get(intent, [])]

    def quote(self, sources: Sequence[prompts.Source], query: np.ndarray) -> list[str]:
        article = next((s for s in sources if s.kind == "article"), None)
        if article is None:
            return []
        return replies.relevant_sentences(self.sentences.get(article.id, []), self.sentence_vectors.get(article.id),
                                          query)


def knowledge_index(articles: Sequence[Article]) -> Knowledge:
    return Knowledge(articles)


def _nearest(pairs: Sequence[Pair], matrix: np.ndarray, query: np.ndarray) -> Pair | None:
    found = replies.top_matches(matrix, query, 1, -1.0)
    return pairs[found[0][0]] if found else None


def _canned_by_intent(train: Sequence[Pair], vectors: np.ndarray) -> dict[str, Pair]:
    """Per intent, the training reply whose message is closest to the intent's centre: its canned response."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(train):
        by_intent[pair.intent].append(index)
    canned = {}
    for intent, rows in by_intent.items():
        centre = vectors[rows].mean(axis=0)
        canned[intent] = train[rows[int(np.argmax(vectors[rows] @ centre))]]
    return canned


@dataclass
class _Case:
    pair: Pair
    text: str
    mapping: dict[str, str]
    query: np.ndarray
    details: replies.Details
    reference: str
    right: frozenset[int]
    bodies: dict[str, str] = field(default_factory=dict)
    sources: dict[str, list[prompts.Source]] = field(default_factory=dict)
    by_design: dict[str, bool] = field(default_factory=dict)
    prompts: dict[str, prompts.ChatPrompt] = field(default_factory=dict)
    groundings: dict[str, object] = field(default_factory=dict)  # strategy -> inference.Grounding (grounded ones)


def reply_prompt(pair_text: str, sources: Sequence[prompts.Source], *, shop_name: str) -> prompts.ChatPrompt:
    """The product's reply prompt for a one-message ticket (no customer name: Bitext has none)."""
    return prompts.build_reply_prompt(shop_name=shop_name, subject=SUBJECT,
                                      thread=[prompts.ThreadMessage("customer", pair_text)], sources=list(sources))


def nearest_source(body: str) -> prompts.Source:
    return prompts.Source(0, "canned", 0, "Reply to a similar resolved ticket", body)


def replies_evaluate(held: Sequence[Pair], train: Sequence[Pair], settings: Settings,
                     articles: Sequence[Article] | None = None, *, keep_items: bool = False,
                     on_progress=None) -> dict:
    """Every strategy of ``settings`` on the held-out pairs; returns the report (metrics, per intent, choice).

    The model's prompts run in windows of held-out messages in their order (every strategy of a message in
    the same window); after each window ``on_progress(report)`` gets the report of the messages done so far,
    every strategy on the same messages, so a run stopped early still compares like with like."""
    started = time.perf_counter()
    unknown = set(settings.strategies) - set(replies.EVALUATED)
    if unknown:
        raise ValueError(f"unknown strategies: {', '.join(sorted(unknown))} (known: {', '.join(replies.EVALUATED)})")
    knowledge = Knowledge(articles if articles is not None else knowledge_demo())
    intents = {p.intent for p in held}
    needs_pool = bool(set(settings.strategies) & {"nearest", "canned", "combined", "combined+grounded"})
    pool = [p for p in train if p.intent in intents] if needs_pool else []
    pool_vectors = embed([p.redacted()[0] for p in pool])
    held_vectors = embed([p.redacted()[0] for p in held])
    canned = _canned_by_intent(pool, pool_vectors)
    shop = settings.details.shop_name
    cases = []
    for pair, query in zip(held, held_vectors):
        text, mapping = pair.redacted()
        details = replace(settings.details, order=next(iter(mapping), ""))
        case = _Case(pair, text, mapping, query, details,
                     replies.fill_slots(pair.reference, details, keep_unfilled=True),
                     frozenset(a.id for a in knowledge.by_intent.get(pair.intent, [])))
        retrieved = knowledge.retrieve(query)
        same = [i for i, p in enumerate(pool) if p.intent == pair.intent]
        nearest = _nearest([pool[i] for i in same], pool_vectors[same], query)
        nearest_body = replies.adapt(nearest.reference, details) if nearest else ""
        with_intent = replies.numbered(knowledge.intent_articles(pair.intent)[:1], retrieved)[:TOP_ARTICLES]
        for name in settings.strategies:
            if replies.served(name) == "model":
                case.sources[name] = retrieved
                case.prompts[name] = reply_prompt(text, retrieved, shop_name=shop)
            elif replies.served(name) == "combined":
                sources = replies.numbered(with_intent, [nearest_source(nearest_body)] if nearest_body else [])
                case.sources[name] = sources
                case.prompts[name] = reply_prompt(text, sources, shop_name=shop)
            if name in case.prompts and name.endswith(replies.GROUNDED):
                case.groundings[name] = replies.reply_grounding(
                    sources=case.sources[name], mapping=mapping, shop_texts=settings.shop_texts,
                    known_links=[a.url for a in knowledge.articles if a.url])
            if name not in case.prompts:
                template = nearest if name == "nearest" else canned.get(pair.intent)
                body = replies.adapt(template.reference, details) if template else ""
                case.sources[name] = with_intent
                case.by_design[name] = True
                case.bodies[name] = replies.framed(body, customer="", shop_name=shop) if body else ""
        cases.append(case)
    known = "\n".join([*(f"{a.title}\n{a.body}\n{a.url}" for a in knowledge.articles), *settings.shop_texts])
    items: list[dict] = []
    scored = 0

    def score(done_cases: int) -> None:
        nonlocal scored
        for case in cases[scored:done_cases]:
            items.extend(_score(case, settings, knowledge, known, keep_items))
        scored = done_cases

    def progress(done_cases: int, generation: dict) -> None:
        score(done_cases)
        if on_progress is not None:
            on_progress(_report(items, settings, cases[:done_cases], pool, generation, started, keep_items))

    generation = _generate(cases, settings, progress)
    score(len(cases))
    return _report(items, settings, cases, pool, generation, started, keep_items)


def _score(case: _Case, settings: Settings, knowledge: Knowledge, known: str, keep_items: bool) -> list[dict]:
    items = []
    for name in settings.strategies:
        sources = case.sources[name]
        quote = knowledge.quote(sources, case.query)
        done = replies.finish(case.bodies.get(name, ""), sources=sources, quote=quote,
                              ticket_text=f"{SUBJECT}\n{case.text}", mapping=case.mapping, customer="",
                              shop_texts=settings.shop_texts, cite_by_design=case.by_design.get(name, False))
        blockers = send_blockers(restore(done.text, case.mapping), known_text=known)  # what would be sent
        codes = sorted({f["code"] for f in done.flags} | {b["code"] for b in blockers})
        cited = {s.id for s in done.cited}
        items.append({
            "id": case.pair.id, "intent": case.pair.intent, "strategy": name,
            "chrf": round(chrf(done.reply, case.reference), 3),
            "flagged": bool(codes), "flags": codes,
            "right_article": bool(cited & case.right) if case.right else None,
            "reply": done.text if keep_items else None,
        })
    return items


def _report(items: list[dict], settings: Settings, cases: Sequence[_Case], pool: Sequence[Pair], generation: dict,
            started: float, keep_items: bool) -> dict:
    report = report_totals(items, settings.strategies)
    report["settings"] = {"strategies": list(settings.strategies), "adapter": settings.adapter,
                          "held_out": len(cases), "resolved_pool": len(pool), "batch_size": settings.batch_size,
                          "max_new_tokens": settings.max_new_tokens, "shop_name": settings.details.shop_name}
    report["generation"] = generation
    report["seconds"] = round(time.perf_counter() - started, 1)
    if keep_items:
        report["items"] = list(items)
    return report


#: Held-out messages per window of generation (their prompts are sorted by length inside the window).
WINDOW = 8


def _generate(cases: list[_Case], settings: Settings, progress=None) -> dict:
    """Run the model strategies' prompts in batches, window by window of messages (shortest first inside a
    window, so a batch pads little); ``progress(messages done, generation so far)`` after each window."""
    totals = {"replies": 0, "seconds": 0.0, "tokens": 0, "model_id": ""}
    for start in range(0, len(cases), WINDOW):
        window = _generate_window(cases[start:start + WINDOW], settings)
        for key in ("replies", "seconds", "tokens"):
            totals[key] += window.get(key, 0)
        totals["model_id"] = window.get("model_id") or totals["model_id"]
        if progress is not None:
            progress(min(start + WINDOW, len(cases)), _generation_summary(totals))
    return _generation_summary(totals)


def _generation_summary(totals: dict) -> dict:
    if not totals["replies"]:
        return {"replies": 0}
    seconds = totals["seconds"]
    return {"replies": totals["replies"], "model_id": totals["model_id"], "seconds": round(seconds, 1),
            "seconds_per_reply": round(seconds / totals["replies"], 2),
            "tokens_per_second": round(totals["tokens"] / seconds, 1) if seconds else None}


def _generate_window(cases: list[_Case], settings: Settings) -> dict:
    jobs = [(case, name) for case in cases for name in settings.strategies if name in case.prompts]
    if not jobs:
        return {"replies": 0}
    options = prompts.reply_options(settings.max_new_tokens)
    if settings.adapter_path:
        options = replace(options, adapter=settings.adapter_path)
    generator = inference.get_generator()
    can_ground = getattr(generator, "supports_grounding", False)
    if any(case.groundings for case, _ in jobs) and not can_ground:
        raise ValueError(f"the text generator {generator.model_id} cannot ground decoding (the +grounded strategies)")
    # Grounded and free prompts in separate batches, so a free batch pays nothing for the grounding.
    jobs.sort(key=lambda job: (name_grounded(job[1]), len(job[0].prompts[job[1]].user)))
    started, tokens, model_id = time.perf_counter(), 0, ""
    for start in range(0, len(jobs), settings.batch_size):
        chunk = jobs[start:start + settings.batch_size]
        groundings = [case.groundings.get(name) for case, name in chunk]
        extra = {"groundings": groundings} if any(g is not None for g in groundings) else {}
        results = generator.generate([case.prompts[name] for case, name in chunk], options, **extra)
        for (case, name), result in zip(chunk, results):
            case.bodies[name] = result.text
            tokens += result.tokens_out
            model_id = result.model_id
    return {"replies": len(jobs), "model_id": model_id, "seconds": time.perf_counter() - started, "tokens": tokens}


def name_grounded(name: str) -> bool:
    return name.endswith(replies.GROUNDED)


def _interval(values: Sequence[float], digits: int = 2) -> dict | None:
    if not values:
        return None
    interval = stats.bootstrap_mean(values)
    return {"value": round(interval.estimate, digits), "low": round(interval.low, digits),
            "high": round(interval.high, digits), "n": len(values)}


def _share(flags: Sequence[bool]) -> dict | None:
    if not flags:
        return None
    interval = stats.wilson(sum(flags), len(flags))
    return {"value": round(sum(flags) / len(flags), 4), "low": round(interval.low, 4), "high": round(interval.high, 4),
            "n": len(flags)}


def _summary(rows: list[dict]) -> dict:
    right = [r["right_article"] for r in rows if r["right_article"] is not None]
    return {
        "replies": len(rows),
        "chrf": _interval([r["chrf"] for r in rows]),
        "flagged_share": _share([r["flagged"] for r in rows]),
        # cannot be sent at all (an unfilled placeholder or an unknown link: checks.BLOCKING_CODES)
        "blocked_share": _share([bool(set(r["flags"]) & BLOCKING_CODES) for r in rows]),
        "right_article_share": _share(right),
        "flags": dict(Counter(code for r in rows for code in r["flags"]).most_common()),
    }


def report_totals(items: list[dict], strategies: Sequence[str]) -> dict:
    """Per strategy and per intent summaries, and the serving choice they imply (``replies.choose``)."""
    by_strategy = {name: _summary([i for i in items if i["strategy"] == name]) for name in strategies}
    per_intent: dict[str, dict] = {}
    for intent in sorted({i["intent"] for i in items}):
        per_intent[intent] = {name: _summary([i for i in items if i["intent"] == intent and i["strategy"] == name])
                              for name in strategies}

    def flat(summary: dict) -> dict:
        return {"chrf": (summary["chrf"] or {}).get("value"),
                "flagged_share": (summary["flagged_share"] or {}).get("value"), "n": summary["replies"]}

    # What can be served: with grounded decoding on (the default), "model" is served grounded, so a free row
    # measured beside its grounded one is reported but not chosen.
    servable = [n for n in strategies if n + replies.GROUNDED not in strategies]
    choice = replies.choose({n: flat(by_strategy[n]) for n in servable},
                            {intent: {n: flat(rows[n]) for n in servable} for intent, rows in per_intent.items()})
    return {"strategies": by_strategy, "per_intent": per_intent, "choice": choice}


def reports_merge(reports: Sequence[dict]) -> dict:
    """One report from the reports of shards of a run (``evaluate_replies --shard K/N --items``): their items
    joined, the messages every strategy of every report answered, the same totals and choice."""
    strategies = list(dict.fromkeys(name for r in reports for name in r["settings"]["strategies"]))
    items = [item for r in reports for item in r.get("items", [])]
    if not items:
        raise ValueError("the reports hold no items (run the shards with --items)")
    answered: dict[str, set] = defaultdict(set)
    for item in items:
        answered[item["id"]].add(item["strategy"])
    complete = {pid for pid, names in answered.items() if set(strategies) <= names}
    items = [i for i in items if i["id"] in complete]
    report = report_totals(items, strategies)
    first = reports[0]["settings"]
    report["settings"] = {**first, "strategies": strategies, "held_out": len(complete),
                          "merged": [r["settings"].get("held_out") for r in reports]}
    report["generation"] = [r.get("generation") for r in reports]
    report["seconds"] = max(r.get("seconds", 0) for r in reports)
    report["items"] = items
    return report
