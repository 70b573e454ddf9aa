"""The common shapes of an ingested event validated without DRF's serializer machinery, to the same result.

Validating each event through ``EventsApi.EventInput.run_validation`` was about a third of an
ingestion request (docs/performance.md). ``quick_event`` checks the plain shapes an event almost
always has (strings, a choice, an integer, an ISO date) with the same rules as the serializer's
fields and returns exactly what the serializer would; anything else (a missing or odd value, any
invalid event) returns None and goes through the serializer, so its answer and its error
messages stay the serializer's. ``tests/storefront/test_event_input.py`` holds the two to the same
result on generated input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.settings import ISO_8601, api_settings

_TEXT_FIELDS = ("id", "product", "query", "session_id", "customer_id", "order_id", "variant")
_HANDLED = {*_TEXT_FIELDS, "type", "quantity", "price", "occurred_at"}


def _text(value: Any, *, max_length: int, allow_blank: bool) -> str | None:
    """A Text field's value (trimmed, as DRF's CharField does), or None to let the serializer decide."""
    if type(value) is not str:
        return None
    value = value.strip()
    if (not value and not allow_blank) or len(value) > max_length or "\x00" in value:
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: the serializer refuses them with its message
            return None
    return value


class QuickEventValidator:
    """Built once per serializer class from its fields, so limits and choices are the serializer's own."""

    def __init__(self, serializer):
        self.serializer = serializer
        fields = serializer.fields
        self.texts = {name: (fields[name].max_length, fields[name].allow_blank, fields[name].required)
                      for name in _TEXT_FIELDS}
        self.types = set(fields["type"].choice_strings_to_values)
        self.variant_regex = next(v.regex for v in fields["variant"].validators if hasattr(v, "regex"))
        quantity = fields["quantity"]
        self.quantity_default, self.quantity_range = quantity.default, (quantity.min_value, quantity.max_value)
        self.occurred_at, self.price = fields["occurred_at"], fields["price"]
        formats = getattr(self.occurred_at, "input_formats", api_settings.DATETIME_INPUT_FORMATS)
        self.iso_only = list(formats) == [ISO_8601]
        unknown = set(fields) - _HANDLED
        assert not unknown, f"quick_event does not know the fields {unknown}: teach it or drop it"
        self.batch()

    def batch(self) -> QuickEventValidator:
        """Ready for a new batch: the time zone read again (it is the request's), the dates parsed forgotten.

        One validator serves every batch of a process (building the serializer's fields was a tenth of a
        request); what may change from one request to the next is set here.
        """
        # ISO 8601 with an offset, DRF's default input format, is parsed here as DRF's field does it
        # (``parse_datetime`` tries ``datetime.fromisoformat`` first, then the field converts an aware value to its
        # time zone); each distinct text once a batch. Any other input format, a naive time: the field itself.
        occurred_at = self.occurred_at
        self.zone = occurred_at.timezone if hasattr(occurred_at, "timezone") else occurred_at.default_timezone()
        self.dates: dict[str, datetime] | None = {} if self.zone is not None and self.iso_only else None
        return self

    def __call__(self, item: Any) -> dict | None:
        """What ``serializer.run_validation(item)`` returns, when it is easy to be sure of; else None."""
        if type(item) is not dict:
            return None
        data: dict[str, Any] = {}
        for name, (max_length, allow_blank, required) in self.texts.items():
            if name not in item:
                if required:
                    return None
                continue
            value = _text(item[name], max_length=max_length, allow_blank=allow_blank)
            if value is None:
                return None
            data[name] = value
        if data.get("variant") and not self.variant_regex.search(data["variant"]):
            return None
        kind = item.get("type")
        if type(kind) is not str or kind not in self.types:
            return None
        data["type"] = kind
        quantity = item.get("quantity", self.quantity_default)
        if type(quantity) is not int or not self.quantity_range[0] <= quantity <= self.quantity_range[1]:
            return None
        data["quantity"] = quantity
        occurred_at = item.get("occurred_at")
        if type(occurred_at) is not str:
            return None
        try:
            data["occurred_at"] = self._date(occurred_at)
            if "price" in item:
                data["price"] = self.price.run_validation(item["price"])
            return self.serializer.validate(data)
        except ValidationError:
            return None

    def _date(self, text: str) -> datetime:
        """What ``DateTimeField.to_internal_value(text)`` returns (ValidationError as it raises)."""
        if self.dates is None:
            return self.occurred_at.to_internal_value(text)
        parsed = self.dates.get(text)
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(text)
                aware = parsed.utcoffset() is not None
                parsed = parsed.astimezone(self.zone) if aware else None
            except (ValueError, OverflowError):
                parsed = None
            if parsed is None:  # not the plain case: the field decides, with its own messages
                return self.occurred_at.to_internal_value(text)
            self.dates[text] = parsed
        return parsed
