"""Tests for ecomcms.redaction: personal data out before a model sees a ticket, back in for staff.

The labelled set (``data/redaction_cases.jsonl``) measures recall and precision over
realistic support messages, many of them full of numbers that are NOT personal
data (prices, dates, sizes, SKUs, tracking codes). The unit tests pin down each
kind, the checksums, the options and the placeholder rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecomcms.redaction import KINDS, detect, iban_valid, luhn_valid, redact, redact_for_log, restore

CASES_PATH = Path(__file__).parent / "data" / "redaction_cases.jsonl"
#: The shop configuration the labelled set was written for.
SHOP_ORDER_PATTERNS = (r"\bORD-\d{6,}\b",)
SHOP_KEEP = ("support@myshop.example", "1-800-555-0199")
MIN_RECALL = 0.95
MIN_PRECISION = 0.95

Span = tuple[int, int, str]


def load_cases() -> list[dict]:
    with open(CASES_PATH, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


CASES = load_cases()


def labelled_spans(case: dict) -> list[Span]:
    """Every occurrence of every labelled value (a value repeated in the message counts each time)."""
    spans = []
    for pii in case["pii"]:
        start = case["text"].find(pii["value"])
        while start >= 0:
            spans.append((start, start + len(pii["value"]), pii["kind"]))
            start = case["text"].find(pii["value"], start + 1)
    return spans


def shop_detect(text: str) -> list[Span]:
    return detect(text, order_number_patterns=SHOP_ORDER_PATTERNS, keep=SHOP_KEEP)


def replaced_values(text: str, **options) -> list[str]:
    return list(redact(text, **options).mapping.values())


# --- the labelled set ---------------------------------------------------------------------------------------


def test_labelled_set_has_60_plus_messages_with_many_negatives_and_every_kind():
    negatives = [case for case in CASES if not case["pii"]]
    kinds = {pii["kind"] for case in CASES for pii in case["pii"]}
    assert len(CASES) >= 60
    assert len(negatives) >= 30
    assert kinds == set(KINDS)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["text"][:40])
def test_every_labelled_value_occurs_in_its_message(case):
    for pii in case["pii"]:
        assert pii["kind"] in KINDS
        assert pii["value"] in case["text"]


def test_recall_and_precision_over_the_labelled_set_are_at_least_95_percent(capsys):
    """Recall: labelled values whose every character was redacted (whatever the kind).

    Precision: redacted spans that lie inside a labelled value of the same kind, so
    a span that runs past the value ("Baker Street, Thanks") counts as a mistake.
    """
    fully_replaced = labelled = correct = redacted = 0
    misses, false_alarms = [], []
    for case in CASES:
        text, labels, found = case["text"], labelled_spans(case), shop_detect(case["text"])
        for start, end, kind in labels:
            covered = all(any(a <= index < b for a, b, _ in found) for index in range(start, end))
            fully_replaced += covered
            labelled += 1
            if not covered:
                misses.append((kind, text[start:end]))
        for a, b, kind in found:
            inside = any(start <= a and b <= end and kind == label_kind for start, end, label_kind in labels)
            correct += inside
            redacted += 1
            if not inside:
                false_alarms.append((kind, text[a:b]))
    recall, precision = fully_replaced / labelled, correct / redacted
    with capsys.disabled():
        print(
            f"\nredaction over {len(CASES)} messages: recall {recall:.3f} ({fully_replaced}/{labelled}), "
            f"precision {precision:.3f} ({correct}/{redacted}); missed {misses}; false alarms {false_alarms}"
        )
    assert recall >= MIN_RECALL, misses
    assert precision >= MIN_PRECISION, false_alarms


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["text"][:40])
def test_restore_of_every_redacted_message_gives_back_the_original(case):
    redaction = redact(case["text"], order_number_patterns=SHOP_ORDER_PATTERNS, keep=SHOP_KEEP)
    assert restore(redaction.text, redaction.mapping) == case["text"]


@pytest.mark.parametrize("case", [case for case in CASES if case["pii"]], ids=lambda case: case["text"][:40])
def test_no_detected_value_survives_in_the_redacted_text(case):
    redaction = redact(case["text"], order_number_patterns=SHOP_ORDER_PATTERNS, keep=SHOP_KEEP)
    for value in redaction.mapping.values():
        assert value not in redaction.text


# --- emails -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["jane.doe@example.com", "j.smith+shop@gmail.com", "p.nguyen@acme-corp.com.au", "JOHN@EXAMPLE.COM"]
)
def test_email_addresses_are_replaced(email):
    redaction = redact(f"Hi, please write to {email}. Thanks")
    assert redaction.text == "Hi, please write to [EMAIL_1]. Thanks"
    assert redaction.mapping == {"[EMAIL_1]": email}


def test_an_address_without_a_domain_ending_is_not_an_email():
    assert redact("my handle is john@example on the forum").mapping == {}


# --- phones -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-0134",
        "0049 30 1234567",
        "+49 (0)89 12345678",
        "+33 6 12 34 56 78",
        "020 7946 0958",
        "030/1234567",
        "(030) 1234567",
        "0049-30-98765432",
        "06.12.34.56.78",
        "415-555-0134",
        "415.555.0134",
        "(212) 555-0147",
    ],
)
def test_international_and_national_phone_formats_are_replaced_whole(phone):
    assert replaced_values(f"You can reach me on {phone} after 5pm.") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "The order total was €1,299.00, not €1,199.00.",
        "Can I pay 1.250,00 EUR in 3 instalments?",
        "Delivery was due on 12.10.2023 between 08:00 and 12:00.",
        "I ordered on 2023-10-12 and it arrived 15/10/2023.",
        "A customer since 2015, and worse every year between 2019-2023.",
        "3 bottles of 750 ml, 2 x 500 g coffee, size 42.",
        "Is TS-ORG-BLK-M in stock? Or SH-RUN-WHT-43?",
        "DHL tracking 00340434161094042557, UPS 1Z999AA10123456784.",
        "Please check order 0123456789, it never arrived.",
        "Kundennummer 10045678, Artikelnummer 100-234-567.",
        "The total came to 1234567 yen.",
        "Please call me between 9.30-17.30 on weekdays.",
        "Call me about ISBN 978-3-16-148410-0.",
        "Screen 2560 x 1440, app version 2.14.3, error 0x80070005.",
    ],
)
def test_prices_dates_years_quantities_skus_and_tracking_codes_are_not_phones(text):
    assert redact(text).mapping == {}


def test_a_number_without_phone_shape_counts_when_a_phone_word_announces_it():
    assert replaced_values("Call me at 555-0134 after 6.") == ["555-0134"]
    assert replaced_values("My phone 13812345678 (China mobile).") == ["13812345678"]


@pytest.mark.parametrize(
    "phone",
    ["612 34 56 78", "11 91234-5678", "(21) 98765-4321", "347 123 4567", "912 345 678", "06 12345678", "55 1234 5678"],
)
def test_national_formats_without_a_trunk_zero_are_replaced_by_the_regions_rules(phone):
    """Spain, Brazil, Italy, Portugal, Mexico write mobiles without a leading 0 or +: libphonenumber knows them."""
    assert replaced_values(f"Mi número es {phone}, gracias.") == [phone]


def test_phone_regions_decide_which_national_formats_count():
    text = "Segue o número 11 91234-5678."
    assert replaced_values(text, phone_regions=("BR",)) == ["11 91234-5678"]
    assert replaced_values(text, phone_regions=("GB", "DE")) == []
    assert replaced_values("Ring +55 11 91234-5678 please", phone_regions=("GB",)) == ["+55 11 91234-5678"]


def test_a_number_valid_only_without_its_trunk_prefix_is_not_a_phone():
    """German numbers need their leading 0 when written nationally: a reorder code is not one."""
    assert redact("Reorder code 20240315-7781 from your newsletter didn't work.").mapping == {}
    assert replaced_values("Bitte rufen Sie 0202 4031577 an.") == ["0202 4031577"]


def test_the_app_passes_the_phone_regions_setting(settings):
    from support.privacy import redact_text

    settings.SUPPORT_REDACTION_PHONE_REGIONS = ["GB"]
    assert redact_text("Llámame al 612 34 56 78.").mapping == {}
    settings.SUPPORT_REDACTION_PHONE_REGIONS = ["ES"]
    assert list(redact_text("Llámame al 612 34 56 78.").mapping.values()) == ["612 34 56 78"]


def test_a_cue_word_names_only_the_next_number():
    """The word "order" belongs to #100777; the phone number after it is judged on its own shape."""
    assert replaced_values("Please update phone for order #100777 to 0151 23456789.") == ["0151 23456789"]


# --- payment cards ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digits, valid",
    [
        ("4111111111111111", True),
        ("5555555555554444", True),
        ("378282246310005", True),
        ("6011111111111117", True),
        ("4111111111111112", False),
        ("1234567890123456", False),
        ("4111 1111 1111 1111", False),  # only digits are checked; the detector strips separators first
    ],
)
def test_luhn_checksum(digits, valid):
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "5555-5555-5555-4444", "3782 822463 10005", "4012888888881881"]
)
def test_card_numbers_with_a_valid_luhn_sum_are_replaced(card):
    assert redact(f"I paid with {card} yesterday.").mapping == {"[CARD_1]": card}


def test_long_numbers_that_fail_luhn_or_have_no_card_prefix_are_not_cards():
    assert redact("Paid with 4111 1111 1111 1112, reference 1234 5678 9012 3456.").mapping == {}
    assert detect("Receipt 00340434161094042557") == []


def test_a_security_code_written_after_the_card_number_is_not_part_of_it():
    assert replaced_values("card 4111 1111 1111 1111 123") == ["4111 1111 1111 1111"]


# --- IBANs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB29NWBK60161331926819",
        "FR14 2004 1010 0505 0001 3M02 606",
        "de89370400440532013000",
        "BE68 5390 0754 7034",  # a bank code absent from python-stdnum's Belgian list: still an IBAN
        "BR18 0036 0305 0000 1000 9795 493C 1",
    ],
)
def test_iban_checksum_accepts_valid_ibans(iban):
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 01",  # one digit changed: mod 97 fails
        "DE98 3704 0044 0532 0130 00",  # check digits swapped
        "DE89 3704 0044 0532 0130 0",  # right checksum shape, wrong length for Germany
        "DE123456789",  # a German VAT number
    ],
)
def test_iban_checksum_rejects_altered_or_wrong_length_numbers(iban):
    assert not iban_valid(iban)


def test_an_iban_is_cut_where_it_ends_even_when_the_bic_follows():
    text = "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX, thanks"
    assert redact(text).text == "IBAN [IBAN_1] BIC COBADEFFXXX, thanks"


def test_an_iban_with_a_wrong_checksum_is_left_alone():
    assert redact("Refund to DE89 3704 0044 0532 0130 01 please").mapping == {}


# --- postal addresses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "221B Baker Street",
        "12 Rue de Rivoli",
        "Hauptstraße 5",
        "1600 Amphitheatre Pkwy",
        "Hauptstr. 12a",
        "Karl-Marx-Allee 12",
        "Berliner Straße 45",
        "5 avenue des Champs-Élysées",
        "221B Baker Street, London NW1 6XE",
        "Hauptstraße 5, 10115 Berlin",
        "12 Rue de Rivoli, 75001 Paris",
        "1600 Amphitheatre Pkwy, Mountain View, CA 94043",
        "Flat 3, 10 Downing Street, London SW1A 2AA",
        "Hauptstraße 5 10115 Berlin",
    ],
)
def test_street_lines_with_optional_postcode_and_city_are_replaced_whole(address):
    assert replaced_values(f"Please deliver to {address}. Thanks!") == [address]


def test_the_next_sentence_is_not_taken_for_a_city():
    assert replaced_values("Send it to 12 Baker Street, I'm not home on Monday.") == ["12 Baker Street"]


@pytest.mark.parametrize(
    "text",
    [
        "I bought 2 Nike Court Vision sneakers and a 1 TB Hard Drive.",
        "The Spring 2024 collection, offering 20% off.",
        "Our company VAT number is DE123456789.",
        "Delivery in 3 working days to Berlin.",
    ],
)
def test_product_names_and_other_capitalised_words_are_not_addresses(text):
    assert redact(text).mapping == {}


def test_an_ambiguous_street_word_counts_after_an_address_cue():
    assert replaced_values("I live at 4 Elm Court.") == ["4 Elm Court"]


# --- order numbers and links --------------------------------------------------------------------------------


def test_order_numbers_are_kept_unless_the_shop_configures_a_pattern():
    text = "Please cancel ORD-2024001, I ordered twice."
    assert redact(text).mapping == {}
    assert redact(text, order_number_patterns=[r"\bORD-\d{6,}\b"]).text == "Please cancel [ORDER_1], I ordered twice."


def test_a_link_that_carries_a_token_is_replaced_without_its_full_stop():
    text = "The link https://shop.example/account/reset?token=9f8e7d6c5b4a3210 is expired."
    assert redact(text).text == "The link [URL_WITH_TOKEN_1] is expired."


def test_a_link_with_a_random_id_in_its_path_is_replaced():
    text = "Status: https://shop.example/orders/status/3f2c9a1e-7b4d-4c8e-9a6f-2d1b0c3e4f5a"
    assert redact(text).text == "Status: [URL_WITH_TOKEN_1]"


def test_an_ordinary_product_link_is_left_alone():
    text = "See https://shop.example.com/products/linen-shirt-blue?size=M&color=navy for the price."
    assert redact(text).mapping == {}


def test_an_email_inside_a_token_link_is_part_of_the_link_not_a_second_value():
    redaction = redact("Unsubscribe: https://mail.shop.example/unsubscribe?email=jane@example.com&list=news")
    assert [kind for _, _, kind in redaction.spans] == ["URL_WITH_TOKEN"]


# --- options, numbering and spans ---------------------------------------------------------------------------


def test_values_on_the_keep_list_are_never_redacted():
    text = "Support at support@myshop.example said to mail jane@example.com."
    assert (
        redact(text, keep=["support@myshop.example"]).text
        == "Support at support@myshop.example said to mail [EMAIL_1]."
    )


def test_the_keep_list_ignores_case_and_phone_punctuation():
    text = "Your hotline 1 800 555 0199 and SUPPORT@MYSHOP.EXAMPLE never answer."
    assert redact(text, keep=["1-800-555-0199", "support@myshop.example"]).mapping == {}


def test_a_repeated_value_gets_the_same_placeholder_and_numbering_is_per_kind():
    text = "Mail amy@example.net or call 020 7946 0958; again: amy@example.net, or bob@example.net."
    redaction = redact(text)
    assert redaction.text == "Mail [EMAIL_1] or call [PHONE_1]; again: [EMAIL_1], or [EMAIL_2]."
    assert redaction.mapping == {
        "[EMAIL_1]": "amy@example.net",
        "[PHONE_1]": "020 7946 0958",
        "[EMAIL_2]": "bob@example.net",
    }


def test_spans_point_into_the_original_text():
    text = "Mail amy@example.net or call 020 7946 0958."
    spans = redact(text).spans
    assert [(text[start:end], kind) for start, end, kind in spans] == [
        ("amy@example.net", "EMAIL"),
        ("020 7946 0958", "PHONE"),
    ]


def test_a_message_without_personal_data_is_returned_unchanged():
    text = "Where is my parcel? It's been 5 days."
    assert redact(text) == redact(text)  # frozen dataclass compares by value
    assert redact(text).text == text and redact(text).mapping == {} and redact(text).spans == []


# --- placeholders already in the message, and restore -------------------------------------------------------


def test_a_placeholder_already_in_the_message_is_never_reused():
    text = "You redacted it as [EMAIL_1] last time; my email is r.ortiz@example.com."
    redaction = redact(text)
    assert redaction.text == "You redacted it as [EMAIL_1] last time; my email is [EMAIL_2]."
    assert redaction.mapping == {"[EMAIL_2]": "r.ortiz@example.com"}
    assert restore(redaction.text, redaction.mapping) == text


def test_restore_puts_originals_into_a_model_reply():
    redaction = redact("I'm jane@example.com, call +44 20 7946 0958.")
    reply = "Thanks! We will call [PHONE_1] and confirm by mail to [EMAIL_1]."
    assert (
        restore(reply, redaction.mapping)
        == "Thanks! We will call +44 20 7946 0958 and confirm by mail to jane@example.com."
    )


def test_restore_leaves_unknown_or_misspelled_placeholders_as_they_are():
    mapping = {"[EMAIL_1]": "jane@example.com"}
    assert (
        restore("[EMAIL_2], [email_1], [EMAIL_1 ], [EMAIL_1]", mapping)
        == "[EMAIL_2], [email_1], [EMAIL_1 ], jane@example.com"
    )


def test_restore_does_not_expand_a_restored_value_again():
    mapping = {"[ADDRESS_1]": "[EMAIL_1] Street 5", "[EMAIL_1]": "jane@example.com"}
    assert restore("[ADDRESS_1]", mapping) == "[EMAIL_1] Street 5"


def test_restore_with_an_empty_mapping_changes_nothing():
    assert restore("Dear [EMAIL_1]", {}) == "Dear [EMAIL_1]"


# --- logs ---------------------------------------------------------------------------------------------------


def test_redact_for_log_uses_bare_placeholders_and_keeps_no_value():
    text = "Mail amy@example.net or bob@example.net, card 4111 1111 1111 1111, IBAN DE89370400440532013000."
    logged = redact_for_log(text)
    assert logged == "Mail [EMAIL] or [EMAIL], card [CARD], IBAN [IBAN]."


def test_redact_for_log_honours_the_shop_options():
    text = "ORD-2024001 from support@myshop.example"
    logged = redact_for_log(text, order_number_patterns=[r"\bORD-\d{6,}\b"], keep=["support@myshop.example"])
    assert logged == "[ORDER] from support@myshop.example"
