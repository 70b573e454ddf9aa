"""The fact check: every claim in the text must be backed by the product data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from content.checks.base import Finding, Span, overlaps as _overlaps, quote as _quote, result as _result

# --- vocabularies -------------------------------------------------------------------------------

# Each group lists spellings that mean the same thing, so "aluminum" backs up "aluminium".
MATERIALS: tuple[tuple[str, ...], ...] = (
    ("cotton",), ("polyester",), ("wool", "woollen", "woolen"), ("merino",), ("cashmere",), ("alpaca",),
    ("mohair",), ("silk",), ("linen",), ("nylon", "polyamide"), ("leather",), ("faux leather", "vegan leather"),
    ("suede",), ("denim",), ("canvas",), ("velvet",), ("satin",), ("bamboo",), ("hemp",), ("acrylic",),
    ("spandex", "elastane", "lycra"), ("viscose", "rayon"), ("lyocell", "tencel"), ("stainless steel",),
    ("steel",), ("cast iron",), ("aluminium", "aluminum"), ("titanium",), ("plastic",), ("glass",),
    ("ceramic",), ("porcelain",), ("stoneware",), ("wood", "wooden"), ("oak",), ("walnut",), ("beech",),
    ("teak",), ("cork",), ("rubber",), ("silicone",), ("latex",), ("memory foam",), ("gold",), ("silver",),
    ("copper",), ("brass",), ("bronze",), ("marble",), ("carbon fibre", "carbon fiber"), ("mesh",), ("fleece",),
    ("jute",), ("rattan",), ("wicker",), ("polypropylene",), ("polyurethane",), ("pvc",), ("vinyl",),
    ("microfibre", "microfiber"), ("chiffon",), ("tweed",), ("corduroy",), ("flannel",),
)

# Words with a common non-colour meaning (cream, mint, rose, olive, tan) are left out on purpose.
COLOURS: tuple[tuple[str, ...], ...] = (
    ("black",), ("white",), ("grey", "gray"), ("red",), ("blue",), ("navy",), ("green",), ("yellow",),
    ("orange",), ("purple",), ("violet",), ("pink",), ("brown",), ("beige",), ("ivory",), ("khaki",),
    ("teal",), ("turquoise",), ("maroon",), ("burgundy",), ("charcoal",), ("lavender",), ("lilac",),
    ("indigo",), ("magenta",), ("cyan",), ("gold",), ("silver",),
)

# Unit spellings -> (canonical unit, factor), so 0.5 l and 500 ml compare as the same amount.
_UNIT_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ml", "1", ("ml", "millilitre", "millilitres", "milliliter", "milliliters")),
    ("ml", "10", ("cl",)),
    ("ml", "1000", ("l", "litre", "litres", "liter", "liters")),
    ("g", "0.001", ("mg",)),
    ("g", "1", ("g", "gram", "grams")),
    ("g", "1000", ("kg", "kilogram", "kilograms", "kilo", "kilos")),
    ("mm", "1", ("mm",)),
    ("mm", "10", ("cm",)),
    ("mm", "1000", ("m", "metre", "metres", "meter", "meters")),
    ("inch", "1", ("in", "inch", "inches", '"', "″", "”")),
    ("mAh", "1", ("mah",)),
    ("min", "1", ("min", "mins", "minute", "minutes")),
    ("min", "60", ("h", "hr", "hrs", "hour", "hours")),
    ("day", "1", ("day", "days")),
    ("day", "7", ("week", "weeks")),
    ("month", "1", ("month", "months")),
    ("month", "12", ("yr", "yrs", "year", "years")),
    ("%", "1", ("%", "percent")),
    ("W", "1", ("w", "watt", "watts")),
    ("W", "1000", ("kw",)),
    ("V", "1", ("v", "volt", "volts")),
    ("GB", "0.001", ("mb",)),
    ("GB", "1", ("gb",)),
    ("GB", "1000", ("tb",)),
    ("lb", "1", ("lb", "lbs", "pound", "pounds")),
    ("oz", "1", ("oz", "ounce", "ounces")),
)
_UNITS: dict[str, tuple[str, Decimal]] = {
    spelling: (unit, Decimal(factor)) for unit, factor, spellings in _UNIT_GROUPS for spelling in spellings
}
_QUOTE_UNITS = ('"', "″", "”")

_MATERIAL_KEYS = ("material", "fabric", "composition")
_COLOUR_KEYS = ("colour", "color")
# --- precompiled patterns ---------------------------------------------------------------------------


def _term_pattern(term: str) -> str:
    """A vocabulary term as a regex; words may be joined by spaces or hyphens ("stainless-steel")."""
    return r"[\s-]+".join(re.escape(word) for word in term.split())


def _claim_regex(groups: Iterable[tuple[str, ...]]) -> str:
    """One alternation of every spelling, longest first so "stainless steel" wins over "steel"."""
    terms = sorted({term for group in groups for term in group}, key=len, reverse=True)
    return "|".join(_term_pattern(term) for term in terms)


_TERM_RES: dict[str, re.Pattern[str]] = {
    term: re.compile(rf"(?<!\w){_term_pattern(term)}(?!\w)", re.IGNORECASE)
    for group in (*MATERIALS, *COLOURS) for term in group
}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD_UNITS = "|".join(re.escape(u) for u in sorted(set(_UNITS) - set(_QUOTE_UNITS), key=len, reverse=True))
_QUANTITY_RE = re.compile(
    rf"(?<![\w.,])(?P<number>{_NUMBER})(?:[- \u00a0]?(?P<unit>{_WORD_UNITS})|(?P<inch>[\"″”]))?(?!\w)",
    re.IGNORECASE,
)
_MATERIAL_CLAIM_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<percent>\d+(?:\.\d+)?)\s?%\s*)?(?P<term>{_claim_regex(MATERIALS)})(?!\w)", re.IGNORECASE
)
_COLOUR_CLAIM_RE = re.compile(rf"(?<!\w)(?:{_claim_regex(COLOURS)})(?!\w)", re.IGNORECASE)
_TERM_SEPARATOR_RE = re.compile(r"[\s-]+")

# Words in an attribute's name that say which unit its bare numbers are in ("battery_hours": "12").
_UNIT_HINTS: dict[str, frozenset[str]] = {
    unit: frozenset(words.split()) for unit, words in {
        "ml": "ml l litre litres liter liters capacity volume",
        "g": "g kg gram grams weight mass",
        "mm": "mm cm m length width height depth size diameter dimensions range",
        "inch": "in inch inches size screen length width height diameter",
        "mAh": "mah battery capacity",
        "min": "min mins minutes h hr hrs hour hours time life runtime playtime duration battery",
        "day": "day days week weeks warranty guarantee life lifespan duration",
        "month": "month months year years warranty guarantee life lifespan duration",
        "%": "percent share content composition",
        "W": "w watt watts power output",
        "V": "v volt volts voltage",
        "GB": "gb mb tb storage memory ram capacity",
        "lb": "lb lbs weight",
        "oz": "oz weight capacity",
    }.items()
}

# Currencies written next to an amount: codes, symbols and names, each with the codes it may mean.
_CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN",
                   "CZK", "HUF", "INR", "BRL", "MXN", "SGD", "HKD", "ZAR", "TRY", "RUB", "KRW")
_CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    "€": ("EUR",), "£": ("GBP",), "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"), "¥": ("JPY", "CNY"),
    "₹": ("INR",), "euro": ("EUR",), "euros": ("EUR",), "dollar": ("USD", "CAD", "AUD", "NZD"),
    "dollars": ("USD", "CAD", "AUD", "NZD"), "pounds sterling": ("GBP",), "sterling": ("GBP",), "yen": ("JPY",),
    **{code: (code,) for code in _CURRENCY_CODES},
}
_CURRENCY = "|".join(re.escape(word) for word in sorted(_CURRENCY_WORDS, key=len, reverse=True))
_MONEY_RE = re.compile(
    rf"(?<![\w.,])(?P<before>{_CURRENCY})\s?(?P<amount>{_NUMBER})(?![\w,]|\.\d)"
    rf"|(?<![\w.,])(?P<number>{_NUMBER})\s?(?P<after>{_CURRENCY})(?!\w)"
)

# IP ratings: IPX7, IP67, IP6X.
_RATING_RE = re.compile(r"(?<![\w-])IP\s?(?:X\d|\d[\dX])(?!\w)", re.IGNORECASE)

# Certifications and standards; short acronyms match in capitals only, names in any case.
CERTIFICATIONS: tuple[tuple[str, str], ...] = (
    ("CE", r"(?-i:CE)"), ("FDA", r"(?-i:FDA)"), ("UL", r"(?-i:UL)"), ("ETL", r"(?-i:ETL)"), ("FCC", r"(?-i:FCC)"),
    ("RoHS", r"(?-i:RoHS|ROHS)"), ("FSC", r"(?-i:FSC)"), ("GOTS", r"(?-i:GOTS)"), ("TÜV", r"(?-i:TÜV|TUV)"),
    ("CSA", r"(?-i:CSA)"), ("LFGB", r"(?-i:LFGB)"), ("OEKO-TEX", r"oeko[\s-]?tex"), ("BPA-free", r"bpa[\s-]free"),
    ("Energy Star", r"energy\s+star"), ("Fairtrade", r"fair[\s-]?trade"), ("ISO", r"(?-i:ISO)\s?\d{3,5}"),
    ("bluesign", r"bluesign"), ("Cradle to Cradle", r"cradle[\s-]to[\s-]cradle"), ("organic", r"organic"),
    ("cruelty-free", r"cruelty[\s-]free"), ("hypoallergenic", r"hypo[\s-]?allergenic"),
    ("dermatologically tested", r"dermatologically\s+tested"), ("certified", r"certified|certification"),
)
_CERTIFICATION_RES = {name: re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)
                      for name, pattern in CERTIFICATIONS}

# Connectivity and features a product has or has not; a claim needs the data to name the feature.
FEATURES: tuple[tuple[str, str], ...] = (
    ("Wi-Fi", r"wi[\s-]?fi|wlan|wireless\s+lan"),
    ("Bluetooth", r"bluetooth"),
    ("USB", r"(?:micro[\s-]?)?usb(?:[\s-]?[abc]\b|\d(?:\.\d)?)?|type[\s-]c"),
    ("NFC", r"nfc"),
    ("HDMI", r"hdmi"),
    ("GPS", r"gps"),
    ("Ethernet", r"ethernet"),
    ("noise cancelling", r"(?:active\s+)?noise[\s-]?cancel+(?:ing|ation)|(?-i:ANC)"),
    ("water resistance", r"water[\s-]?(?:proof(?:ing)?|resistant|resistance|repellent)"),
    ("touchscreen", r"touch[\s-]?screen"),
    ("wireless charging", r"wireless\s+charging|qi\s+charging"),
    ("rechargeable", r"rechargeable"),
    ("dishwasher safe", r"dishwasher[\s-]safe"),
    ("microwave safe", r"microwave[\s-]safe"),
    ("machine washable", r"machine[\s-]washable"),
)
_FEATURE_RES = {name: re.compile(rf"(?<![\w-])(?:{pattern})(?![\w])", re.IGNORECASE) for name, pattern in FEATURES}
# Data that backs a feature without naming it: an IP rating makes a product water resistant.
_FEATURE_ALSO = {"water resistance": _RATING_RE, "rechargeable": re.compile(r"\bbattery\b|\bmah\b", re.IGNORECASE)}
_NEGATION_RE = re.compile(
    r"(?:\bno|\bnot|\bnon|\bwithout|n't|\bfree\s+of|\blacks?)(?:\s+[\w-]+){0,2}\s*$", re.IGNORECASE
)
_NEGATIVE_VALUE_RE = re.compile(r"^\s*(?:no|none|false|n/?a|not\s+included|not\s+available|without|0|-)\s*\.?$",
                                re.IGNORECASE)

# Origin and provenance: "made in Italy", "sourced from Peru", "from a farm in Fernia", "locally made".
_PLACE = r"(?-i:(?:[Tt]he\s+)?[A-Z][\w'’-]*(?:\.[A-Z]\.?)*(?:\s+(?:of\s+)?[A-Z][\w'’-]*)?)"
_ORIGIN_RE = re.compile(
    r"\b(?:proudly\s+)?(?:made|manufactured|produced|crafted|handcrafted|hand[\s-]?made|hand[\s-]?crafted|"
    r"designed|engineered|assembled|woven|knitted|knit|sewn|printed|roasted|brewed|distilled|bottled)\s+in\s+"
    rf"(?P<place>{_PLACE})"
    r"|\b(?:sourced|imported|shipped|harvested|grown|comes?|coming)\s+(?:directly\s+)?from\s+"
    rf"(?P<place_from>{_PLACE})"
    r"|\b(?:from|on|at|by)\s+(?:a|an|the|our|local|small)\s+(?:[\w-]+\s+){0,2}?"
    r"(?P<site>farms?|factory|factories|workshops?|vineyards?|mills?|estates?|plantations?|orchards?|ateliers?|"
    rf"artisans?)(?:\s+(?:in|of|near)\s+(?P<place_site>{_PLACE}))?"
    r"|\blocally[\s-](?:made|sourced|grown|produced|crafted)",
    re.IGNORECASE,
)
_ORIGIN_KEYS = ("origin", "country", "made in", "provenance", "manufactured", "source")

# Capitalised words compared with the brand and the product name, to catch "Songle" for "Sonora".
_NAME_TOKEN_RE = re.compile(r"(?<![\w-])[A-Z][\w’'-]{3,}")
_NAME_WORD_RE = re.compile(r"[\w’'-]+")
# A word this similar to a word of the brand (or, a little closer, of the product name) but not equal
# to it is a misspelling of it; so is one that starts with the brand's first three letters and is
# half similar ("Songle" for "Sonora"). Ratios are difflib's SequenceMatcher ratios.
_SIMILAR = {"brand": 0.8, "product name": 0.88}
_BRAND_PREFIX_SIMILAR = 0.5


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A number as written, with its amount in a canonical unit (None when written without one).

    ``key`` is the attribute the number came from, in words ("battery hours"); empty for the text.
    """

    written: str
    number: Decimal
    unit: str | None
    amount: Decimal
    span: Span
    key: str = ""


@dataclass(frozen=True)
class Facts:
    """What the product data says: its text, its numbers and, when given, its material, colour and price."""

    text: str
    quantities: list[Quantity]
    material: tuple[str, str] | None
    colour: tuple[str, str] | None
    attributes: tuple[tuple[str, str], ...] = ()
    title: str = ""
    brand: str = ""
    price: Decimal | None = None
    currency: str = ""

    @property
    def keyed_text(self) -> str:
        """Attribute names and values with the title, brand and category: where features may be named."""
        return "\n".join([*(f"{label}: {value}" for label, value in self.attributes), self.text])


def _quantity(written: str, number: str, unit: str | None, span: Span, key: str = "") -> Quantity:
    """Parse one number; "1,000" is one thousand (commas are read as thousands separators)."""
    value = Decimal(number.replace(",", ""))
    if unit is None:
        return Quantity(written, value, None, value, span, key)
    canonical, factor = _UNITS[unit.lower()]
    return Quantity(written, value, canonical, value * factor, span, key)


def _quantities(text: str, key: str = "") -> list[Quantity]:
    """Every number in the text with its unit; digits glued to letters ("4K", "X200") are skipped."""
    return [
        _quantity(m.group(), m["number"], m["unit"] or m["inch"], m.span(), key) for m in _QUANTITY_RE.finditer(text)
    ]


def _label(key: str) -> str:
    """An attribute name in words: "battery_life" -> "battery life"."""
    return " ".join(str(key).replace("_", " ").lower().split())


def _attribute(attributes: dict[str, str], key_words: tuple[str, ...]) -> tuple[str, str] | None:
    """The first attribute whose key mentions one of the words, as ("material", "polyester")."""
    for key, value in attributes.items():
        label = _label(key)
        if any(word in label for word in key_words) and str(value).strip():
            return label, str(value).strip()
    return None


def _price(price) -> Decimal | None:
    try:
        return Decimal(str(price)) if price not in (None, "") else None
    except ArithmeticError:
        return None


def facts_from(attributes: dict[str, str], title: str = "", brand: str = "", category: str = "", *,
               price=None, currency: str = "") -> Facts:
    """Attribute values, title, brand, category and price together are the facts the copy may state."""
    values = {str(key): str(value) for key, value in attributes.items()}
    text = "\n".join([*values.values(), title, brand, category])
    quantities = [q for key, value in values.items() for q in _quantities(value, _label(key))]
    quantities += _quantities("\n".join([title, brand, category]))
    amount = _price(price)
    if amount is not None:
        quantities.append(Quantity(str(price), amount, None, amount, (0, 0), "price"))
    return Facts(text, quantities, _attribute(values, _MATERIAL_KEYS), _attribute(values, _COLOUR_KEYS),
                 tuple((_label(key), value.strip()) for key, value in values.items()), title, brand, amount,
                 (currency or "").upper())


def _backs(fact: Quantity, claim: Quantity) -> bool:
    """Same unit and amount (0.5 l is 500 ml); without a unit on one side, the same number.

    A bare number in the data backs a claim with a unit only when the attribute's name
    says that unit ("capacity_ml": "500" backs "500 ml", "pack size": "2" does not back "2 years").
    """
    if claim.unit is None:
        return claim.number == fact.number
    if fact.unit is None:
        hints = _UNIT_HINTS.get(claim.unit, frozenset())
        return claim.number == fact.number and bool(hints & set(re.findall(r"\w+", fact.key)))
    return claim.unit == fact.unit and claim.amount == fact.amount


def _is_stated(claim: Quantity, facts: Facts) -> bool:
    return any(_backs(fact, claim) for fact in facts.quantities)


_UNIT_NAMES = {
    "ml": "millilitres or litres",
    "g": "grams or kilograms",
    "mm": "millimetres, centimetres or metres",
    "inch": "inches",
    "mAh": "battery capacity",
    "min": "hours or minutes",
    "day": "days or weeks",
    "month": "months or years",
    "%": "percentages",
    "W": "watts",
    "V": "volts",
    "GB": "storage",
    "lb": "pounds",
    "oz": "ounces",
}


def _quantity_message(claim: Quantity, facts: Facts) -> str:
    """Name the product's own figures in the same unit, when it has any."""
    same_unit = [f'"{fact.written}"' for fact in facts.quantities if claim.unit and fact.unit == claim.unit]
    if same_unit:
        return f'Says "{claim.written}"; the product data says {" or ".join(dict.fromkeys(same_unit))}.'
    if claim.unit:
        return f'Says "{claim.written}"; the product data gives no figure in {_UNIT_NAMES[claim.unit]}.'
    return f'Says "{claim.written}"; the number {claim.number} is not in the product data.'


def _term_in_facts(term: str, groups: tuple[tuple[str, ...], ...], facts: Facts) -> bool:
    """Whether the facts name the term or a synonym of it, as a whole word."""
    group = next(group for group in groups if term in group)
    return any(_TERM_RES[synonym].search(facts.text) for synonym in group)


def _term_message(claim: str, attribute: tuple[str, str] | None, kind: str) -> str:
    """Say what the product actually has, when the data says it."""
    if attribute:
        label, value = attribute
        return f'Says "{claim}"; the {label} is {value}.'
    return f'Says "{claim}"; the product data names no {kind}.'


def _material_findings(matches: list[re.Match[str]], facts: Facts) -> list[Finding]:
    """A material the facts do not name, or a percentage ("100% cotton") they do not give."""
    findings = []
    for match in matches:
        claim = _quote(match.group())
        term = " ".join(_TERM_SEPARATOR_RE.split(match["term"].lower()))
        if not _term_in_facts(term, MATERIALS, facts):
            findings.append(Finding(_term_message(claim, facts.material, "such material"), match.span()))
        elif match["percent"]:
            percent = _quantity(f"{match['percent']}%", match["percent"], "%", match.span("percent"))
            if not _is_stated(percent, facts):
                message = f'Says "{claim}"; the product data does not give {percent.written}.'
                findings.append(Finding(message, match.span()))
    return findings


def _colour_findings(text: str, facts: Facts, taken: list[Span]) -> list[Finding]:
    """Colours are checked only when the product has a colour attribute to compare with."""
    if facts.colour is None:
        return []
    return [
        Finding(_term_message(match.group(), facts.colour, "such colour"), match.span())
        for match in _COLOUR_CLAIM_RE.finditer(text)
        if not _overlaps(match.span(), taken)
        and not _term_in_facts(" ".join(_TERM_SEPARATOR_RE.split(match.group().lower())), COLOURS, facts)
    ]


# --- prices and currencies ------------------------------------------------------------------------


def _money_findings(matches: list[re.Match[str]], facts: Facts) -> list[Finding]:
    """Any price in the text must be the product's price, in the product's currency."""
    findings = []
    for match in matches:
        word = match["before"] or match["after"]
        amount = Decimal((match["amount"] or match["number"]).replace(",", ""))
        codes = _CURRENCY_WORDS[word]
        if facts.price is None:
            findings.append(Finding(f'Says "{match.group()}"; the product has no price in its data.', match.span()))
        elif amount != facts.price or (facts.currency and facts.currency not in codes):
            price = f"{facts.price:.2f} {facts.currency}".strip()
            findings.append(Finding(f'Says "{match.group()}"; the price is {price}.', match.span()))
    return findings


# --- ratings, certifications, features ------------------------------------------------------------


def _rating(text: str) -> str:
    return re.sub(r"\s", "", text).upper()


def _rating_findings(text: str, facts: Facts) -> list[Finding]:
    """An IP rating must be the product's own: IP67 is not IPX7."""
    stated = list(dict.fromkeys(_rating(m.group()) for m in _RATING_RE.finditer(facts.keyed_text)))
    findings = []
    for match in _RATING_RE.finditer(text):
        if _rating(match.group()) in stated:
            continue
        has = f"the product's rating is {' or '.join(stated)}" if stated else "the product has no rating in its data"
        findings.append(Finding(f'Says "{match.group()}"; {has}.', match.span()))
    return findings


def _certification_findings(text: str, facts: Facts) -> list[Finding]:
    """A certification, standard or label ("CE", "OEKO-TEX", "organic") must be named in the data."""
    stated = [name for name, pattern in _CERTIFICATION_RES.items() if pattern.search(facts.keyed_text)]
    findings = []
    for name, pattern in _CERTIFICATION_RES.items():
        if name in stated or (name == "certified" and stated):
            continue
        for match in pattern.finditer(text):
            named = f"names only {', '.join(stated)}" if stated else "names no certification or label"
            if name in ("organic", "hypoallergenic", "cruelty-free", "dermatologically tested"):
                named = f"does not say it is {name}"
            findings.append(Finding(f'Says "{match.group()}"; the product data {named}.', match.span()))
    return findings


def _negated(text: str, start: int) -> bool:
    """Whether the words just before a position deny it: "no USB port", "without Wi-Fi"."""
    return bool(_NEGATION_RE.search(text[max(0, start - 30):start]))


def _feature_state(name: str, facts: Facts) -> str | None:
    """"has", "has not" (the data denies it) or None (the data does not say)."""
    pattern = _FEATURE_RES[name]
    state = None
    for label, value in (*facts.attributes, ("", facts.title), ("", facts.brand)):
        line = f"{label}: {value}"
        match = pattern.search(line)
        if match is None:
            continue
        if (pattern.search(label) and _NEGATIVE_VALUE_RE.match(value)) or _negated(line, match.start()):
            return "has not"
        state = "has"
    also = _FEATURE_ALSO.get(name)
    if state is None and also is not None and also.search(facts.keyed_text):
        state = "has"
    return state


def _feature_findings(text: str, facts: Facts) -> list[Finding]:
    """Wi-Fi, USB, Bluetooth ... must be in the data; "no USB port" must not contradict it."""
    findings = []
    for name, pattern in _FEATURE_RES.items():
        for match in pattern.finditer(text):
            state = _feature_state(name, facts)
            if _negated(text, match.start()):
                if state == "has":
                    findings.append(Finding(f'Says there is no {match.group()}; the product data lists {name}.',
                                            match.span()))
            elif state == "has not":
                findings.append(Finding(f'Says "{match.group()}"; the product data says it has no {name}.',
                                        match.span()))
            elif state is None:
                findings.append(Finding(f'Says "{match.group()}"; the product data does not mention {name}.',
                                        match.span()))
    return findings


# --- origins ----------------------------------------------------------------------------------------


def _origin_findings(text: str, facts: Facts) -> list[Finding]:
    """Where a product comes from ("made in Italy", "a farm in Fernia") must be in the data."""
    origin = next(((label, value) for label, value in facts.attributes
                   if any(word in label for word in _ORIGIN_KEYS) and value), None)
    keyed = facts.keyed_text.lower()
    findings = []
    for match in _ORIGIN_RE.finditer(text):
        place = match["place"] or match["place_from"] or match["place_site"]
        if place:
            words = [w for w in re.findall(r"[\w’'-]+", place.lower()) if w not in ("the", "of", "de", "del")]
            backed = not words or re.search(rf"(?<!\w){re.escape(words[0])}(?!\w)", keyed) is not None
        else:
            word = (match["site"] or "local").lower().rstrip("s")
            backed = re.search(rf"(?<!\w){re.escape(word)}", keyed) is not None
        if backed:
            continue
        has = f"the product's {origin[0]} is {origin[1]}" if origin else "the product data gives no origin"
        findings.append(Finding(f'Says "{_quote(match.group())}"; {has}.', match.span()))
    return findings


# --- brand and product names --------------------------------------------------------------------


def _names(facts: Facts) -> list[tuple[str, str]]:
    """The words of the brand and of the product name, each with what it is ("brand", "product name")."""
    names = [(word, "brand") for word in _NAME_WORD_RE.findall(facts.brand) if len(word) >= 3]
    names += [(word, "product name") for word in _NAME_WORD_RE.findall(facts.title) if len(word) >= 4]
    return list(dict.fromkeys(names))


def _common_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b):
        if x != y:
            break
        size += 1
    return size


def _misspelt(word: str, name: str, what: str, in_brand_slot: bool = False) -> bool:
    """A near miss: close to the name but not the name, nor a longer or shorter form of it ("Headphone").

    A word in the brand's slot (before a word of the product name, or after "by") is compared
    more loosely: starting with the brand's first three letters and half similar is enough.
    """
    w, n = re.sub(r"['’]", "", word.lower()), re.sub(r"['’]", "", name.lower())
    if w == n or w.startswith(n) or n.startswith(w):
        return False
    if what == "product name" and len(w) < 5:
        return False
    ratio = SequenceMatcher(None, w, n).ratio()
    loose = what == "brand" and in_brand_slot and _common_prefix(w, n) >= 3 and ratio >= _BRAND_PREFIX_SIMILAR
    return ratio >= _SIMILAR[what] or loose


def _name_findings(text: str, facts: Facts) -> list[Finding]:
    """Brand and product names must be spelled exactly; "Songle" or "Sonera" for "Sonora" is flagged."""
    names = _names(facts)
    if not names:
        return []
    known = {re.sub(r"['’]", "", word.lower()) for word in _NAME_WORD_RE.findall(facts.keyed_text)}
    title_words = {word.lower() for word in _NAME_WORD_RE.findall(facts.title)}
    findings = []
    for match in _NAME_TOKEN_RE.finditer(text):
        word = match.group().rstrip("’'-")
        if re.sub(r"['’]", "", word.lower()) in known:
            continue
        after = _NAME_WORD_RE.search(text, match.end())
        before = re.search(r"(\w+)\W*$", text[: match.start()])
        slot = bool((after and after.group().lower() in title_words) or (before and before.group(1).lower() == "by"))
        near = next(((name, what) for name, what in names if _misspelt(word, name, what, slot)), None)
        if near:
            name, what = near
            whole = facts.brand if what == "brand" else facts.title
            findings.append(Finding(f'Says "{word}"; the {what} is spelled "{_quote(whole)}".',
                                    (match.start(), match.start() + len(word))))
    return findings


def check_facts(text: str, facts: Facts) -> dict:
    """A small model invents specifications; every claim in the text must be in the product data.

    Numbers with units, materials, colours, prices and currencies, IP ratings, certifications,
    connectivity and features, origins, and the spelling of the brand and product name. A
    percentage written before a material ("100% cotton") is one claim. A word that is both a
    material and a colour ("gold", "silver") is checked as a material; an amount with a currency
    is checked as a price, not as a number.
    """
    materials = list(_MATERIAL_CLAIM_RE.finditer(text))
    money = list(_MONEY_RE.finditer(text))
    ratings = [match.span() for match in _RATING_RE.finditer(text)]
    taken = [match.span() for match in materials]
    numbers = [
        Finding(_quantity_message(claim, facts), claim.span)
        for claim in _quantities(text)
        if not _overlaps(claim.span, [*taken, *(m.span() for m in money), *ratings]) and not _is_stated(claim, facts)
    ]
    findings = [
        *_material_findings(materials, facts), *numbers, *_colour_findings(text, facts, taken),
        *_money_findings(money, facts), *_rating_findings(text, facts), *_certification_findings(text, facts),
        *_feature_findings(text, facts), *_origin_findings(text, facts), *_name_findings(text, facts),
    ]
    findings.sort(key=lambda finding: finding.span or (0, 0))
    return _result("facts", findings, "Every claim in the text (numbers, materials, colours, prices, ratings, "
                                      "certifications, features, origins and names) is in the product data.")
