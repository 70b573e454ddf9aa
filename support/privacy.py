"""Personal data out before a model sees a ticket, back in for staff: the app's use of ``ecomcms.redaction``.

* ``redact_text`` applies the shop's settings (its order-number patterns, its own
  contact details to keep) and also replaces the customer's known name.
* ``thread_redaction`` renumbers the placeholders of several separately redacted
  texts (subject, messages) into one mapping for the whole thread: each message
  was numbered on its own, so ``[EMAIL_1]`` in two messages may be two addresses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ecomcms.redaction import detect, redact, redact_for_log, restore
from support.conf import conf

__all__ = ["Redacted", "log_safe", "mask_cards", "redact_text", "restore", "thread_redaction"]

_PLACEHOLDER = re.compile(r"\[([A-Z_]+)_(\d+)\]")


@dataclass(frozen=True)
class Redacted:
    text: str
    mapping: dict[str, str]


def _options() -> dict:
    return {
        "order_number_patterns": tuple(conf.SUPPORT_ORDER_NUMBER_PATTERNS),
        "keep": tuple(conf.SUPPORT_REDACTION_KEEP),
        "phone_regions": tuple(conf.SUPPORT_REDACTION_PHONE_REGIONS),
    }


def _name_variants(name: str) -> list[str]:
    """The full name, then its words of 3+ letters (a signature often gives only "Anna")."""
    name = " ".join(name.split())
    if not name:
        return []
    words = [w for w in re.split(r"[\s,]+", name) if len(w) >= 3 and w[0].isalpha()]
    return list(dict.fromkeys([name, *words]))


def _replace_name(text: str, mapping: dict[str, str], name: str) -> str:
    """Replace the customer's name by ``[NAME_n]``: names have no pattern, but this one is known.

    The full name matches in any case; its single words only as written in the
    name (capitalised), so "Rose" is replaced and "rose" (the colour) is not.
    """
    variants = _name_variants(name)
    taken = {m.group() for m in _PLACEHOLDER.finditer(text)} | set(mapping)
    number = 0
    for index, variant in enumerate(variants):
        flags = re.IGNORECASE if index == 0 else 0
        pattern = re.compile(rf"(?<![\w\[]){re.escape(variant)}(?![\w\]])", flags)
        if not pattern.search(text):
            continue
        number += 1
        while f"[NAME_{number}]" in taken:
            number += 1
        placeholder = f"[NAME_{number}]"
        text = pattern.sub(placeholder, text)
        mapping[placeholder] = variant
    return text


def redact_text(text: str, *, customer_name: str = "") -> Redacted:
    """The text a model may see and the placeholder -> original mapping that undoes it."""
    result = redact(text, **_options())
    mapping = dict(result.mapping)
    redacted = _replace_name(result.text, mapping, customer_name)
    return Redacted(redacted, mapping)


def mask_cards(text: str) -> str:
    """Card numbers as staff see them: ``**** **** **** 4242`` (the last four digits), found as the redaction
    finds them for the model; everything else as written."""
    pieces, position = [], 0
    for start, end, kind in detect(text, **_options()):
        if kind == "CARD":
            digits = re.sub(r"\D", "", text[start:end])
            pieces += [text[position:start], f"**** **** **** {digits[-4:]}"]
            position = end
    return "".join(pieces) + text[position:]


def log_safe(text: str, *, customer_name: str | Sequence[str] = "") -> str:
    """For log lines: kinds without numbers, no mapping, so a log can never be undone.

    With ``customer_name`` (one name, or several for a line about several
    tickets) the customers' known names go too (``[NAME]``): names have no
    pattern, so only a name we know can be taken out.
    """
    safe = redact_for_log(text, **_options())
    for name in [customer_name] if isinstance(customer_name, str) else customer_name:
        if name:
            mapping: dict[str, str] = {}
            safe = _replace_name(safe, mapping, name)
            if mapping:
                safe = re.sub("|".join(map(re.escape, mapping)), "[NAME]", safe)
    return safe


def thread_redaction(parts: Sequence[tuple[str, dict[str, str]]]) -> tuple[list[str], dict[str, str]]:
    """Renumber each part's placeholders into one thread-wide mapping.

    The same original value gets the same placeholder in every part; numbers
    that appear in any part as literal text the customer typed are skipped, so
    ``restore`` never turns a customer's own "[EMAIL_1]" into someone's data.
    """
    literal = set()
    for text, mapping in parts:
        literal.update(m.group() for m in _PLACEHOLDER.finditer(text) if m.group() not in mapping)
    counters: Counter[str] = Counter()
    by_value: dict[tuple[str, str], str] = {}
    thread_mapping: dict[str, str] = {}
    texts = []
    for text, mapping in parts:
        local: dict[str, str] = {}
        for placeholder, value in mapping.items():
            kind = _PLACEHOLDER.fullmatch(placeholder).group(1) if _PLACEHOLDER.fullmatch(placeholder) else "DATA"
            key = (kind, value)
            if key not in by_value:
                counters[kind] += 1
                while f"[{kind}_{counters[kind]}]" in literal:
                    counters[kind] += 1
                by_value[key] = f"[{kind}_{counters[kind]}]"
                thread_mapping[by_value[key]] = value
            local[placeholder] = by_value[key]
        texts.append(_PLACEHOLDER.sub(lambda m: local.get(m.group(), m.group()), text))  # noqa: B023 (used at once)
    return texts, thread_mapping
