"""Whole numbers as they are formed: the rule the grounding logits processor applies (no torch here)."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# The number being written at the end of a text: digits, maybe a separator waiting for more digits.
_TAIL = re.compile(r"\d+(?:[.,]\d+)*[.,]?$")


_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def normalize_number(number: str) -> str:
    """"10,000" -> "10000" (commas only where they group thousands: "1,7" stays "1,7");
    "2.50" stays "2.50" (the text must copy the facts' form)."""
    return number.replace(",", "") if _THOUSANDS.match(number) else number


def _grouped(number: str) -> str:
    whole, dot, fraction = number.partition(".")
    if not whole.isdigit() or len(whole) <= 3:
        return number
    return f"{int(whole):,}" + dot + fraction


def numbers_in(text: str) -> set[str]:
    return {normalize_number(m.group()) for m in _NUMBER.finditer(text)}


class NumberRule:
    """The allowed numbers of one product, with every prefix of each (numbers still being formed)."""

    def __init__(self, numbers):
        self.allowed = {normalize_number(n) for n in numbers if n}
        forms = self.allowed | {_grouped(n) for n in self.allowed}
        self.prefixes = {n[:i] for n in forms for i in range(1, len(n) + 1)}

    def complete_ok(self, number: str) -> bool:
        return normalize_number(number) in self.allowed

    def forming_ok(self, number: str) -> bool:
        return number in self.prefixes


def number_allows(rule: NumberRule, tail: str, piece: str) -> bool:
    """Whether appending ``piece`` to a text ending in ``tail`` keeps every number allowed.

    ``tail`` is the number being formed at the end of the text so far ("" if none).
    """
    text = tail + piece
    for match in _NUMBER.finditer(text):
        number, end = match.group(), match.end()
        if end == len(text):  # still being formed
            if not rule.forming_ok(number):
                return False
        elif text[end] in ".," and end + 1 == len(text):  # "9." : a decimal point or the end of a sentence
            if not (rule.complete_ok(number) or rule.forming_ok(number + text[end])):
                return False
        elif not rule.complete_ok(number):
            return False
    return True


def number_tail(text: str) -> str:
    """The number being formed at the end of ``text`` ("" when the text does not end in one)."""
    match = _TAIL.search(text)
    if not match:
        return ""
    return match.group()
