"""Products to evaluate: facts as unsaved ``Product`` instances, and the copy people wrote for them.

Two formats:

- ``amazon2020``: the PromptCloud Amazon 2020 listings (``content/amazon_2020/products_dev.csv``
  in the shared data; see its SOURCE.md). ``Product Name`` is the title, ``Category`` the category
  path, ``Selling Price`` the price in USD (the first amount of a range), and the ``Name: value``
  parts of ``Product Specification`` and ``Technical Details`` the attributes; free text in
  ``Technical Details`` becomes the attribute ``details`` (at most ``DETAILS_CHARS`` characters).
  Marketplace boilerplate is left out of the facts (ASIN, sales rank, shipping and returns
  notes, "View shipping rates and policies"), and keys glued together in the crawl
  ("ShippingWeight", "12.8ounces") get their spaces back. ``About Product`` is the people's copy,
  without its boilerplate first bullet ("Make sure this fits by entering your model number.").
- ``csv``: the product import format (docs/import-formats.md: ``sku``, ``title``, ``brand``,
  ``category``, ``price``, ``currency``, ``attributes``, ``attr:<key>`` ...) plus the column
  ``reference``: the copy people wrote for that product (optional; empty means none).
  ``reference_title``, when present, is the reference for one-line kinds (headlines, SEO titles).

Nothing is saved: the products exist only in memory.
"""

from __future__ import annotations

import csv
import json
import random
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from content.models import Product

DETAILS_CHARS = 500
ATTRIBUTE_CHARS = 200

_BOILERPLATE_BULLET = re.compile(r"^\s*make sure this fits\b", re.IGNORECASE)
_DROPPED_KEYS = {
    "asin", "domestic shipping", "international shipping", "shipping advisory", "shipping information",
    "california residents", "date first available", "date first listed on amazon", "customer reviews",
    "best sellers rank", "amazon best sellers rank", "upc", "pricing", "discontinued by manufacturer", "media",
}
_NOISE = (
    re.compile(r"\(\s*view\s*shipping\s*rates\s*and\s*policies\s*\)", re.IGNORECASE),
    re.compile(r"go to your orders and start the return select the ship method ship it!", re.IGNORECASE),
    re.compile(r"show up to \d+ reviews by default", re.IGNORECASE),
    re.compile(r"learn more", re.IGNORECASE),
)


class SourceError(Exception):
    """The file cannot be read as the format asked for; the message says why."""


@dataclass(frozen=True)
class EvalProduct:
    """One product to evaluate: an id, an unsaved Product (the facts), and the people's copy."""

    id: str
    product: Product
    reference: str = ""
    reference_title: str = ""


def _clean(text: str) -> str:
    for pattern in _NOISE:
        text = pattern.sub(" ", text)
    return " ".join(text.replace("\xa0", " ").split())


# Keys the crawl glued together in lower case, which no rule can split.
_GLUED_KEYS = {
    "itemmodelnumber": "Item model number", "manufacturerrecommendedage": "Manufacturer recommended age",
    "productdimensions": "Product Dimensions", "shippingweight": "Shipping Weight", "itemweight": "Item Weight",
    "packagedimensions": "Package Dimensions", "releasedate": "Release date",
}
_GLUED_WORDS = {"yearsandup": "years and up", "monthsandup": "months and up"}


def _unglue_key(key: str) -> str:
    """"ShippingWeight" -> "Shipping Weight"; keys with spaces are left alone."""
    key = _clean(key).strip(" :")
    if " " not in key:
        key = _GLUED_KEYS.get(key.lower()) or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key)
    return key


def _unglue_value(value: str) -> str:
    """"10.3x3.4x0.8inches" -> "10.3 x 3.4 x 0.8 inches": the crawl dropped the spaces of some rows."""
    value = _clean(value)
    if " " not in value.strip():
        value = re.sub(r"(?<=\d)(?=[a-wyzA-WYZ])", " ", value)
        value = re.sub(r"(?<=\d)x(?=\d)", " x ", value)
        value = re.sub(r"(?<=[a-zA-Z])(?=\d)", " ", value)
        for glued, words in _GLUED_WORDS.items():
            value = value.replace(glued, words)
    return value


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + " ..."


def _parse_facts(specification: str, technical: str) -> dict[str, str]:
    """``Name: value`` parts become attributes; free text becomes ``details``."""
    attributes: dict[str, str] = {}
    free: list[str] = []
    for field in (specification, technical):
        for part in (field or "").split("|"):
            part = _clean(part)
            if not part:
                continue
            key, sep, value = part.partition(":")
            name = _unglue_key(key) if sep else ""
            if sep and 0 < len(name) <= 40 and value.strip():
                if name.lower() in _DROPPED_KEYS or name.lower().replace(" ", "") in {
                    k.replace(" ", "") for k in _DROPPED_KEYS
                }:
                    continue
                attributes.setdefault(name, _shorten(_unglue_value(value).strip(), ATTRIBUTE_CHARS))
            elif not re.match(r"^#\s*[\d,]+\s+in\b", part):  # "#474 in Longboards": a sales rank
                free.append(part)
    details = _shorten(" ".join(dict.fromkeys(free)), DETAILS_CHARS)
    if details:
        attributes["details"] = details
    return attributes


def _dollars(text: str) -> Decimal | None:
    match = re.search(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)", text or "")
    if not match:
        return None
    try:
        return Decimal(match.group(1).replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _people_copy(about: str) -> str:
    bullets = [_clean(b) for b in (about or "").split(" | ")]
    if bullets and _BOILERPLATE_BULLET.match(bullets[0]):
        bullets = bullets[1:]
    return "\n".join(b for b in bullets if b)


def _open_csv(path: Path):
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return handle


def read_amazon2020(path: Path) -> list[EvalProduct]:
    with _open_csv(path) as handle:
        reader = csv.DictReader(handle)
        needed = {"Uniq Id", "Product Name", "Category", "Selling Price", "About Product", "Product Specification",
                  "Technical Details"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            raise SourceError(f"{path} is not an amazon2020 file: missing columns {', '.join(sorted(missing))}")
        items = []
        for row in reader:
            uid = (row["Uniq Id"] or "").strip()
            title = _clean(row["Product Name"] or "")
            if not uid or not title:
                continue
            product = Product(
                sku=uid[:64], slug=uid[:64], title=title[:300], brand=_clean(row.get("Brand Name") or "")[:120],
                category=_clean(row["Category"] or ""), price=_dollars(row["Selling Price"]), currency="USD",
                attributes=_parse_facts(row["Product Specification"], row["Technical Details"]),
            )
            items.append(EvalProduct(uid, product, _people_copy(row["About Product"]), title))
    return items


def _lowered(row: dict) -> dict:
    return {(k or "").strip() if (k or "").strip().lower().startswith("attr:") else (k or "").strip().lower(): v
            for k, v in row.items() if k is not None}


def _csv_product(row: dict, line: int) -> EvalProduct:
    sku, title = (row.get("sku") or "").strip(), (row.get("title") or "").strip()
    if not sku or not title:
        raise SourceError(f"line {line}: sku and title are required")
    attributes: dict = {}
    raw = (row.get("attributes") or "").strip()
    if raw:
        try:
            attributes = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SourceError(f"line {line}: attributes is not valid JSON ({exc.msg})") from None
        if not isinstance(attributes, dict):
            raise SourceError(f"line {line}: attributes must be a JSON object")
    for key, value in row.items():
        if key.lower().startswith("attr:") and (value or "").strip():
            attributes[key[5:]] = value.strip()
    price = None
    if (row.get("price") or "").strip():
        try:
            price = Decimal(row["price"].strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise SourceError(f"line {line}: bad price {row['price']!r}") from None
    product = Product(
        sku=sku[:64], slug=sku[:64], title=title, brand=(row.get("brand") or "").strip(),
        category=(row.get("category") or "").strip(), price=price,
        currency=((row.get("currency") or "").strip() or "EUR").upper(), attributes=attributes,
    )
    reference = (row.get("reference") or "").strip()
    return EvalProduct(sku, product, reference, (row.get("reference_title") or "").strip())


def read_csv(path: Path) -> list[EvalProduct]:
    with _open_csv(path) as handle:
        reader = csv.DictReader(handle)
        columns = {(c or "").strip().lower() for c in reader.fieldnames or ()}
        if not {"sku", "title"} <= columns:
            raise SourceError(f"{path}: the header needs the columns sku and title (see docs/import-formats.md)")
        return [_csv_product(_lowered(row), reader.line_num) for row in reader
                if any((v or "").strip() for v in row.values() if isinstance(v, str))]


READERS = {"amazon2020": read_amazon2020, "csv": read_csv}


def products_read(path: str | Path, fmt: str, *, limit: int | None = None, seed: int = 0) -> list[EvalProduct]:
    """The products of a file; with ``limit``, a random sample fixed by ``seed``, in file order."""
    try:
        reader = READERS[fmt]
    except KeyError:
        raise SourceError(f"unknown format {fmt!r} (known: {', '.join(READERS)})") from None
    items = reader(Path(path))
    if limit is not None and limit < len(items):
        chosen = sorted(random.Random(seed).sample(range(len(items)), limit))
        items = [items[i] for i in chosen]
    return items
