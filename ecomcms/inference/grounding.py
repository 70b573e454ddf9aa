"""Constrained decoding: the model may only write numbers and attribute values the facts hold.

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

``ecomcms.inference.numbers.number_allows`` is the pure rule, tested without a model.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from ecomcms.inference.base import Grounding
from ecomcms.inference.numbers import NumberRule, number_allows, number_tail


class GroundingLogitsProcessor(LogitsProcessor):
    """Per-row grounding of a left-padded batch. ``prompt_length``: where generation starts."""

    def __init__(self, tokenizer, groundings: list[Grounding | None], prompt_length: int):
        self.tokenizer = tokenizer
        self.prompt_length = prompt_length
        self.rules = [NumberRule(g.numbers) if g is not None else None for g in groundings]
        self.banned = [_index_sequences(_banned_sequences(tokenizer, g.banned_terms)) if g is not None else ([], {})
                       for g in groundings]
        pieces = _token_pieces(tokenizer)
        self.digit_ids = [i for i, p in enumerate(pieces) if any(c in "0123456789" for c in p)]
        self.separator_ids = [i for i, p in enumerate(pieces) if p[:1] in (".", ",") and i not in set(self.digit_ids)]
        self.pieces = pieces
        self.blocked = 0  # how many times a token that would have broken a rule was blocked

    def keep_rows(self, rows: list[int]) -> None:
        """Only these rows go on (``ecomcms.inference.decoding`` drops finished rows from the batch)."""
        self.rules = [self.rules[i] for i in rows]
        self.banned = [self.banned[i] for i in rows]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row in range(input_ids.shape[0]):
            rule = self.rules[row]
            if rule is None:
                continue
            generated = input_ids[row, self.prompt_length:].tolist()
            self._ground_numbers(row, rule, generated, scores)
            self._ban_terms(row, generated, scores)
        return scores

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
