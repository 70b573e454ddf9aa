"""Pure functions: reply strategies' texts, the shared finishing of every suggestion, and the serving choice.

A suggested reply is made by one of four strategies (``STRATEGIES``):

- ``model``: the text model writes it from the ticket and the retrieved articles (``support.prompts``).
- ``nearest``: the reply staff sent to the most similar resolved ticket of the same intent, with its
  details adapted to this ticket (``adapt``): the other customer's name and order become this one's,
  the shop's details fill the template slots, and a sentence holding anything else of the other
  ticket (an address, a phone number, a slot nobody can fill) is dropped rather than sent.
- ``canned``: the intent's canned response, filled from the ticket the same way.
- ``combined``: the model writes it with the nearest resolved reply given as a saved reply and the
  intent's article first among its sources.

Whatever wrote the text, ``finish`` tidies, cites and flags it the same way, so the strategies are
judged (and shown to staff) alike. ``choose`` turns the evaluation table into the strategy to serve,
overall and per intent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ecomcms.inference import Grounding
from support import checks
from support.prompts import Source

STRATEGIES = ("model", "nearest", "canned", "combined")
#: The model strategies with grounded decoding (``reply_grounding``), as the harness names them: what ``model``
#: and ``combined`` serve while ``SUPPORT_REPLY_GROUNDED`` is on (the default). ``served`` maps them back.
GROUNDED = "+grounded"
EVALUATED = ("model", "model+grounded", "nearest", "canned", "combined", "combined+grounded")
#: The fine-tuning purpose of the reply model (``support.finetuning``); drafting uses its active adapter.
REPLY_PURPOSE = "support.reply"
#: Strategies that call the text model (the others are templates and cost no generation).
MODEL_STRATEGIES = frozenset({"model", "combined"})

_SLOT = re.compile(r"\{\{\s*([^{}\n]{1,60}?)\s*\}\}")
_PLACEHOLDER = re.compile(r"\[([A-Z_]+)_(\d+)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_LIST_ITEM = re.compile(r"^(\s*)\d{1,2}([.)])\s")
_IDENTIFIER = re.compile(r"#?(?<![\w-])\d{6,}(?![\w-])")

#: Template slots that stand for one of the shop's or the ticket's details (lower-case slot name -> detail key).
DETAIL_SLOTS = {
    "website name": "shop_name", "company name": "shop_name", "store name": "shop_name",
    "online store name": "shop_name", "online store": "shop_name", "company": "shop_name", "website": "shop_name",
    "customer support email": "email", "customer support email address": "email", "support email": "email",
    "email": "email", "email address": "email", "support email address": "email",
    "customer support phone number": "phone", "support phone number": "phone", "phone number": "phone",
    "customer service phone number": "phone",
    "website url": "url", "website address": "url", "url": "url",
    "order number": "order", "order number anonymized": "order", "purchase id anonymized": "order",
    "order id": "order", "purchase number": "order", "order reference": "order", "purchase id": "order",
    "customer name": "customer", "client name": "customer", "client first name": "customer", "name": "customer",
    "client last name": "customer", "first name": "customer",
}
#: Words of a slot that stands for a value only the original ticket knew (never filled with its own name).
_VALUE_WORDS = frozenset({
    "number", "amount", "date", "day", "days", "time", "hours", "hour", "percentage", "percent", "anonymized",
    "id", "url", "price", "fee", "cost", "phone", "email", "availability", "name", "value", "or", "money",
    "period", "type", "code", "year", "month", "weeks", "week", "city", "country",
})


@dataclass(frozen=True)
class Details:
    """What a template reply may be filled with: the shop's details and this ticket's placeholders."""

    shop_name: str = ""
    email: str = ""
    phone: str = ""
    url: str = ""
    customer: str = ""  # this ticket's customer placeholder ("[NAME_1]") or ""
    order: str = ""  # this ticket's order placeholder ("[ORDER_1]") or ""

    def value(self, key: str) -> str:
        return getattr(self, key, "")


def _slot_value(name: str, details: Details) -> str | None:
    """A slot's filling, or None when nothing true can fill it."""
    key = " ".join(name.lower().replace("_", " ").split())
    if key in DETAIL_SLOTS:
        return details.value(DETAIL_SLOTS[key]) or None
    words = key.split()
    if 1 <= len(words) <= 4 and all(w.isalpha() for w in words) and not set(words) & _VALUE_WORDS:
        return name.strip()  # a page or button of the shop ("{{Order Details}}"): its name is its filling
    return None


def fill_slots(text: str, details: Details, *, keep_unfilled: bool = False) -> str:
    """Fill ``{{Slot}}`` template slots; unfilled ones become ``[Slot]`` gaps (or stay as written)."""
    def replace(match: re.Match) -> str:
        value = _slot_value(match.group(1), details)
        if value is not None:
            return value
        return match.group() if keep_unfilled else f"[{match.group(1).strip()}]"
    return _SLOT.sub(replace, text)


def _replace_placeholders(text: str, details: Details) -> str:
    """Another ticket's ``[NAME_n]``/``[ORDER_n]`` become this ticket's; any other placeholder stays (a gap)."""
    own = {"NAME": details.customer, "ORDER": details.order}

    def replace(match: re.Match) -> str:
        return own.get(match.group(1)) or f"[{match.group(1).lower()}]"
    return _PLACEHOLDER.sub(replace, text)


def _renumber(lines: list[str]) -> list[str]:
    """Numbered list items stay 1, 2, 3 ... after some were dropped."""
    out, number = [], 0
    for line in lines:
        match = _LIST_ITEM.match(line)
        if match:
            number += 1
            line = f"{match.group(1)}{number}{match.group(2)} " + line[match.end():]
        elif line.strip():
            number = 0
        out.append(line)
    return out


def _gaps(text: str, keep: frozenset[str]) -> list[str]:
    return [gap for gap in checks.unfilled_placeholders(text) if gap not in keep]


def drop_gaps(text: str, keep: Sequence[str] = ()) -> str:
    """Drop every sentence that holds a gap nobody filled (``checks.unfilled_placeholders``; this ticket's own
    placeholders in ``keep`` are no gaps), keeping the layout."""
    keep = frozenset(p for p in keep if p)
    lines = []
    for line in text.split("\n"):
        if not _gaps(line, keep):
            lines.append(line)
            continue
        kept = [s for s in _SENTENCE.split(line) if not _gaps(s, keep)]
        line = " ".join(kept)
        if line.strip() and not _LIST_ITEM.fullmatch(line + " "):
            lines.append(line)
    text = "\n".join(_renumber(lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def adapt(text: str, details: Details) -> str:
    """Another ticket's reply (or a canned response) made fit for this ticket: never with a gap left in it."""
    # Another ticket's identifiers (order, invoice, tracking numbers: 6+ digits) are its details, never this one's.
    text = _IDENTIFIER.sub("[number]", _replace_placeholders(text, details))
    filled = fill_slots(text, details)
    return drop_gaps(filled, keep=(details.customer, details.order))


def framed(body: str, *, customer: str, shop_name: str) -> str:
    """The greeting and sign-off every suggestion has (the model is asked for the same)."""
    greeting = f"Hello {customer}," if customer else "Hello,"
    if re.match(r"^\s*(?:hello|hi|dear|good (?:morning|afternoon|evening))\b", body, re.IGNORECASE):
        greeting = ""
    sign_off = f"Best regards, the {shop_name} team"
    return "\n\n".join(part for part in (greeting, body.strip(), sign_off) if part)


# --- Finishing every suggestion -------------------------------------------------------------------------------


@dataclass
class Finished:
    reply: str  # the reply without the related-article footer (what chrF is measured on)
    text: str  # the suggestion as staff see it: reply + footer
    flags: list[dict] = field(default_factory=list)
    cited: list[Source] = field(default_factory=list)


def finish(text: str, *, sources: Sequence[Source], quote: Sequence[str], ticket_text: str,
           mapping: Mapping[str, str], customer: str, shop_texts: Sequence[str] = (),
           cite_by_design: bool = False) -> Finished:
    """Tidy, cite, flag and add the footer: one path for every strategy.

    A model that cites no article gets the best article's most relevant sentences quoted into its
    reply, and the ``no_citation`` flag says so. A template strategy quotes its article by design
    (``cite_by_design``) before the checks, so nothing about it is the model's omission.
    """
    articles = [s for s in sources if s.kind == "article"]
    reply = checks.clean_reply(text, customer_placeholder=customer)
    if cite_by_design and reply and articles and not set(checks.cited_numbers(reply)) & {a.number for a in articles}:
        reply = checks.with_quote(reply, articles[0], quote)
    flags = checks.reply_flags(reply, sources=sources, ticket_text=ticket_text, mapping=dict(mapping),
                               shop_texts=list(shop_texts))
    if checks.has_markup(text):
        flags.append({"code": "markup", "message": "The model wrote HTML or a script; it was removed from the reply."})
    cited = [s for s in articles if s.number in checks.cited_numbers(reply)]
    if reply and articles and not cited:
        # Small models rarely cite: quote the best article's most relevant sentences, and say so in the flags.
        reply = checks.with_quote(reply, articles[0], quote)
        cited = [articles[0]] if quote else []
    footer = checks.related_articles_footer(cited or articles[:1])
    full = f"{reply}\n\n{footer}".strip() if reply else ""
    return Finished(reply=reply, text=full, flags=flags, cited=cited)


def served(strategy: str) -> str:
    """The serving strategy an evaluated one stands for ("model+grounded" -> "model")."""
    return strategy.removesuffix(GROUNDED)


# --- Grounded decoding of the model's replies ---------------------------------------------------------------

#: What a reply must never say about itself (the ``instruction`` flag's chatbot lines): blocked while decoding.
CHATBOT_PHRASES = frozenset({"chatbot", "as an AI", "an AI language model", "a language model", "I am an AI",
                             "I'm an AI", "AI assistant"})


def reply_grounding(*, sources: Sequence[Source], mapping: Mapping[str, str], shop_texts: Sequence[str] = (),
                    known_links: Sequence[str] = (), brackets: Sequence[str] = ()) -> Grounding:
    """What the model may write in a reply, enforced while it decodes (``ecomcms.inference.replyrules``).

    Brackets: none by default, so no ``[...]``, no ``{{slot}}``, no ``<tag>``. Allowing citations or the
    ticket's placeholders (``brackets``) does not work with a small model: a bracket it opens for a gap
    ("Hi [customer_name]") can only be completed as an allowed text, so it turns every gap into "[1]"
    or "[ORDER_1]" (measured: "Hi [1]" in 6 replies of 6), which is wrong and would hide the
    ``no_citation`` flag. Without citations the reply is quoted and flagged as before. Links: only those
    in the sources, the shop's own addresses and ``known_links`` (the knowledge base): the send guard's
    rule. Chatbot lines (``CHATBOT_PHRASES``) are blocked. Numbers are left free (the checks flag them).
    ``mapping`` is the ticket's placeholders (for callers that allow them through ``brackets``).
    """
    allowed = {b for b in brackets if b in mapping or re.fullmatch(r"\[\d{1,2}\]", b)}
    given = "\n".join([*(f"{s.url}\n{s.body}" for s in sources), *shop_texts, *known_links])
    return Grounding(numbers=None, banned_terms=CHATBOT_PHRASES, brackets=frozenset(allowed),
                     links=frozenset(checks.links(given)))


# --- Retrieval helpers (pure) --------------------------------------------------------------------------------


def top_matches(matrix: np.ndarray, query: np.ndarray, limit: int, minimum: float) -> list[tuple[int, float]]:
    """Row indices of ``matrix`` (unit vectors) most similar to ``query``: best first, at least ``minimum``."""
    if matrix.size == 0 or matrix.shape[1] != query.shape[0]:
        return []
    similarities = matrix @ query
    order = np.argsort(-similarities, kind="stable")[:limit]
    return [(int(i), float(similarities[i])) for i in order if similarities[i] >= minimum]


def relevant_sentences(sentences: Sequence[str], vectors: np.ndarray | None, query: np.ndarray,
                       limit: int = 2) -> list[str]:
    """The ``limit`` sentences closest to the query, in their original order."""
    if len(sentences) <= limit or vectors is None:
        return list(sentences[:limit])
    best = sorted(np.argsort(-(vectors @ query), kind="stable")[:limit].tolist())
    return [sentences[i] for i in best]


def numbered(articles: Sequence[Source], canned: Sequence[Source] = ()) -> list[Source]:
    """Renumber sources 1..n (articles first) for a prompt, dropping repeats of the same article."""
    seen, out = set(), []
    for source in [*articles, *canned]:
        key = (source.kind, source.id)
        if key in seen:
            continue
        seen.add(key)
        out.append(Source(len(out) + 1, source.kind, source.id, source.title, source.body, source.similarity,
                          source.url))
    return out


# --- Which strategy to serve ------------------------------------------------------------------------------------

#: A strategy may be chosen only if its flagged share is at most this much above the least flagged one.
FLAG_TOLERANCE = 0.05
#: An intent gets its own strategy only when it beats the overall choice there by this many chrF points,
#: measured on at least ``INTENT_MIN_ITEMS`` of its messages (fewer say nothing about the intent).
INTENT_MARGIN = 2.0
INTENT_MIN_ITEMS = 5


def best_strategy(rows: Mapping[str, Mapping]) -> str | None:
    """The best of ``{strategy: {"chrf": x, "flagged_share": y}}``: the highest chrF among those flagged
    least (within ``FLAG_TOLERANCE`` of the lowest share); ties go to the earlier of ``STRATEGIES``."""
    usable = {name: row for name, row in rows.items() if row.get("chrf") is not None
              and row.get("flagged_share") is not None}
    if not usable:
        return None
    least = min(row["flagged_share"] for row in usable.values())
    candidates = [name for name, row in usable.items() if row["flagged_share"] <= least + FLAG_TOLERANCE + 1e-9]
    order = {name: i for i, name in enumerate(STRATEGIES)}
    return max(candidates, key=lambda name: (usable[name]["chrf"], -order.get(name, 99)))


def choose(overall: Mapping[str, Mapping], per_intent: Mapping[str, Mapping[str, Mapping]]) -> dict:
    """The serving choice from an evaluation: ``{"default": strategy, "per_intent": {intent: strategy}}``.

    An intent keeps the default unless its own best (same rule, on its items) beats the default's
    chrF on that intent by ``INTENT_MARGIN`` points without being flagged more, measured on at least
    ``INTENT_MIN_ITEMS`` messages (``n``; rows without ``n`` count as enough).
    """
    default = best_strategy(overall)
    chosen = {}
    for intent, rows in sorted(per_intent.items()):
        best = best_strategy(rows)
        if not best or not default or best == default or default not in rows:
            continue
        mine, theirs = rows[best], rows[default]
        if min(mine.get("n", INTENT_MIN_ITEMS), theirs.get("n", INTENT_MIN_ITEMS)) < INTENT_MIN_ITEMS:
            continue
        if (theirs.get("chrf") is not None and mine["chrf"] >= theirs["chrf"] + INTENT_MARGIN
                and mine["flagged_share"] <= theirs["flagged_share"]):
            chosen[intent] = best
    return {"default": default, "per_intent": chosen}
