"""The facts of a product, cleaned for copy: what a sentence may state, copied verbatim.

Shop data and imported marketplace listings are noisy: Amazon specifications read
"ProductDimensions:10.3x3.4x0.8inches", "Shipping Weight: 4 pounds (View shipping rates
and policies)", "#474 in Longboards Skateboard". ``product_facts`` turns a product into
a list of ``Fact`` (a label, a value and a type that picks the sentence patterns):

- keys and values are split, trimmed and spaced ("ProductDimensions" -> "Product
  Dimensions", "10.3x3.4x0.8inches" -> "10.3 x 3.4 x 0.8 inches"); every word and
  number of a value stays as the facts wrote it;
- boilerplate is dropped, never copied: shipping notes, ASINs, sales ranks, "Make sure
  this fits ...", "show up to 2 reviews by default", return instructions;
- a combined value is split ("10 x 5 x 2 inches ; 1.2 pounds" -> dimensions and weight);
- long free text (a seller's own description) becomes ``prose`` facts, one per clean sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Attribute type -> words in the key that select it. The first type whose word is in the key wins.
FACT_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("age", ("recommended age", "recommendedage", "age range", "agerange")),
    ("skip", ("asin", "shipping", "model number", "modelnumber", "upc", "ean", "sku", "rank", "date first",
              "datefirst", "date first listed", "discontinued", "california", "advisory", "pricing", "media",
              "release date", "releasedate", "manufacturer", "url", "image", "in stock", "stock")),
    ("dimensions", ("dimension", "measurements")),
    ("weight", ("weight",)),
    ("material", ("material", "fabric", "composition", "upper", "sole", "lining", "filling")),
    ("colour", ("colour", "color")),
    ("size", ("size",)),
    ("fit", ("fit",)),
    ("care", ("care", "wash")),
    ("batteries", ("batter",)),
    ("capacity", ("capacity", "volume")),
    ("power", ("power", "watt", "voltage")),
    ("quantity", ("quantity", "pieces", "count", "pack")),
    ("style", ("style", "design", "pattern")),
)

BOILERPLATE = (
    re.compile(r"\(?\s*view shipping rates and policies\s*\)?", re.I),
    re.compile(r"make sure this fits\s+by entering your model number\.?", re.I),
    re.compile(r"show up to \d+ reviews by default", re.I),
    re.compile(r"go to your orders and start the return\s*select the ship method\s*ship it!?", re.I),
    re.compile(r"learn more", re.I),
    re.compile(r"#\s*[\d,]+\s+in\s+[^|]*", re.I),
)
# A sentence containing one of these is not copy: warnings, legal lines, shop instructions.
_NOT_COPY = re.compile(
    r"(warning|choking|hazard|trademark|copyright|®|™|click|amazon|seller|return|refund|warrant|guarantee|"
    r"customer service|contact us|email|http|www\.|\.com|please|note:|disclaimer|review|\?|[$€£¥]|\b(?:usd|eur|gbp)\b)",
    re.I,
)
# Section headers glued to the first sentence of a seller's text.
_HEADER = re.compile(r"^(?:product description|from the manufacturer|description|product details|about this item)"
                     r"\s*[:\-–]?\s+(?=[A-Z])", re.I)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|me|my|we|we're|we've|our|us)\b", re.I)

_PAIR = re.compile(r"^\s*([A-Za-z][A-Za-z /&'-]{1,40}?)\s*:\s*(.+?)\s*$", re.S)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SENTENCE = re.compile(r"(?<=[.!])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Fact:
    """One statement the copy may make. ``value`` is copied into the text as it is."""

    type: str
    label: str
    value: str


# Keys that only name where free text came from ("Technical Details"): their values have no label.
GENERIC_KEYS = ("technical details", "product specification", "about product", "product description", "description",
                "details", "specification", "specifications", "features")


def fact_type(label: str) -> str:
    key = _CAMEL.sub(" ", label).lower()
    for name, words in FACT_TYPES:
        if any(word in key for word in words):
            return name
    if re.search(r"(^|\s)ages?$", key):
        return "age"
    return "other"


def clean_label(label: str) -> str:
    label = _CAMEL.sub(" ", label.strip())
    return re.sub(r"\s+", " ", label).strip(" :-").capitalize()


def clean_value(value: str) -> str:
    """Boilerplate out, spacing fixed; the words and numbers themselves are kept as written."""
    for pattern in BOILERPLATE:
        value = pattern.sub(" ", value)
    value = value.replace("\xa0", " ")
    # "10.3x3.4x0.8inches" -> "10.3 x 3.4 x 0.8 inches"; "12.8ounces" -> "12.8 ounces"
    value = re.sub(r"(?<=\d)\s*x\s*(?=\d)", " x ", value)
    value = re.sub(r"(?<=\d)(?=[A-Za-z]{2,})", " ", value)
    value = re.sub(r"\b(years|months)and ?up\b", r"\1 and up", value)  # "14yearsandup" -> "14 years and up"
    value = re.sub(r"\s+", " ", value)
    return value.strip(" |;,:-")


def _split_combined(label: str, value: str) -> list[tuple[str, str]]:
    """"10 x 5 x 2 inches ; 1.2 pounds" under Product Dimensions -> dimensions and weight."""
    if ";" not in value:
        return [(label, value)]
    head, tail = (part.strip() for part in value.split(";", 1))
    if fact_type(label) == "dimensions" and re.search(r"\d\s*(pounds?|ounces?|lbs?|kg|g)\b", tail, re.I):
        return [(label, head), ("Weight", tail)]
    return [(label, head)]


def prose_sentences(text: str) -> list[str]:
    """Clean, self-contained sentences from free text, in order; boilerplate and shop talk left out."""
    text = clean_value(text)
    sentences = []
    for sentence in _SENTENCE.split(text):
        sentence = _HEADER.sub("", sentence.strip(" |"))
        if not (40 <= len(sentence) <= 260) or sentence[-1] not in ".!" or sentence.endswith(("..", "…")):
            continue
        if not sentence[0].isupper() or _NOT_COPY.search(sentence) or _FIRST_PERSON.search(sentence):
            continue
        letters = sum(c.isalpha() for c in sentence)
        if letters < 0.6 * len(sentence) or sentence.count(":") > 1 or sentence.upper() == sentence:
            continue
        sentence = re.sub(r"[!.]+$", ".", sentence)
        sentences.append(sentence)
    return sentences


def _parts(key: str, value) -> list[tuple[str, str]]:
    """Split "Name:value | Name:value | free text" blobs into (label, value) pairs; free text keeps the key."""
    text = str(value)
    if "|" not in text and _CAMEL.sub(" ", key).strip().lower() not in GENERIC_KEYS:
        return [(key, text)]  # a plain attribute: "material": "recycled polyester"
    pieces = [p for p in re.split(r"\s*\|\s*", text) if p.strip()]
    pairs = []
    for piece in pieces:
        if re.search(r"view shipping rates", piece, re.I):
            continue  # a shipping weight, not a fact about the product
        match = _PAIR.match(piece)
        if match and len(piece) < 120:
            pairs.append((match.group(1), match.group(2)))
        else:
            pairs.append(("", piece))  # free text: no label of its own
    return pairs


def product_facts(product) -> list[Fact]:
    """The product's attribute facts (no title, brand, category or price: see ``ProductFacts``)."""
    facts: list[Fact] = []
    seen = set()
    for key, raw in (product.attributes or {}).items():
        for label, value in _parts(str(key), raw):
            for label2, value2 in _split_combined(label, str(value)):
                kind = fact_type(label2)
                if kind == "skip":
                    continue
                cleaned = clean_value(value2)
                if not cleaned:
                    continue
                if not label2 or len(cleaned) > 80 or (kind == "other" and len(cleaned.split()) > 8):
                    # Free text: its clean sentences, or nothing (a bare "0.8 ounces" says not what it is).
                    for sentence in prose_sentences(cleaned):
                        if sentence not in seen:
                            seen.add(sentence)
                            facts.append(Fact("prose", clean_label(label2 or str(key)), sentence))
                    continue
                if (kind, cleaned.lower()) in seen:
                    continue
                seen.add((kind, cleaned.lower()))
                facts.append(Fact(kind, clean_label(label2), cleaned))
    return facts


@dataclass(frozen=True)
class ProductFacts:
    name: str
    brand: str
    category: str
    facts: tuple[Fact, ...]
    department: str = ""  # the first part of the category path, when it has several
    price: str = ""  # as the facts give it: "24.90 EUR"

    def of_type(self, *types: str) -> list[Fact]:
        return [f for f in self.facts if f.type in types]


def category_leaf(category: str) -> str:
    parts = [p.strip() for p in re.split(r"\s*[|>/]\s*", category or "") if p.strip()]
    return parts[-1] if parts else ""


def clean_name(title: str) -> str:
    title = re.sub(r"\s+", " ", (title or "").replace("\xa0", " ")).strip()
    # An unclosed bracket at the end of a cut-off title goes
    # ("... (X5 Pack, Over 1000'. of Extruded Plastics! - Innovate")
    if title.count("(") > title.count(")"):
        title = title[: title.rfind("(")].rstrip(" ,-")
    return title.rstrip(" ,;:-")


def category_root(category: str) -> str:
    parts = [p.strip() for p in re.split(r"\s*[|>/]\s*", category or "") if p.strip()]
    return parts[0] if len(parts) > 1 else ""


def facts_of(product) -> ProductFacts:
    price = getattr(product, "price", None)
    return ProductFacts(
        name=clean_name(product.title), brand=(product.brand or "").strip(),
        category=category_leaf(product.category), facts=tuple(product_facts(product)),
        department=category_root(product.category),
        price=f"{price} {product.currency}".strip() if price is not None else "",
    )
