"""Factual claims in a text, and whether a product's facts support them.

The harness counts with this module, never with ``content.checks``: it has its own patterns and
its own vocabularies, and imports nothing from the checks, so making a check more lenient
cannot make the harness's figures look better. It is deliberately strict on what counts as a
claim and literal on what counts as support: a claim is supported when the facts the model was
given state it (the same number in a compatible unit, the same material, colour, certification,
place or feature, a price equal to the product's in its currency).

Claim types (``CLAIM_TYPES``):

- ``price``: an amount of money ("$9.89", "GBP 79", "79 euros");
- ``size``: dimensions ("10 x 5 x 3 inches") and garment sizes ("size XL");
- ``quantity``: a number with a unit that is not a time ("1500 meters", "150%", "12.8 oz");
- ``duration``: a number with a unit of time ("2-year lifespan", "12 hours");
- ``number``: any other number written in digits ("pack of 5", "over 1000");
- ``material``, ``colour``, ``certification`` (ratings and standards: IPX6, BPA-free, organic ...),
  ``origin`` ("made in Italy", "from a farm in Fernia"), ``feature`` (connectivity and
  capabilities: USB, Wi-Fi, Bluetooth, waterproof, dishwasher safe ...), ``name`` (a brand, product,
  place or organisation the facts do not name: "the Hoffmaster Crayola website", "ARTSCAPeetGlass",
  "Sonera" for "Sonora" in a headline).

Pure functions, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CLAIM_TYPES = (
    "price", "size", "quantity", "duration", "number", "material", "colour", "certification", "origin", "feature",
    "name",
)

Span = tuple[int, int]


@dataclass(frozen=True)
class Claim:
    """One claim as written, where it is, and whether the facts support it (and if not, why)."""

    type: str
    words: str
    span: Span
    supported: bool
    reason: str = ""

    def as_dict(self) -> dict:
        return {"type": self.type, "words": self.words, "span": list(self.span), "reason": self.reason}


# --- units ------------------------------------------------------------------------------------
# (dimension, factor to the dimension's base unit, spellings). Bases: metre, gram, millilitre,
# second, percent, watt, volt, milliamp-hour, byte-ish gigabyte, hertz.
_UNIT_TABLE: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("length", 0.001, ("mm", "millimeter", "millimeters", "millimetre", "millimetres")),
    ("length", 0.01, ("cm", "centimeter", "centimeters", "centimetre", "centimetres")),
    ("length", 1.0, ("m", "meter", "meters", "metre", "metres")),
    ("length", 1000.0, ("km", "kilometer", "kilometers", "kilometre", "kilometres")),
    ("length", 0.0254, ("inch", "inches", '"', "”", "″", "''")),
    ("length", 0.3048, ("ft", "foot", "feet")),
    ("length", 0.9144, ("yd", "yard", "yards")),
    ("length", 1609.34, ("mile", "miles")),
    ("mass", 0.001, ("mg", "milligram", "milligrams")),
    ("mass", 1.0, ("g", "gram", "grams", "gr")),
    ("mass", 1000.0, ("kg", "kilogram", "kilograms", "kilo", "kilos")),
    ("mass", 28.3495, ("oz", "ounce", "ounces")),
    ("mass", 453.592, ("lb", "lbs", "pound", "pounds")),
    ("volume", 1.0, ("ml", "milliliter", "milliliters", "millilitre", "millilitres")),
    ("volume", 10.0, ("cl",)),
    ("volume", 1000.0, ("l", "liter", "liters", "litre", "litres")),
    ("volume", 29.5735, ("fl oz", "fl. oz", "fluid ounce", "fluid ounces")),
    ("volume", 946.353, ("quart", "quarts", "qt")),
    ("volume", 3785.41, ("gallon", "gallons", "gal")),
    ("time", 1.0, ("sec", "secs", "second", "seconds")),  # not "s": "1980s" is a decade
    ("time", 60.0, ("min", "mins", "minute", "minutes")),
    ("time", 3600.0, ("h", "hr", "hrs", "hour", "hours")),
    ("time", 86400.0, ("day", "days")),
    ("time", 604800.0, ("week", "weeks", "wk", "wks")),
    ("time", 2629800.0, ("month", "months", "mo")),
    ("time", 31557600.0, ("year", "years", "yr", "yrs")),
    ("percent", 1.0, ("%", "percent", "per cent")),
    ("power", 1.0, ("w", "watt", "watts")),
    ("power", 1000.0, ("kw", "kilowatt", "kilowatts")),
    ("voltage", 1.0, ("v", "volt", "volts")),
    ("charge", 1.0, ("mah",)),
    ("energy", 1.0, ("wh",)),
    ("data", 0.000001, ("kb",)),
    ("data", 0.001, ("mb",)),
    ("data", 1.0, ("gb", "gigabyte", "gigabytes")),
    ("data", 1000.0, ("tb", "terabyte", "terabytes")),
    ("frequency", 1.0, ("hz",)),
    ("frequency", 1000.0, ("khz",)),
    ("frequency", 1000000.0, ("mhz",)),
    ("frequency", 1000000000.0, ("ghz",)),
    ("rate", 1.0, ("mbps",)),
    ("temperature", 1.0, ("°f", "°c", "degrees", "degree")),
    ("resolution", 1.0, ("mp", "megapixel", "megapixels")),
    ("speed", 1.0, ("mph", "rpm")),
)
_UNITS: dict[str, tuple[str, float]] = {
    spelling.replace(" ", ""): (dimension, factor)
    for dimension, factor, spellings in _UNIT_TABLE for spelling in spellings
}
_UNIT_SPELLINGS = {spelling for _, _, spellings in _UNIT_TABLE for spelling in spellings}
_QUOTES = ('"', "”", "″", "''")
_WORD_UNIT_ALTERNATION = "|".join(
    re.escape(u).replace(r"\ ", r"\s?") for u in sorted(_UNIT_SPELLINGS - set(_QUOTES), key=len, reverse=True)
)

# A number as written: 1,500 / 1500 / 12.5 (no digits glued before it: "X5", "V2.0" are names).
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A number with an optional unit; a unit glued to letters ("3D", "4K") is not a unit.
_QUANTITY_RE = re.compile(
    rf"(?<![\w.,$£€¥#/])(?P<num>{_NUM})"
    rf"(?:(?:[\s\u00a0]?-?[\s\u00a0]?)(?P<unit>{_WORD_UNIT_ALTERNATION})(?![a-z0-9])|(?P<quote>\"|”|″|''))?"
    rf"(?![a-z0-9])",
    re.IGNORECASE,
)
_DIMENSIONS_RE = re.compile(
    rf"(?<![\w.])(?P<a>{_NUM})\s*(?:{_WORD_UNIT_ALTERNATION}|\"|”)?\s*[x×]\s*(?P<b>{_NUM})"
    rf"(?:\s*(?:{_WORD_UNIT_ALTERNATION}|\"|”)?\s*[x×]\s*(?P<c>{_NUM}))?"
    rf"\s*(?P<unit>{_WORD_UNIT_ALTERNATION}|\"|”)?(?![a-z0-9])",
    re.IGNORECASE,
)
_GARMENT_SIZE_RE = re.compile(
    r"\b(?:size|sizes)\s+(?P<size>XXXL|XXL|XL|XS|S|M|L|\d{1,2}(?:\.\d)?)\b|\b(?P<bare>XXXL|XXL|XL|XS)\b"
)

# --- money ------------------------------------------------------------------------------------
_CURRENCY_SIGNS = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY"}
_CURRENCY_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "gbp": "GBP", "quid": "GBP", "jpy": "JPY", "yen": "JPY", "chf": "CHF", "cad": "CAD", "aud": "AUD",
    "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN", "inr": "INR", "rupees": "INR", "cny": "CNY",
    "yuan": "CNY",
}
_CODES = "|".join(sorted(_CURRENCY_WORDS, key=len, reverse=True))
_PRICE_RE = re.compile(
    rf"(?P<sign>[$£€¥])\s?(?P<n1>{_NUM})"
    rf"|(?<![\w])(?P<code1>{_CODES})\s?(?P<n2>{_NUM})(?![\w])"
    rf"|(?<![\w.,])(?P<n3>{_NUM})\s?(?P<code2>{_CODES})(?![\w])"
    rf"|(?<![\w.,])(?P<n4>{_NUM})\s?(?P<sign2>[$£€])",
    re.IGNORECASE,
)

# --- ratings and standards ------------------------------------------------------------------------
_IP_RATING_RE = re.compile(r"\bIP(?:X[0-9]|[0-9][0-9X])(?:K)?\b", re.IGNORECASE)

# Vocabularies: each group lists spellings that mean the same thing; a group is supported when
# the facts contain any of its spellings as a whole word.
MATERIAL_GROUPS: tuple[tuple[str, ...], ...] = (
    ("cotton",),
    ("polyester",),
    ("nylon", "polyamide"),
    ("spandex", "elastane", "lycra"),
    ("wool", "woolen", "woollen", "wool blend"),
    ("merino",),
    ("cashmere",),
    ("alpaca",),
    ("mohair",),
    ("silk", "silky"),
    ("linen",),
    ("leather", "genuine leather", "real leather"),
    ("faux leather", "vegan leather", "pu leather", "leatherette"),
    ("suede",),
    ("denim",),
    ("canvas",),
    ("fleece",),
    ("velvet",),
    ("satin",),
    ("microfiber", "microfibre"),
    ("bamboo",),
    ("hemp",),
    ("jute",),
    ("rayon", "viscose"),
    ("acrylic",),
    ("stainless steel",),
    ("steel",),
    ("cast iron",),
    ("iron",),
    ("aluminum", "aluminium"),
    ("titanium",),
    ("copper",),
    ("brass",),
    ("bronze",),
    ("zinc", "zinc alloy"),
    ("gold", "14k gold", "18k gold"),
    ("sterling silver", "silver"),
    ("platinum",),
    ("tungsten",),
    ("chrome",),
    ("plastic", "plastics"),
    ("ABS",),
    ("polypropylene",),
    ("polycarbonate",),
    ("pvc", "vinyl"),
    ("resin", "epoxy"),
    ("glass",),
    ("tempered glass",),
    ("ceramic", "ceramics"),
    ("porcelain",),
    ("stoneware",),
    ("terracotta",),
    ("wood", "wooden", "solid wood", "hardwood"),
    ("oak",),
    ("pine",),
    ("walnut",),
    ("maple",),
    ("birch",),
    ("beech",),
    ("teak",),
    ("mahogany",),
    ("cedar",),
    ("mdf",),
    ("plywood",),
    ("cork",),
    ("rubber",),
    ("silicone",),
    ("latex",),
    ("foam",),
    ("memory foam",),
    ("EVA",),
    ("neoprene",),
    ("mesh",),
    ("carbon fiber", "carbon fibre"),
    ("fiberglass", "fibreglass"),
    ("marble",),
    ("granite",),
    ("stone",),
    ("concrete",),
    ("paper",),
    ("cardboard",),
    ("goose down", "duck down", "down filling"),
    ("feathers", "feather"),
    ("wicker",),
    ("rattan",),
    ("porcelain enamel", "enamel"),
    ("sapphire",),
    ("diamond", "diamonds"),
)
# Words with a common non-colour sense (clear, cream, tan, mint, olive, rose, coral, orange juice ...) are
# left out; "gold" and "silver" count as materials.
COLOUR_GROUPS: tuple[tuple[str, ...], ...] = (
    ("black",), ("white",), ("grey", "gray"), ("red",), ("blue",), ("navy", "navy blue"), ("green",),
    ("yellow",), ("orange",), ("purple",), ("violet",), ("pink",), ("brown",), ("beige",), ("ivory",),
    ("khaki",), ("teal",), ("turquoise",), ("maroon",), ("burgundy",), ("charcoal",), ("lavender",),
    ("lilac",), ("indigo",), ("magenta",), ("cyan",), ("golden",), ("rose gold",),
    ("multicolor", "multicolour", "multi-color", "multi-colour", "multicolored", "multicoloured", "rainbow"),
)
# Colour words inside fixed phrases that are not about the product's colour.
_COLOUR_IDIOMS = re.compile(
    r"\b(?:black friday|white noise|white paper|red carpet|green energy|blue light|black belt|white glove|"
    r"red flag|green light|blue ribbon|red tape|golden rule|golden age|blue chip|white house|black box)\b",
    re.IGNORECASE,
)
CERTIFICATION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("ce certified", "ce marked", "ce mark", "ce-certified", "ce approved"),
    ("FCC",),
    ("ul listed", "ul certified", "ul-listed"),
    ("ETL",),
    ("RoHS",),
    ("fda approved", "fda-approved", "fda certified", "fda registered", "fda compliant", "fda cleared", "FDA"),
    ("USDA",),
    ("iso 9001", "iso 14001", "iso 13485"),
    ("ASTM",),
    ("en 71", "en71"),
    ("CPSIA",),
    ("CPSC",),
    ("oeko-tex", "oeko tex", "oekotex"),
    ("GOTS",),
    ("FSC",),
    ("energy star",),
    ("bpa-free", "bpa free", "BPA"),
    ("lead-free", "lead free"),
    ("phthalate-free", "phthalate free", "phthalates"),
    ("non-toxic", "nontoxic", "non toxic"),
    ("hypoallergenic",),
    ("organic",),
    ("certified",),
    ("dermatologist tested", "dermatologist-tested", "dermatologist recommended"),
    ("clinically proven", "clinically tested"),
    ("vegan",),
    ("cruelty-free", "cruelty free"),
    ("gluten-free", "gluten free"),
    ("eco-friendly", "eco friendly", "environmentally friendly"),
    ("biodegradable",),
    ("recyclable", "recycled"),
    ("compostable",),
    ("food grade", "food-grade", "food safe", "food-safe"),
    ("medical grade", "medical-grade"),
    ("military grade", "military-grade"),
    ("fair trade", "fairtrade"),
    ("patented",),
    ("award-winning", "award winning"),
    ("officially licensed", "licensed"),
    ("tüv", "tuv"),
)
FEATURE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("USB", "usb-c", "usb c", "type-c", "micro usb", "micro-usb"), ("bluetooth",), ("wi-fi", "wifi"),
    ("NFC",), ("HDMI",), ("GPS",), ("wireless", "cordless"), ("rechargeable",), ("battery", "batteries",
    "battery-powered", "battery operated", "battery-operated"), ("solar", "solar-powered", "solar powered"),
    ("app", "smartphone app", "mobile app", "companion app"), ("remote control", "remote", "remote-controlled",
    "radio controlled", "RC"), ("alexa", "google assistant", "siri", "voice control", "voice-controlled"),
    ("touchscreen", "touch screen", "touch-screen"), ("LED", "LEDs"), ("LCD",), ("OLED",), ("camera",),
    ("microphone", "mic"), ("speaker", "speakers"), ("noise cancelling", "noise-cancelling", "noise canceling",
    "noise-canceling", "ANC"), ("waterproof", "water-proof"), ("water-resistant", "water resistant",
    "water repellent", "water-repellent"), ("splash-proof", "splashproof", "splash proof"), ("dustproof",
    "dust-proof"), ("shockproof", "shock-proof", "shock resistant", "shock-resistant"), ("dishwasher safe",
    "dishwasher-safe"), ("microwave safe", "microwave-safe"), ("oven safe", "oven-safe"), ("freezer safe",
    "freezer-safe"), ("machine washable", "machine-washable", "machine wash"), ("non-stick", "nonstick",
    "non stick"), ("uv protection", "uv-protection", "uv resistant", "uv-resistant", "upf"), ("antibacterial",
    "anti-bacterial", "antimicrobial", "anti-microbial"), ("magnetic", "magnet", "magnets"), ("timer",),
    ("auto shut-off", "auto shutoff", "automatic shut-off"), ("4k",), ("1080p", "full hd"), ("720p",),
    ("warranty", "guarantee", "money-back", "money back"), ("free shipping", "free delivery", "ships free"),
    ("smart home",),
)

# --- origins --------------------------------------------------------------------------------------
_PLACE_WORD = r"[A-Z](?:[\w'’-]|\.(?=\w))*"
_PLACE = rf"(?:the\s+)?(?P<place>{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_WORD}|of|de|del|la)(?=[ \t]+[A-Z]|\b))*)"
_ORIGIN_RES = (
    re.compile(
        r"\b(?i:made|manufactured|produced|crafted|handcrafted|hand-crafted|handmade|hand-made|designed|assembled|"
        r"built|grown|harvested|sourced|imported|printed|woven|knitted|brewed|roasted|bottled|milled|forged|"
        r"engineered)\s+(?:\w+ly\s+)?(?:in|from)\s+" + _PLACE
    ),
    re.compile(r"\b(?i:from|on|at)\s+(?:a|an|the|our|their|its)\s+(?:[\w-]+\s+){0,2}"
               r"(?:farm|factory|workshop|village|region|mill|estate|vineyard|family|studio|plant|town|island|valley|"
               r"mountains?|countryside)\s+(?:in|of|near|on)\s+" + _PLACE),
    re.compile(r"\b(?i:product|produce|pride)\s+of\s+" + _PLACE),
    re.compile(r"\b(?P<place>USA|U\.S\.A\.|America|American|Italian|French|German|Japanese|Swiss|British|English|"
               r"Chinese|Korean|Scandinavian|Danish|Swedish|Spanish|Portuguese|Irish|Scottish|Belgian|Dutch|Turkish|"
               r"Indian|Mexican|Canadian|Australian|European)[- ](?:made|crafted|designed|built|engineered|"
               r"manufactured|craftsmanship)\b"),
)
_PLACE_STOPWORDS = {"The", "A", "An", "Our", "This", "Your", "It", "Its", "Their", "Quality", "High", "Premium"}

# --- the extractor ---------------------------------------------------------------------------------


def _term_regex(term: str) -> str:
    words = re.split(r"[\s-]+", term)
    return r"[\s-]*".join(re.escape(w) for w in words)


def _group_regex(groups) -> re.Pattern[str]:
    """One alternation, longest term first; a term written with capitals ("LED") matches only in capitals."""
    terms = sorted({t for g in groups for t in g}, key=len, reverse=True)
    parts = [_term_regex(t) if t == t.lower() else "(?-i:" + _term_regex(t) + ")" for t in terms]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


_MATERIAL_RE = _group_regex(MATERIAL_GROUPS)
_COLOUR_RE = _group_regex(COLOUR_GROUPS)
_CERTIFICATION_RE = _group_regex(CERTIFICATION_GROUPS)
_FEATURE_RE = _group_regex(FEATURE_GROUPS)
_SPACING = re.compile(r"[\s-]+")


def _group_of(words: str, groups) -> tuple[str, ...]:
    key = _SPACING.sub(" ", words.lower()).strip()
    for group in groups:
        if any(_SPACING.sub(" ", term.lower()) == key for term in group):
            return group
    return (key,)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "")).normalize()
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class _Amount:
    value: Decimal
    dimension: str | None
    base: float | None  # the amount in the dimension's base unit


@dataclass(frozen=True)
class Facts:
    """What a product's facts state, prepared once for many texts."""

    text: str
    lowered: str
    amounts: tuple[_Amount, ...]
    numbers: frozenset[Decimal]
    bare_numbers: frozenset[Decimal]
    price: Decimal | None
    currency: str | None


def _amount(number: str, unit: str | None) -> _Amount | None:
    value = _decimal(number)
    if value is None:
        return None
    if not unit:
        return _Amount(value, None, None)
    found = _UNITS.get(re.sub(r"\s+", "", unit.lower()))
    if found is None:
        return _Amount(value, None, None)
    dimension, factor = found
    return _Amount(value, dimension, float(value) * factor)


def facts_prepare(text: str, *, price: Decimal | str | None = None, currency: str | None = None) -> Facts:
    """Read the numbers (with units where written) out of the facts, glued or not ("12.8ounces")."""
    spaced = re.sub(r"(?<=\d)(?=[A-Za-z])", " ", text)
    amounts: list[_Amount] = []
    for match in _DIMENSIONS_RE.finditer(spaced):
        for part in ("a", "b", "c"):
            if match[part]:
                found = _amount(match[part], match["unit"])
                if found:
                    amounts.append(found)
    with_unit: set[Decimal] = set()
    for match in _QUANTITY_RE.finditer(spaced):
        found = _amount(match["num"], match["unit"] or match["quote"])
        if found:
            amounts.append(found)
            if found.dimension:
                with_unit.add(found.value)
    numbers = {d for d in (_decimal(m) for m in re.findall(_NUM, text)) if d is not None}
    bare = numbers - with_unit
    return Facts(
        text=text, lowered=text.lower(), amounts=tuple(amounts), numbers=frozenset(numbers),
        bare_numbers=frozenset(bare), price=_decimal(str(price)) if price not in (None, "") else None,
        currency=(currency or "").upper() or None,
    )


def _in_facts(group: tuple[str, ...], facts: Facts) -> bool:
    return any(
        re.search(r"(?<![a-z0-9])" + _term_regex(term.lower()) + r"(?![a-z0-9])", facts.lowered) for term in group
    )


def _overlaps(span: Span, taken: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _price_claims(text: str, facts: Facts) -> list[Claim]:
    claims = []
    for m in _PRICE_RE.finditer(text):
        sign = m["sign"] or m["sign2"]
        currency = _CURRENCY_SIGNS[sign] if sign else _CURRENCY_WORDS[(m["code1"] or m["code2"]).lower()]
        if sign == "$" and facts.currency and facts.currency.endswith("D") and facts.currency != "USD":
            currency = facts.currency  # "$" is every dollar: CAD, AUD ...
        amount = _decimal(m["n1"] or m["n2"] or m["n3"] or m["n4"])
        reason = ""
        if facts.currency and currency != facts.currency:
            reason = f"the product is priced in {facts.currency}"
        elif facts.price is not None and amount != facts.price:
            reason = f"the price is {facts.price} {facts.currency or ''}".rstrip()
        elif facts.price is None and amount not in facts.numbers:
            reason = "no such price in the facts"
        claims.append(Claim("price", m.group(), m.span(), not reason, reason))
    return claims


def _quantity_supported(amount: _Amount, facts: Facts) -> tuple[bool, str]:
    if amount.dimension is None:
        if amount.value in facts.numbers:
            return True, ""
        return False, "no such number in the facts"
    same = [a for a in facts.amounts if a.dimension == amount.dimension]
    if any(abs(a.base - amount.base) <= 0.01 * max(abs(a.base), 1e-9) for a in same):
        return True, ""
    if amount.value in facts.bare_numbers:
        return True, ""  # the facts give the number without a unit: benefit of the doubt
    if same:
        return False, f"the facts give other {amount.dimension} figures"
    return False, f"no {amount.dimension} figure in the facts"


def _number_claims(text: str, facts: Facts, taken: list[Span]) -> list[Claim]:
    claims = []
    for m in _DIMENSIONS_RE.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        parts = [_amount(m[p], m["unit"]) for p in ("a", "b", "c") if m[p]]
        missing = [p for p in parts if p is None or not _quantity_supported(p, facts)[0]]
        claims.append(Claim("size", m.group(), m.span(), not missing,
                            "" if not missing else "these dimensions are not in the facts"))
        taken.append(m.span())
    for m in _GARMENT_SIZE_RE.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        size = m["size"] or m["bare"]
        supported = bool(re.search(rf"(?<![A-Za-z0-9]){re.escape(size)}(?![A-Za-z0-9])", facts.text))
        claims.append(Claim("size", m.group(), m.span(), supported, "" if supported else "no such size in the facts"))
        taken.append(m.span())
    for m in _QUANTITY_RE.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        amount = _amount(m["num"], m["unit"] or m["quote"])
        if amount is None:
            continue
        kind = "number" if amount.dimension is None else "duration" if amount.dimension == "time" else "quantity"
        supported, reason = _quantity_supported(amount, facts)
        claims.append(Claim(kind, m.group(), m.span(), supported, reason))
    return claims


def _vocabulary_claims(text: str, facts: Facts, pattern, groups, kind: str, taken: list[Span]) -> list[Claim]:
    claims = []
    for m in pattern.finditer(text):
        if _overlaps(m.span(), taken):
            continue
        group = _group_of(m.group(), groups)
        supported = _in_facts(group, facts)
        claims.append(
            Claim(kind, m.group(), m.span(), supported, "" if supported else f"no {kind} like this in the facts")
        )
        taken.append(m.span())
    return claims


def _certification_claims(text: str, facts: Facts, taken: list[Span]) -> list[Claim]:
    claims = []
    for m in _IP_RATING_RE.finditer(text):
        code = m.group().upper()
        supported = code.lower() in re.findall(r"\bip(?:x[0-9]|[0-9][0-9x])k?\b", facts.lowered)
        others = sorted(set(re.findall(r"\bip(?:x[0-9]|[0-9][0-9x])k?\b", facts.lowered)))
        reason = "" if supported else (f"the facts say {', '.join(o.upper() for o in others)}" if others
                                       else "no rating in the facts")
        claims.append(Claim("certification", m.group(), m.span(), supported, reason))
        taken.append(m.span())
    return claims + _vocabulary_claims(text, facts, _CERTIFICATION_RE, CERTIFICATION_GROUPS, "certification", taken)


def _origin_claims(text: str, facts: Facts, taken: list[Span]) -> list[Claim]:
    claims = []
    for pattern in _ORIGIN_RES:
        for m in pattern.finditer(text):
            place = m["place"].strip()
            if place in _PLACE_STOPWORDS or _overlaps(m.span(), taken):
                continue
            core = re.sub(r"(?i)^(?:usa|u\.s\.a\.|america|american)$", "usa", place)
            candidates = {place.lower(), core.lower()}
            if core.lower() == "usa":
                candidates |= {"usa", "u.s.", "united states", "america"}
            supported = any(c in facts.lowered for c in candidates)
            claims.append(Claim("origin", m.group(), m.span(), supported,
                                "" if supported else f"the facts do not say it comes from {place}"))
            taken.append(m.span())
    return claims


# --- names -----------------------------------------------------------------------------------------
# Capitalized words that are not names of a brand, product, place or organisation.
_COMMON_CAPITALIZED = frozenset("""
    i i'm i've i'll i'd ok tv diy faq hd ai
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december christmas halloween easter thanksgiving valentine valentine's mother's
    father's birthday birthdays holiday holidays new year year's day
""".split())
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z][A-Za-z'’]*)*")
_MIXED_CASE = re.compile(r"[a-z][A-Z]|[A-Z]{2,}[a-z]{2,}")


def _facts_words(facts: Facts) -> frozenset[str]:
    unglued = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", facts.text)
    return frozenset(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'’]*", facts.text + " " + unglued))


_SUFFIXES = frozenset({"", "s", "e", "es", "ing", "ed", "d", "er", "ers", "r", "rs", "y", "ies", "ly"})


def _inflection(word: str, other: str) -> bool:
    """The same word in another form: "ramps" / "ramp", "gaming" / "game", "doug's" / "doug"."""
    short, long = sorted((word, other), key=len)
    base = short[:-1] if short.endswith("e") and len(short) > 3 else short
    return len(base) >= 3 and long.startswith(base) and long[len(base):] in _SUFFIXES


def _known(word: str, known: frozenset[str]) -> bool:
    stem = re.sub(r"['’]s?$", "", word)
    return stem in known or any(_inflection(stem, k) for k in known)


def _near_miss(word: str, known: frozenset[str]) -> bool:
    """Close to a word of the facts without being it: "Sonera" or "Songle" for "Sonora"."""
    from difflib import SequenceMatcher

    for k in known:
        if len(k) < 4:
            continue
        ratio = SequenceMatcher(None, word, k).ratio()
        if ratio >= 0.75 or (ratio >= 0.5 and len(word) >= 5 and len(k) >= 5 and word[:3] == k[:3]):
            return True
    return False


def _inside_sentence(text: str, start: int) -> bool:
    """Whether a word follows a word or a comma (not a full stop, a colon, a bullet or a line break)."""
    before = text[:start].rstrip(" \t")
    return bool(before) and (before[-1].isalnum() or before[-1] in ",&%")


def _name_claims(text: str, facts: Facts, taken: list[Span]) -> list[Claim]:
    """Names the facts do not have: a capitalized word inside a sentence ("the Hoffmaster Crayola
    website"), a word with odd inner capitals ("ARTSCAPeetGlass"), and in Title Case text (headlines),
    where every word is capitalized, a near miss of a word of the facts ("Sonera" for "Sonora")."""
    known = _facts_words(facts)
    tokens = [m for m in _NAME_WORD.finditer(text) if not _overlaps(m.span(), taken)]
    # Title Case (a headline): one line, no sentence punctuation, most words of three letters or more capitalized.
    long_words = [m.group() for m in tokens if len(m.group()) >= 3]
    title_case = (not re.search(r"[.!?\n]", text.strip()) and bool(long_words)
                  and sum(w[0].isupper() for w in long_words) / len(long_words) >= 0.6)
    found: list[Span] = []
    for m in tokens:
        word, lower = m.group(), m.group().lower()
        parts = [p for p in re.split(r"[-'’]", lower) if p]
        if (not word[0].isupper() or lower in _COMMON_CAPITALIZED or _known(lower, known)
                or all(_known(p, known) for p in parts)):
            continue
        odd = bool(_MIXED_CASE.search(word))
        if word.isupper() and not odd:
            continue  # capitals for emphasis ("PERFECT GIFT") or an acronym
        if title_case:
            if odd or (len(lower) >= 4 and _near_miss(lower, known)):
                found.append(m.span())
        elif odd or (len(word) >= 3 and _inside_sentence(text, m.start())):
            found.append(m.span())
    merged: list[list[int]] = []
    for start, end in found:  # "Crayola Kids" is one name
        if merged and text[merged[-1][1]:start] in (" ", "\t"):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [Claim("name", text[start:end], (start, end), False, "a name the facts do not have")
            for start, end in merged]


def claims_extract(text: str, facts: Facts) -> list[Claim]:
    """Every claim in the text, in order of position, each marked supported or not."""
    taken: list[Span] = []
    claims = _price_claims(text, facts)
    taken += [c.span for c in claims]
    claims += _certification_claims(text, facts, taken)
    claims += _origin_claims(text, facts, taken)
    claims += _number_claims(text, facts, taken)
    taken += [c.span for c in claims]
    claims += _vocabulary_claims(text, facts, _MATERIAL_RE, MATERIAL_GROUPS, "material", taken)
    claims += _vocabulary_claims(text, facts, _FEATURE_RE, FEATURE_GROUPS, "feature", taken)
    idioms = [m.span() for m in _COLOUR_IDIOMS.finditer(text)]
    claims += _vocabulary_claims(text, facts, _COLOUR_RE, COLOUR_GROUPS, "colour", taken + idioms)
    claims += _name_claims(text, facts, [c.span for c in claims] + idioms)
    return sorted(claims, key=lambda c: c.span)


def claims_unsupported(text: str, facts: Facts) -> list[Claim]:
    """The claims the facts do not support."""
    return [claim for claim in claims_extract(text, facts) if not claim.supported]
