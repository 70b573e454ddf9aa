"""Constrained decoding: the model may only write numbers, terms, placeholders and links it was given.

A ``GroundingLogitsProcessor`` (a transformers ``LogitsProcessor``) takes one
``Grounding`` per row of the batch and, at every step, sets the score of each token
that would break it to ``-inf``:

- Numbers are judged WHOLE, as they are formed, not token by token (a ban on single
  digits lets "9", ".", "8", "9" recombine into "$9.89"). The number being written at
  the end of the text must stay a prefix of an allowed number; a number the next token
  would complete (a space, a letter, "mm" after "10") must be one of the allowed numbers.
  So with facts "10000 mm" and "290 g" the model can write "10000" and "290", never
  "1000", "29" or "10001". Thousands separators are ignored ("10,000" == "10000").
- Banned terms (materials, colours, certifications the product does not hold) are
  blocked as token sequences: when the text ends with all but the last token of a
  banned spelling, that last token is blocked (the rule of transformers'
  ``NoBadWordsLogitsProcessor``, per row). Spellings with and without a leading space
  and capitalised are covered.
- Replies (``Grounding.brackets`` / ``Grounding.links``): a bracket may only open towards one of
  the allowed bracketed texts (citations, the ticket's placeholders), ``{`` and ``<`` are never
  written, and a link may only be written as part of an allowed one
  (``ecomcms.inference.replyrules``). So "[Order Number]", "{{Website}}" or "amazon.com" cannot
  come out; the model writes its next best token instead.

``ecomcms.inference.numbers.number_allows`` and ``ecomcms.inference.replyrules`` are the pure
rules, tested without a model.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from ecomcms.inference.base import Grounding
from ecomcms.inference.numbers import NumberRule, number_allows, number_tail
from ecomcms.inference.replyrules import BracketRule, LinkRule, may_trigger, sensitive


class GroundingLogitsProcessor(LogitsProcessor):
    """Per-row grounding of a left-padded batch. ``prompt_length``: where generation starts."""

    def __init__(self, tokenizer, groundings: list[Grounding | None], prompt_length: int):
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.active = [g is not None for g in groundings]
        self.rules = [NumberRule(g.numbers) if g is not None and g.numbers is not None else None for g in groundings]
        self.banned = [_index_sequences(_banned_sequences(tokenizer, g.banned_terms)) if g is not None else ([], {})
                       for g in groundings]
        self.brackets = [BracketRule(g.brackets) if g is not None and g.brackets is not None else None
                         for g in groundings]
        self.links = [LinkRule(g.links) if g is not None and g.links is not None else None for g in groundings]
        pieces = _token_pieces(tokenizer)
        self.digit_ids = [i for i, p in enumerate(pieces) if any(c in "0123456789" for c in p)]
        self.separator_ids = [i for i, p in enumerate(pieces) if p[:1] in (".", ",") and i not in set(self.digit_ids)]
        self.pieces = pieces
        if any(r is not None for r in self.brackets + self.links):
            special = set(getattr(tokenizer, "all_special_ids", ()) or ())
            self.special_ids = sorted(special)
            self.trigger_ids = [i for i, p in enumerate(pieces) if i not in special and may_trigger(p)]
            # After a link-like word, every token that joins it (no leading space) may matter, and the triggers.
            self.joining_ids = sorted(set(self.trigger_ids) | {i for i, p in enumerate(pieces)
                                                                if i not in special and p and not p[0].isspace()})
            self.by_first: dict[str, list[int]] = {}
            for i, p in enumerate(pieces):
                if i not in special and p:
                    self.by_first.setdefault(p[0], []).append(i)
        self.blocked = 0  # how many times a token that would have broken a rule was blocked

    def keep_rows(self, rows: list[int]) -> None:
        """Only these rows go on (``ecomcms.inference.decoding`` drops finished rows from the batch)."""
        self.active = [self.active[i] for i in rows]
        self.rules = [self.rules[i] for i in rows]
        self.banned = [self.banned[i] for i in rows]
        self.brackets = [self.brackets[i] for i in rows]
        self.links = [self.links[i] for i in rows]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row in range(input_ids.shape[0]):
            if not self.active[row]:
                continue
            generated = input_ids[row, self.prompt_length:].tolist()
            rule = self.rules[row]
            if rule is not None:
                self._ground_numbers(row, rule, generated, scores)
            self._ban_terms(row, generated, scores)
            if self.brackets[row] is not None or self.links[row] is not None:
                self._ground_reply(row, generated, scores)
        return scores

    def _ground_reply(self, row: int, generated: list[int], scores) -> None:
        """No bracket, brace or angle bracket but the allowed ones, no link but the allowed ones.

        Only tokens that can matter are judged: with a bracket open, the tokens that continue it
        (everything else, the end of text included, is blocked); otherwise the tokens that could
        open a bracket or start a link, and, after a link-like word, every token that joins it.
        """
        brackets, links = self.brackets[row], self.links[row]
        text = self.tokenizer.decode(generated[-32:], skip_special_tokens=True) if generated else ""
        open_tail = BracketRule.tail(text) if brackets is not None else ""
        word = LinkRule.tail(text) if links is not None else ""

        def ok(i: int) -> bool:
            piece = self.pieces[i]
            return ((brackets is None or brackets.allows(open_tail, piece))
                    and (links is None or links.allows(word, piece)))

        row_scores = scores[row]
        if open_tail:
            firsts = {a[len(open_tail)] for a in brackets.allowed
                      if a.startswith(open_tail) and len(a) > len(open_tail)}
            keep = [i for c in sorted(firsts) for i in self.by_first.get(c, ()) if ok(i)]
            if keep:  # (none: a bracket the rule never let open, e.g. with a grounding added mid-way)
                kept = row_scores[keep].clone()
                if not bool(torch.isfinite(kept).any()):
                    kept = torch.zeros_like(kept)  # other processors blocked every way on: let them through
                row_scores[:] = -float("inf")
                row_scores[keep] = kept
                self.blocked += 1
                return
        candidates = self.trigger_ids
        if links is not None and sensitive(word):
            candidates = self.joining_ids
        blocked = [i for i in candidates if not ok(i)]
        if blocked:
            self.blocked += 1
            row_scores[blocked] = -float("inf")

    def _ground_numbers(self, row: int, rule: NumberRule, generated: list[int], scores) -> None:
        # Only the last few tokens can hold the number being formed (digits are single tokens here).
        text = self.tokenizer.decode(generated[-24:], skip_special_tokens=True) if generated else ""
        tail = number_tail(text)
        if tail and not rule.complete_ok(tail.rstrip(".,")):
            # An unfinished number ("1" of "10000", "24." of "24.90"): only tokens that continue it
            # towards an allowed number may follow, even where other processors (no repeated
            # n-grams) blocked them all: then they are let through again.
            keep = [i for i in self.digit_ids + self.separator_ids if number_allows(rule, tail, self.pieces[i])]
            if keep:
                row_scores = scores[row]
                kept = row_scores[keep].clone()
                if not bool(torch.isfinite(kept).any()):
                    kept = torch.zeros_like(kept)
                row_scores[:] = -float("inf")
                row_scores[keep] = kept
                self.blocked += 1
                return
        blocked = [i for i in self.digit_ids if not number_allows(rule, tail, self.pieces[i])]
        if tail:
            blocked += [i for i in self.separator_ids if not number_allows(rule, tail, self.pieces[i])]
        if blocked:
            if bool(torch.isfinite(scores[row][blocked]).any()):
                self.blocked += 1
            scores[row][blocked] = -float("inf")

    def _ban_terms(self, row: int, generated: list[int], scores) -> None:
        always, by_last = self.banned[row]
        if always:
            scores[row][always] = -float("inf")
        if generated:
            for head, last in by_last.get(generated[-1], ()):
                if generated[-len(head):] == head:
                    scores[row][last] = -float("inf")


def _index_sequences(sequences: list[list[int]]) -> tuple[list[int], dict[int, list[tuple[list[int], int]]]]:
    """Single-token spellings (always blocked) and longer ones keyed by the last token of their head."""
    always = sorted({seq[0] for seq in sequences if len(seq) == 1})
    by_last: dict[int, list[tuple[list[int], int]]] = {}
    for seq in sequences:
        if len(seq) > 1:
            by_last.setdefault(seq[-2], []).append((seq[:-1], seq[-1]))
    return always, by_last


def _token_pieces(tokenizer) -> list[str]:
    cached = getattr(tokenizer, "_ecomcms_pieces", None)
    if cached is None:
        cached = [tokenizer.decode([i]) for i in range(len(tokenizer))]
        tokenizer._ecomcms_pieces = cached
    return cached


def _banned_sequences(tokenizer, terms) -> list[list[int]]:
    sequences = []
    for term in terms:
        for spelling in {term, term.lower(), term.capitalize(), term.title()}:
            for variant in (spelling, " " + spelling):
                ids = tokenizer.encode(variant, add_special_tokens=False)
                if ids and ids not in sequences:
                    sequences.append(ids)
    return sequences
