"""Personal-data redaction for support tickets (pure Python, no Django).

Before a model sees a customer's message, personal data is replaced by typed
placeholders (``[EMAIL_1]``); staff and the customer see the originals put back
by ``restore``. Logs get ``redact_for_log``: the same detection, placeholders
without numbers (``[EMAIL]``) and no mapping, so a log line can never be undone.

Kinds, in priority order (where two detections overlap, the earlier kind wins):

* ``URL_WITH_TOKEN`` - an http(s) link whose query names a secret (``token=``,
  ``key=``, ``email=`` ...) or carries a long opaque id (reset and order-status
  links): the whole link grants access to the customer's account or order.
* ``EMAIL``
* ``ORDER`` - only for the shop's own ``order_number_patterns`` (regexes); the
  shop decides whether its order numbers count as personal data.
* ``IBAN`` - validated by ``python-stdnum`` (the country's length and layout, mod-97 checksum).
* ``CARD`` - 13-19 digits starting 2-6, Luhn checksum (``python-stdnum``).
* ``ADDRESS`` - one street line: house number + street (English, French and
  German word order), optionally followed on the same line by unit, postcode,
  city, state or country.
* ``PHONE`` - a number Google's ``phonenumbers`` (libphonenumber) finds VALID for
  one of the ``phone_regions`` (national formats such as a Spanish ``612 34 56 78``
  or a Brazilian ``11 91234-5678``; a ``+`` or ``00`` prefix names its own
  country), or one it finds POSSIBLE when a word such as "call"/"Telefon"
  announces it; dates, prices, quantities and numbers announced as order,
  tracking or invoice numbers are left alone.

Placeholders are ``[KIND_N]``, numbered per kind in order of appearance; the same
exact string gets the same placeholder every time. If the message already
contains a token such as ``[EMAIL_1]`` (a customer quoting an earlier redacted
reply, say), that number is skipped for this message, so ``restore`` can never
turn the customer's own text into someone's data: the mapping only ever holds
tokens that were absent from the original.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from stdnum import iban, luhn
from stdnum.exceptions import ValidationError

KINDS = ("URL_WITH_TOKEN", "EMAIL", "ORDER", "IBAN", "CARD", "ADDRESS", "PHONE")
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}

Span = tuple[int, int, str]


@dataclass(frozen=True)
class Redaction:
    """A redacted message: the text a model may see, and how to undo it."""

    text: str
    mapping: dict[str, str]  # placeholder -> original value
    spans: list[Span]  # (start, end, kind) in the ORIGINAL text, sorted by start


# --- checksums ---------------------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number carries; random digit strings pass only 1 time in 10."""
    return digits.isascii() and digits.isdigit() and luhn.is_valid(digits)


def iban_valid(value: str) -> bool:
    """ISO 13616 as ``python-stdnum`` checks it: the country's length and layout, and mod 97 of the
    rearranged number is 1.

    The checksum catches every single typo and almost every transposition, so a
    pasted reference that merely looks like an IBAN is not flagged. The national checks
    (``check_country``) are off: they consult a list of bank codes, and an account at a
    bank missing from that list (the Belgian ``BE68 5390 0754 7034``) must still be redacted.
    """
    try:
        iban.validate(value, check_country=False)
    except ValidationError:
        return False
    return True


# --- detectors: each yields (start, end, kind) candidates; overlaps are settled later -------------------------

#: How far back (in characters, same line) a cue word such as "call" or "deliver to" is looked for.
_CUE_WINDOW = 40

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?!\w)")


def _emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        yield match.start(), match.end(), "EMAIL"


_URL = re.compile(r"\bhttps?://[^\s<>\"'\[\]]+", re.IGNORECASE)
_URL_TRAILING = re.compile(r"[.,;:!?)]+$")
_SECRET_PARAMETER = re.compile(
    r"[?&#;][\w.-]*?(?:token|auth|key|sig|signature|session|sessionid|sid|secret|pass|password|pwd|otp|"
    r"e?mail|jwt|hash)=[^&#\s]",
    re.IGNORECASE,
)
#: A random id: 20+ letters/digits with a digit and a lowercase letter (hex, base64) - not a slug or tracking code.
_OPAQUE_ID = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[a-z])[A-Za-z0-9_]{20,}(?![A-Za-z0-9])")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


def _token_urls(text: str) -> Iterator[Span]:
    """Links that open the customer's account or order without a login (the link is the credential)."""
    for match in _URL.finditer(text):
        url = _URL_TRAILING.sub("", match.group())
        after_host = url.split("/", 3)[3] if url.count("/") >= 3 else ""
        if _SECRET_PARAMETER.search(url) or _OPAQUE_ID.search(after_host) or _UUID.search(after_host):
            yield match.start(), match.start() + len(url), "URL_WITH_TOKEN"


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


def _order_numbers(text: str, patterns: tuple[str, ...]) -> Iterator[Span]:
    for pattern in _compiled(patterns):
        for match in pattern.finditer(text):
            if match.end() > match.start():
                yield match.start(), match.end(), "ORDER"


_IBAN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,32}")


def _ibans(text: str) -> Iterator[Span]:
    """IBANs, printed in groups of four or run together.

    The candidate may run on into the next word ("... 0130 00 BIC COBADEFFXXX"), so
    it is cut at the country's length, and only where a group ends.
    """
    for match in _IBAN_CANDIDATE.finditer(text):
        candidate = match.group()
        positions = [index for index, char in enumerate(candidate) if char != " "]
        for length in range(min(34, len(positions)), 14, -1):  # longest first; iban_valid checks the country length
            end = positions[length - 1] + 1
            if (end == len(candidate) or candidate[end] == " ") and iban_valid(candidate[:end]):
                yield match.start(), match.start() + end, "IBAN"
                break


#: Digit groups split by single spaces or dashes; not the rest of an IBAN-like "DE89 3704 ..." that failed its checksum.
_DIGIT_RUN = re.compile(r"(?<![\w.,/#=+-])(?<![A-Za-z]{2}\d{2} )\d+(?:[ -]\d+)*(?!\w)")
_DIGIT_GROUP = re.compile(r"\d+")


def _cards(text: str) -> Iterator[Span]:
    """Card numbers: runs of whole digit groups with 13-19 digits, a card prefix (2-6) and a valid Luhn sum.

    Scanning sub-runs (longest first from each group) finds a card with a CVV written
    after it ("4111 1111 1111 1111 123") and two cards in one run; capping a sub-run
    at 19 digits keeps this linear in the length of the run.
    """
    for match in _DIGIT_RUN.finditer(text):
        groups = [(group.start(), group.end(), group.group()) for group in _DIGIT_GROUP.finditer(match.group())]
        first = 0
        while first < len(groups):
            last = _longest_card_from(groups, first)
            if last is None:
                first += 1
                continue
            yield match.start() + groups[first][0], match.start() + groups[last][1], "CARD"
            first = last + 1


def _longest_card_from(groups: list[tuple[int, int, str]], first: int) -> int | None:
    """Index of the last group of the longest card number starting at group ``first``, if any."""
    digits, found = "", None
    for last in range(first, len(groups)):
        digits += groups[last][2]
        if len(digits) > 19:
            break
        if len(digits) >= 13 and digits[0] in "23456" and luhn_valid(digits):
            found = last
    return found


_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
#: Letters only ("NW1" is a postcode, not a name). Every repetition in these patterns is bounded, so a
#: pathological message ("A-A-A-..." x 10,000) costs linear time, not quadratic.
_NAME = rf"(?:St\.|[{_UPPER}](?:[^\W\d_]|['’-]){{0,40}})(?!\w)"
_HOUSE = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?"
_UNIT = r"(?:Flat|Apt\.?|Apartment|Suite|Unit|Floor|Wohnung|Etage|Bât\.?|Appartement)[ \t]*[\w-]{1,8}"
_NOT_CITY = (
    r"(?:I|I'm|I’m|I'll|I’ll|I've|I’ve|I'd|Thanks|Thank|Please|But|And|Also|The|This|That|My|Can|Could|Would|"
    r"Will|Is|It|We|You|Hi|Hello|Regards|Cheers|Best|Kind|Danke|Bitte|Aber|Und|Merci|Mais|Et|Cordialement)\b"
)
#: "Berlin", "Saint-Malo", "Stratford-upon-Avon", "UK" - but not "USt-IdNr" (a VAT-number label after the city).
_CITY_PART = rf"[{_UPPER}][{_LOWER}'’]{{1,30}}"
_CITY_WORD = rf"(?!{_NOT_CITY})(?:{_CITY_PART}(?:-(?:[{_LOWER}]{{1,5}}-)?{_CITY_PART}){{0,3}}|[{_UPPER}]{{2,4}})(?!\w)"
_CITY = rf"{_CITY_WORD}(?:[ \t-](?:(?:am|im|an[ \t]der|upon|sur|en)[ \t-])?{_CITY_WORD}){{0,2}}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b"
_US_STATE_ZIP = r"[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?\b"
_POSTCODE_CITY = rf"(?:[A-Z]{{1,2}}-)?\d{{4,5}}[ \t]+{_CITY}"
#: What may follow the street on the same line: after a comma almost anything place-like, after a bare space
#: only a postcode (a capitalised word after a space is more often the next sentence than a city).
_AFTER_COMMA = (
    rf"{_UNIT}|{_POSTCODE_CITY}|{_UK_POSTCODE}|{_US_STATE_ZIP}|{_CITY}(?:[ \t]+(?:{_UK_POSTCODE}|{_US_STATE_ZIP}))?"
)
_TAIL = rf"(?:,[ \t]*(?:{_AFTER_COMMA})|[ \t]+(?:{_POSTCODE_CITY}|{_UK_POSTCODE})){{0,4}}"
#: Street words that are also common in product names ("Nike Court", "Hard Drive"): they need an address cue or tail.
_AMBIGUOUS = r"Drive|Court|Way|Place|Walk|Row|Circle|Square|Trail|Close|Loop|Dr|Ct|Pl|Sq"
_AMBIGUOUS_TYPES = frozenset(_AMBIGUOUS.split("|"))
_EN_TYPES = (
    r"Street|Road|Avenue|Lane|Boulevard|Parkway|Highway|Terrace|Crescent|Gardens|Grove|Mews|Parade|"
    rf"St|Rd|Ave|Ln|Blvd|Pkwy|Hwy|Cres|{_AMBIGUOUS}"
)
_FR_TYPES = r"[Rr]ue|[Aa]venue|[Bb]oulevard|[Bb]d|[Pp]lace|[Cc]hemin|[Aa]llée|[Ii]mpasse|[Qq]uai|[Rr]oute|[Cc]ours"
_FR_LINK = r"(?:de|du|des|la|le|les|l['’]|d['’]|et|aux|au|sur)"
_DE_SUFFIX = r"straße|strasse|str\.|weg|gasse|platz|allee|damm|chaussee|pfad|steig|stieg|ufer"
_DE_WORDS = r"Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Damm|Ufer"
_ADDRESS = re.compile(
    rf"""(?<![\w#€$£.,/-])
    (?:{_UNIT},?[ \t]+)?
    (?:
        {_HOUSE},?[ \t]+(?:(?:{_NAME}|\d+(?:st|nd|rd|th))[ \t]+){{1,4}}(?P<type>{_EN_TYPES})\b
      | {_HOUSE}(?:[ \t]+(?:bis|ter))?,?[ \t]+(?:{_FR_TYPES})[ \t]+(?:{_FR_LINK}[ \t]*){{0,3}}{_NAME}
            (?:[ \t-]{{1,3}}(?:{_FR_LINK}[ \t]*){{0,3}}{_NAME}){{0,3}}
      | (?:[{_UPPER}][\w-]{{0,40}}(?:{_DE_SUFFIX})|(?:{_NAME}[ \t-]){{1,2}}(?:{_DE_WORDS}))
            [ \t]*\d{{1,3}}(?:[ \t]?[a-zA-Z]\b)?(?:[-/]\d{{1,3}}[a-z]?)?(?!\d|[.,]\d|[ \t]?[%€$£])
    )
    (?P<tail>{_TAIL})""",
    re.VERBOSE,
)
_ADDRESS_CUE = re.compile(
    r"\b(?:address|adresse|live|living|lives|deliver|delivery|ship|shipping|send|sent|moved|move|to|at|is|"
    r"wohne|liefern|lieferung|habite|livrer|livraison)\W*$",
    re.IGNORECASE,
)


def _addresses(text: str) -> Iterator[Span]:
    """Street lines; "2 Nike Court" or "1 TB Hard Drive" only count after "deliver to", "live at"... or with a city."""
    for match in _ADDRESS.finditer(text):
        ambiguous = match.group("type") in _AMBIGUOUS_TYPES
        cue_before = _ADDRESS_CUE.search(text, max(0, match.start() - _CUE_WINDOW), match.start())
        if ambiguous and not match.group("tail") and not cue_before:
            continue
        yield match.start(), match.end(), "ADDRESS"


#: Dates (12.10.2023, 12 10 2023, 2023-10-12), year ranges (2019-2023) and opening hours (9.30-17.30).
_DATE_OR_RANGE = re.compile(
    r"\d{1,2}([./ -])\d{1,2}\1(?:19|20)?\d{2}|\d{4}([./-])\d{1,2}\2\d{1,2}"
    r"|(?:19|20)\d{2}[ \t]?[-/][ \t]?(?:19|20)?\d{2}|\d{1,2}[.:]\d{2}[ \t]?-[ \t]?\d{1,2}[.:]\d{2}"
)
_DECIMAL = re.compile(r"\d+[.,]\d{1,2}")
_MONEY_BEFORE = re.compile(r"(?:[€$£¥]|\b(?:EUR|USD|GBP|CHF))[ \t]?$")
_MONEY_OR_UNIT_AFTER = re.compile(
    r"[ \t]?(?:[€$£¥%]|(?:EUR|USD|GBP|CHF|euros?|dollars?|pounds?|ml|l|kg|g|cm|mm|m|x|pcs|units|items|Stück)\b)",
    re.IGNORECASE,
)
#: The nearest of these words before a number says what it is ("order 0123456", "call 0123456").
_NUMBER_CUE = re.compile(
    r"\b(?:(?P<phone>phone|phones|tel|telephone|telefon\w*|mobile|mobil\w*|cell|fax|sms|text|call|calling|called|"
    r"ring|reach|contact|whats\s?app|handy|rückruf|anruf\w*|erreich\w*|téléphone|portable|appele[rz]|joindre|"
    r"tel[eé]fono|telefone|m[oó]vil|celular|cellulare|telem[oó]vel|llam\w*|ligar|chiama\w*)"
    r"|(?P<other>orders?|invoice|tracking|track|shipment|parcel|package|ref|reference|ticket|customer|"
    r"account|sku|item|article|product|model|serial|voucher|coupon|receipt|transaction|id|ean|gtin|isbn|barcode|"
    r"bestell\w*|rechnung\w*|sendung\w*|kunden\w*|artikel\w*|commande|facture|colis|suivi|"
    r"pedido|encomenda|rastreio|referencia|referência|factura|fatura|fattura|ordine|bestelling|factuur))\b",
    re.IGNORECASE,
)


def _nearest_cue(text: str, start: int) -> str | None:
    """'phone', 'other' or None: the last cue word a few words before ``start`` on its line.

    A cue names the next number only: in "phone for order #100777 to 0151 2345678"
    the word "order" belongs to #100777, so the phone number has no cue (None).
    """
    before = text[max(0, start - _CUE_WINDOW) : start].rsplit("\n", 1)[-1]
    cues = list(_NUMBER_CUE.finditer(before))
    if not cues or any(char.isdigit() for char in before[cues[-1].end() :]):
        return None
    return cues[-1].lastgroup


#: A run of digit groups as phone numbers are written ("+49 (0)89 1234-567", "(11) 91234-5678"): only
#: finds the whole run cheaply; whether it is a phone number is libphonenumber's call (``_phone_verdict``).
_PHONE_CANDIDATE = re.compile(
    r"""(?<![\w@/=#&+.,-])
    (?:\+[ \t]?)?(?:\(\+?\d{1,4}\)|\d+)
    (?:(?:[ \t]?[-./][ \t]?|[ \t])?\(\d{1,5}\)|(?:[ \t]?[-./][ \t]?|[ \t])\d+|(?<=\))\d+)*
    (?![\w@])""",
    re.VERBOSE,
)
#: A ``+`` or ``00`` country prefix: the writer said it is a phone number in another country's format
#: (the UK's reserved drama range ``+44 7700 900123`` is not VALID, only POSSIBLE).
_INTERNATIONAL = re.compile(r"\(?(?:\+|00[1-9])")
VALID, POSSIBLE = "valid", "possible"


def _is_phone(candidate: str, text: str, start: int, end: int, regions: tuple[str, ...]) -> bool:
    """Context rules that separate phone numbers from the many other numbers in a support ticket.

    A number libphonenumber finds VALID for one of ``regions`` counts; one it finds
    only POSSIBLE counts with a ``+``/``00`` country prefix or a phone word before it
    ("call", "Telefon"). Dates, prices, quantities and numbers announced as order,
    tracking or invoice numbers never count.
    """
    if not 7 <= sum(char.isdigit() for char in candidate) <= 15:
        return False
    if _DATE_OR_RANGE.fullmatch(candidate) or _DECIMAL.fullmatch(candidate):
        return False
    if _MONEY_BEFORE.search(text, max(0, start - 4), start) or _MONEY_OR_UNIT_AFTER.match(text, end):
        return False
    cue = _nearest_cue(text, start)
    if cue == "other":
        return False
    verdict = _phone_verdict(candidate, regions)
    if verdict == VALID:
        return True
    return verdict == POSSIBLE and (cue == "phone" or bool(_INTERNATIONAL.match(candidate)))


#: Regions whose national formats count when ``detect`` is not told otherwise (the app passes the
#: ``SUPPORT_REDACTION_PHONE_REGIONS`` setting). Numbers with a ``+`` or ``00`` prefix are read whatever the
#: list. Not in the default: regions where almost any 8 digits form a valid number (Denmark, Norway,
#: Luxembourg), which would take serial and invoice numbers for phones.
DEFAULT_PHONE_REGIONS = ("GB", "IE", "US", "DE", "AT", "CH", "FR", "BE", "NL", "ES", "PT", "IT", "PL", "SE",
                         "FI", "BR", "MX")


@lru_cache(maxsize=4096)
def _phone_verdict(candidate: str, regions: tuple[str, ...]) -> str | None:
    """VALID if libphonenumber parses ``candidate`` as a valid number of one of ``regions`` (or of the
    country its ``+``/``00`` prefix names), else POSSIBLE if the length fits, else None."""
    possible = False
    for region in regions or ("ZZ",):
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            possible = possible or phonenumbers.is_possible_number(number)
            continue
        # Valid digits; the matcher's VALID also wants the national prefix where the region's format needs
        # it: a German "20240315-7781" (no leading 0) is not a German phone number, a Brazilian
        # "11 91234-5678" is a Brazilian one.
        for match in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=phonenumbers.Leniency.VALID):
            if match.start == 0 and match.end == len(candidate):
                return VALID
        possible = True
    if possible:
        return POSSIBLE
    return None


def _phones(text: str, regions: tuple[str, ...]) -> Iterator[Span]:
    for match in _PHONE_CANDIDATE.finditer(text):
        if _is_phone(match.group(), text, match.start(), match.end(), regions):
            yield match.start(), match.end(), "PHONE"


_DETECTORS = (_token_urls, _emails, _ibans, _cards, _addresses)


# --- combining detections ----------------------------------------------------------------------------------


def _canonical(value: str) -> str:
    """Letters and digits only, case-folded: "+49 30 1234-567" and "+4930 1234567" are the same kept value."""
    return "".join(char for char in value.casefold() if char.isalnum())


def _resolve(candidates: list[Span]) -> list[Span]:
    """Non-overlapping spans: higher-priority kind first, then the longer span, then the earlier one.

    ``chosen`` stays sorted and non-overlapping, so only the two neighbours of a new
    span can overlap it (a pasted list of thousands of addresses stays fast).
    """
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (_PRIORITY[s[2]], s[0] - s[1], s[0])):
        index = bisect.bisect(chosen, span)
        overlaps_before = index > 0 and chosen[index - 1][1] > span[0]
        overlaps_after = index < len(chosen) and chosen[index][0] < span[1]
        if not (overlaps_before or overlaps_after):
            chosen.insert(index, span)
    return chosen


def detect(text: str, *, order_number_patterns: Sequence[str] = (), keep: Sequence[str] = (),
           phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> list[Span]:
    """Every piece of personal data in ``text`` as sorted, non-overlapping ``(start, end, kind)`` spans.

    ``keep`` is applied after overlaps are settled, so a kept value stays whole
    instead of a lower-priority detection taking part of it.
    """
    candidates = [span for detector in _DETECTORS for span in detector(text)]
    candidates += _phones(text, tuple(phone_regions))
    candidates += _order_numbers(text, tuple(order_number_patterns))
    kept = {_canonical(value) for value in keep}
    return [span for span in _resolve(candidates) if _canonical(text[span[0] : span[1]]) not in kept]


def _substitute(text: str, spans: list[Span], placeholders: list[str]) -> str:
    pieces, position = [], 0
    for (start, end, _), placeholder in zip(spans, placeholders):
        pieces += [text[position:start], placeholder]
        position = end
    return "".join(pieces) + text[position:]


_PLACEHOLDER_LIKE = re.compile(r"\[[A-Z_]+_\d+\]")


def _number_placeholders(text: str, spans: list[Span]) -> list[str]:
    """``[KIND_N]`` per span: one per distinct value, skipping any token the message already contains."""
    taken = set(_PLACEHOLDER_LIKE.findall(text))
    counters: Counter[str] = Counter()
    assigned: dict[tuple[str, str], str] = {}
    for start, end, kind in spans:
        key = (kind, text[start:end])
        if key not in assigned:
            counters[kind] += 1
            while f"[{kind}_{counters[kind]}]" in taken:
                counters[kind] += 1
            assigned[key] = f"[{kind}_{counters[kind]}]"
    return [assigned[(kind, text[start:end])] for start, end, kind in spans]


def redact(text: str, *, order_number_patterns: Sequence[str] = (), keep: Sequence[str] = (),
           phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> Redaction:
    """Replace personal data by numbered placeholders; ``restore`` with the mapping undoes it."""
    spans = detect(text, order_number_patterns=order_number_patterns, keep=keep, phone_regions=phone_regions)
    placeholders = _number_placeholders(text, spans)
    mapping = {placeholder: text[start:end] for (start, end, _), placeholder in zip(spans, placeholders)}
    return Redaction(text=_substitute(text, spans, placeholders), mapping=mapping, spans=spans)


def restore(text: str, mapping: dict[str, str]) -> str:
    """Put the originals back, e.g. into a model-written reply that used the placeholders.

    Only exact tokens from ``mapping`` are replaced, in one pass: a placeholder the
    model invented or misspelled stays visible, and a restored value that itself
    looks like a placeholder is never expanded again.
    """
    return _PLACEHOLDER_LIKE.sub(lambda match: mapping.get(match.group(), match.group()), text)


def redact_for_log(text: str, *, order_number_patterns: Sequence[str] = (), keep: Sequence[str] = (),
                   phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS) -> str:
    """The same detection with bare ``[KIND]`` placeholders: logs show what was there, never which value."""
    spans = detect(text, order_number_patterns=order_number_patterns, keep=keep, phone_regions=phone_regions)
    return _substitute(text, spans, [f"[{kind}]" for _, _, kind in spans])
