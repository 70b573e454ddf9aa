"""The quick event check returns exactly what the serializer would, or nothing (and the serializer decides)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies as st
from rest_framework.exceptions import ValidationError

from storefront.apis import EventsApi
from storefront.event_input import QuickEventValidator

SERIALIZER = EventsApi.EventInput()
QUICK = QuickEventValidator(SERIALIZER)


def serializer_result(item):
    try:
        return dict(SERIALIZER.run_validation(item))
    except ValidationError:
        return "invalid"


def exactly(result):
    """Datetimes by their text and zone too (equal instants in other zones compare equal)."""
    if not isinstance(result, dict):
        return result
    return {key: (value.isoformat(), str(value.tzinfo)) if hasattr(value, "tzinfo") else value
            for key, value in result.items()}


@pytest.mark.parametrize("item", [
    {"id": "e-1", "type": "view", "product": "SKU-1", "session_id": "s-9", "occurred_at": "2026-05-01T10:00:00Z"},
    {"id": " e-2 ", "type": "purchase", "product": "blue-shirt", "session_id": "s-9", "customer_id": "c-4",
     "order_id": "o-77", "quantity": 2, "price": "19.90", "occurred_at": "2026-05-01T10:05:00+02:00",
     "variant": "3:B"},
    {"id": "e-3", "type": "search", "query": "linen shirt", "session_id": "s-9", "customer_id": "  ",
     "occurred_at": "2026-05-01T10:05:00.123456Z", "price": None},
    {"id": "e-4", "type": "purchase", "product": "SKU-1", "session_id": "s", "quantity": -1,
     "occurred_at": "2026-05-01T10:05:00Z", "variant": "", "unknown": "ignored"},
])
def test_the_common_shapes_are_checked_quickly_to_the_serializers_result(item):
    quick = QUICK(item)

    assert quick is not None
    assert exactly(quick) == exactly(serializer_result(item))


@pytest.mark.parametrize("item", [
    {"id": "e-1", "type": "view", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"},  # no product
    {"id": "e-1", "type": "search", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"},  # no query
    {"id": "e-1", "type": "view", "product": "p", "session_id": "s", "quantity": 0, "occurred_at": "2026-05-01"},
    {"id": "e-1", "type": "view", "product": "p", "session_id": "s", "quantity": -2,
     "occurred_at": "2026-05-01T10:00:00Z"},
    {"id": "", "type": "view", "product": "p", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"},
    {"id": "x\x00", "type": "view", "product": "p", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"},
    {"id": "\ud800", "type": "view", "product": "p", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"},
    {"id": "e", "type": "VIEW", "product": "p", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"},
    {"id": "e", "type": "view", "product": "p", "session_id": "s", "occurred_at": "yesterday"},
    {"id": "e", "type": "view", "product": "p", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z",
     "price": "1e3"},
    {"id": "e", "type": "view", "product": "p", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z",
     "variant": "3:D"},
    {"id": "e", "type": "view", "product": "p", "session_id": "s", "quantity": True,
     "occurred_at": "2026-05-01T10:00:00Z"},
    ["not", "an", "object"],
])
def test_anything_unusual_is_left_to_the_serializer(item):
    assert QUICK(item) is None


def test_an_event_too_far_in_the_future_is_left_to_the_serializer():
    later = (timezone.now() + timedelta(days=2)).isoformat()

    assert QUICK({"id": "e", "type": "view", "product": "p", "session_id": "s", "occurred_at": later}) is None


texts = st.one_of(
    st.text(max_size=12), st.sampled_from(["", " ", " a ", "x" * 101, "x" * 201, "a\x00b", "\ud800", "é", "3:A",
                                           " 3:B\n", "12345678901:A"]),
    st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False),
)
values = {
    "id": texts, "product": texts, "query": texts, "session_id": texts, "customer_id": texts, "order_id": texts,
    "variant": texts,
    "type": st.one_of(st.sampled_from(["view", "add_to_cart", "remove_from_cart", "purchase", "search", "VIEW", ""]),
                      texts),
    "quantity": st.one_of(st.integers(min_value=-2_000_000, max_value=2_000_000), st.sampled_from(["3", 2.0, True]),
                          st.none()),
    "price": st.one_of(st.sampled_from(["19.90", "0", "-1", "1e3", "1.234", "12345678901", " 5 ", 19.9, 3]),
                       st.none(), texts),
    "occurred_at": st.one_of(st.sampled_from([
        "2026-05-01T10:00:00Z", "2026-05-01T10:00:00+05:30", "2026-05-01T10:00:00", "2026-05-01", "2026-13-01T00:00Z",
        "2026-05-01 10:00:00Z", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2099-01-01T00:00:00Z",
        "2026-05-01T10:00:00.5Z", "2026-05-01T10:00:00,123+01:00", "2026-05-01T10:00Z", "20260501T100000Z",
        "2026-05-01T10:00:00+0530", "2026-W18-5T10:00:00Z", "2026-05-01T24:00:00Z", "2026-05-01T10:00:00.1234567Z",
    ]), texts),
}


VALID = {"id": "e-1", "type": "purchase", "product": "SKU-1", "session_id": "s-1", "quantity": 1,
         "occurred_at": "2026-05-01T10:00:00Z"}
change = st.sampled_from(sorted(values)).flatmap(lambda key: values[key].map(lambda value: {key: value}))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.fixed_dictionaries({}, optional=values),
    # A valid event with one or two values replaced or added, or one dropped: some stay valid, some do not.
    st.builds(lambda changes, dropped: {k: v for k, v in (VALID | {k: v for c in changes for k, v in c.items()}).items()
                                        if k not in dropped},
              st.lists(change, max_size=2), st.sets(st.sampled_from(sorted(VALID)), max_size=1)),
))
def test_the_quick_check_agrees_with_the_serializer_on_any_event(item):
    quick = QUICK(item)

    if quick is not None:
        assert exactly(quick) == exactly(serializer_result(item))


@pytest.mark.parametrize("text", ["2026-05-01T10:00:00Z", "2026-05-01T10:00:00+05:30", "2026-05-01T10:00:00"])
def test_times_come_in_the_current_time_zone_as_from_the_serializer(text):
    item = {"id": "e-1", "type": "view", "product": "p", "session_id": "s", "occurred_at": text}
    with timezone.override("America/New_York"):
        quick = QuickEventValidator(EventsApi.EventInput())(item)

        assert exactly(quick) == exactly(serializer_result(item))
        assert str(quick["occurred_at"].tzinfo) == "America/New_York"
