"""An editor's "request changes" comment as facts: they override the product data and are checked.

"battery life 12 hours, IPX7, 540 g, no USB port" becomes four facts. The regenerated prompt
gives them precedence over the product's own attributes (``attributes_with_comment``), the fact
check measures the new draft against the corrected attributes, and ``check_editor_comment``
flags a new draft that still contradicts the comment (says 18 hours, adds USB) or ignores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.checks.base import Finding, quote as _quote, result as _result
from content.checks.facts import _FEATURE_RES, _RATING_RE, Quantity, _label, _negated, _quantities, _rating

_CLAUSE_SPLIT_RE = re.compile(r"[;\n]|,(?!\d)|\.(?=\s|$)|\band\b|\balso\b", re.IGNORECASE)
# Words of a clause that are no part of the attribute's name: "make the battery life 12 hours".
_FILLER = frozenset(
    "a an the is are it its it's should must be say says said make set change correct actual real use to of has have "
    "with please instead not but only exactly right value write state mention".split()
)
_REMOVE_RE = re.compile(r"\b(?:remove|drop|delete|lose|take\s+out|no\s+mention\s+of)\b(?:\s+[\w-]+){0,3}\s*$",
                        re.IGNORECASE)
_PRESENT_RE = re.compile(r"\b(?:has|have|with|add|adds|supports?|includes?|mention)\b", re.IGNORECASE)
_DEFAULT_LABELS = {"ml": "capacity", "g": "weight", "mm": "size", "inch": "size", "mAh": "battery capacity",
                   "min": "duration", "day": "duration", "month": "duration", "%": "share", "W": "power",
                   "V": "voltage", "GB": "storage", "lb": "weight", "oz": "weight"}


@dataclass(frozen=True)
class CommentFact:
    """One fact the editor stated: a figure, an IP rating, or a feature the product has or has not."""

    kind: str  # "quantity", "rating", "absent", "present"
    label: str  # the attribute it sets: "battery life", "rating", "USB"
    value: str  # as the attribute will say it: "12 hours", "IPX7", "none", "yes"
    written: str  # the editor's words: "battery life 12 hours", "no USB port"
    quantity: Quantity | None = None
    feature: str = ""


def _quantity_label(clause: str, start: int, unit: str) -> str:
    words = [w for w in re.findall(r"[\w-]+", clause[:start].lower()) if w not in _FILLER]
    return " ".join(words[-3:]) or _DEFAULT_LABELS.get(unit, "value")


def comment_facts(comment: str) -> list[CommentFact]:
    """The facts stated in a comment, in order; anything else in it is left to the model."""
    facts: list[CommentFact] = []
    for clause in _CLAUSE_SPLIT_RE.split(comment or ""):
        clause = clause.strip()
        if not clause:
            continue
        for match in _RATING_RE.finditer(clause):
            facts.append(CommentFact("rating", "rating", _rating(match.group()), clause))
        for name, pattern in _FEATURE_RES.items():
            match = pattern.search(clause)
            if match is None:
                continue
            before = clause[: match.start()]
            if _negated(clause, match.start()) or _REMOVE_RE.search(before):
                facts.append(CommentFact("absent", name, "none", clause, feature=name))
            elif _PRESENT_RE.search(before):
                facts.append(CommentFact("present", name, "yes", clause, feature=name))
        for quantity in _quantities(clause):
            if quantity.unit is None:
                continue
            label = _quantity_label(clause, quantity.span[0], quantity.unit)
            facts.append(CommentFact("quantity", label, quantity.written, clause, quantity=quantity))
    return facts


# --- precedence over the product data ---------------------------------------------------------------


def _same_unit_keys(attributes: dict[str, str], unit: str) -> list[str]:
    return [key for key, value in attributes.items() if any(q.unit == unit for q in _quantities(str(value)))]


def _matching_key(attributes: dict[str, str], fact: CommentFact) -> str | None:
    """The attribute a comment fact corrects: by name ("battery life"), else the only one in that unit."""
    words = set(fact.label.split())
    for key in attributes:
        label_words = set(_label(key).split())
        if words and label_words and (words <= label_words or label_words <= words):
            return key
    if fact.kind == "quantity":
        keys = _same_unit_keys(attributes, fact.quantity.unit)
        return keys[0] if len(keys) == 1 else None
    if fact.kind == "rating":
        keys = [key for key, value in attributes.items() if _RATING_RE.search(str(value))]
        return keys[0] if len(keys) == 1 else None
    return None


def _without_feature(value: str, feature: str) -> str:
    """A list value without the parts that name the feature: "Bluetooth, USB-C" -> "Bluetooth"."""
    parts = [part.strip() for part in re.split(r"[,/;|]", value)]
    return ", ".join(part for part in parts if part and not _FEATURE_RES[feature].search(part))


def attributes_with_comment(attributes: dict, comment: str) -> dict[str, str]:
    """The product's attributes corrected by the facts in the editor's comment; the comment wins."""
    corrected = {str(key): str(value) for key, value in (attributes or {}).items()}
    for fact in comment_facts(comment):
        if fact.kind in ("quantity", "rating"):
            key = _matching_key(corrected, fact)
            if key is not None and fact.kind == "rating" and _RATING_RE.search(corrected[key]):
                corrected[key] = _RATING_RE.sub(fact.value, corrected[key])
            else:
                corrected[key or fact.label] = fact.value
        elif fact.kind == "absent":
            for key in list(corrected):
                if _FEATURE_RES[fact.feature].search(_label(key)):
                    corrected[key] = "none"
                elif _FEATURE_RES[fact.feature].search(corrected[key]):
                    rest = _without_feature(corrected[key], fact.feature)
                    if rest:
                        corrected[key] = rest
                    else:
                        del corrected[key]
            if not any(_FEATURE_RES[fact.feature].search(_label(key)) for key in corrected):
                corrected[fact.feature] = "none"
        elif not any(_FEATURE_RES[fact.feature].search(f"{_label(k)} {v}") for k, v in corrected.items()):
            corrected[fact.feature] = "yes"
    return corrected


# --- the check ------------------------------------------------------------------------------------


def _quantity_findings(text: str, fact: CommentFact) -> tuple[list[Finding], bool]:
    same_unit = [q for q in _quantities(text) if q.unit == fact.quantity.unit]
    if any(q.amount == fact.quantity.amount for q in same_unit):
        return [], True
    findings = [Finding(f'Says "{q.written}"; the editor asked for "{_quote(fact.written)}".', q.span)
                for q in same_unit]
    return findings, bool(findings)


def _rating_findings(text: str, fact: CommentFact) -> tuple[list[Finding], bool]:
    ratings = list(_RATING_RE.finditer(text))
    findings = [Finding(f'Says "{m.group()}"; the editor asked for {fact.value}.', m.span())
                for m in ratings if _rating(m.group()) != fact.value]
    return findings, bool(ratings)


def _feature_findings(text: str, fact: CommentFact) -> tuple[list[Finding], bool]:
    matches = list(_FEATURE_RES[fact.feature].finditer(text))
    if fact.kind == "absent":
        findings = [Finding(f'Says "{m.group()}"; the editor said "{_quote(fact.written)}".', m.span())
                    for m in matches if not _negated(text, m.start())]
        return findings, True
    return [], any(not _negated(text, m.start()) for m in matches)


def check_editor_comment(text: str, comment: str, *, require_mentions: bool = True) -> dict:
    """A regenerated draft must follow the facts in the editor's comment.

    It is flagged when it contradicts one (still says 18 hours, adds USB) and, when
    ``require_mentions`` (long copy, where every fact fits), when it leaves one out.
    """
    if not (comment or "").strip():
        return _result("editor_comment", [], "No editor's comment to follow.")
    facts = comment_facts(comment)
    if not facts:
        return _result("editor_comment", [], "The editor's comment states no figures or features to check; "
                                             "read it next to the text.")
    findings: list[Finding] = []
    ignored = []
    for fact in facts:
        if fact.kind == "quantity":
            found, mentioned = _quantity_findings(text, fact)
        elif fact.kind == "rating":
            found, mentioned = _rating_findings(text, fact)
        else:
            found, mentioned = _feature_findings(text, fact)
        findings += found
        if not mentioned and require_mentions:
            ignored.append(fact.written if fact.kind != "rating" else fact.value)
    if ignored:
        missing = "; ".join(f'"{_quote(words)}"' for words in dict.fromkeys(ignored))
        findings.append(Finding(f"Ignores the editor's comment: the text does not say {missing}."))
    stated = ", ".join(dict.fromkeys(f"{f.label}: {f.value}" for f in facts))
    return _result("editor_comment", findings, f"Follows the editor's comment ({stated}).")
