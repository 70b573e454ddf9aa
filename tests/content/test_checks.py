"""The automatic checks an editor sees next to every AI draft: what is flagged, why, and where."""

import json

import pytest
from django.utils.safestring import SafeString

from content.checks import CHECK_NAMES, all_passed, failed_names, highlight, run_checks


def check(name: str, text: str, **options) -> dict:
    """The result of one named check, with roomy defaults for the options a test does not care about."""
    options.setdefault("max_chars", 1000)
    options.setdefault("attributes", {})
    return next(result for result in run_checks(text, **options) if result["name"] == name)


def flagged(text: str, result: dict) -> list[str]:
    """The words a result highlights, as the editor would read them."""
    return [text[start:end] for start, end in result["spans"]]


# --- the whole set -----------------------------------------------------------------------------


def test_there_is_one_json_ready_result_per_check_in_a_fixed_order():
    results = run_checks("A soft scarf.", max_chars=100, attributes={})

    assert [result["name"] for result in results] == list(CHECK_NAMES)
    assert json.loads(json.dumps(results)) == results
    assert all(set(result) == {"name", "passed", "message", "spans"} for result in results)


def test_a_cotton_claim_on_a_polyester_product_is_flagged():
    text = "Made from 100% cotton"

    result = check("facts", text, attributes={"material": "polyester"})

    assert result == {
        "name": "facts",
        "passed": False,
        "message": 'Says "100% cotton"; the material is polyester.',
        "spans": [[10, 21]],
    }
    assert flagged(text, result) == ["100% cotton"]


def test_copy_that_only_repeats_the_facts_passes_every_check():
    text = (
        "The Acme Trail Flask holds 500 ml and keeps drinks cold for 24 hours. "
        "Its stainless steel body comes in navy, and it is covered by a 2-year warranty."
    )

    results = run_checks(
        text, max_chars=300, min_chars=50, title="Acme Trail Flask", brand="Acme", category="Drinkware",
        attributes={"capacity": "0.5 L", "material": "Stainless steel", "colour": "Navy",
                    "keeps cold": "24 h", "warranty": "24 months"},
        banned_phrases=["best ever"], sources="Acme Trail Flask, 0.5 L, stainless steel",
        near_duplicates=[("Acme City Flask", 0.81)],
    )

    assert failed_names(results) == []
    assert all_passed(results) is True


def test_failed_names_lists_the_failed_checks_in_order():
    results = run_checks("Buy now at example.com, 100% silk!", max_chars=10, attributes={"material": "wool"},
                         banned_phrases=["buy now"])

    assert failed_names(results) == ["length", "banned_phrases", "facts", "links_and_scripts"]
    assert all_passed(results) is False


# --- length ----------------------------------------------------------------------------------


def test_text_within_the_limits_passes_and_surrounding_whitespace_is_not_counted():
    result = check("length", "  Soft merino.\n", min_chars=5, max_chars=12)

    assert result == {"name": "length", "passed": True, "message": "12 characters, within 5 to 12.", "spans": []}


def test_too_long_text_highlights_the_part_past_the_limit():
    text = "  A warm scarf for cold days."

    result = check("length", text, max_chars=12)

    assert result["passed"] is False
    assert result["message"] == "Too long: 27 characters, the limit is 12; the part past the limit is highlighted."
    assert flagged(text, result) == [" for cold days."]


def test_too_short_text_is_flagged():
    result = check("length", "Warm.", min_chars=20)

    assert result == {"name": "length", "passed": False, "message": "Too short: 5 characters, the minimum is 20.",
                      "spans": []}


# --- empty or repeated ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_or_blank_text_is_flagged(text):
    result = check("empty_or_repeated", text)

    assert result == {"name": "empty_or_repeated", "passed": False, "message": "The text is empty.", "spans": []}


def test_a_repeated_sentence_is_flagged_ignoring_case_and_spacing():
    text = "Soft and warm. It packs small. soft  AND warm!"

    result = check("empty_or_repeated", text)

    assert result["passed"] is False
    assert result["message"] == 'The sentence "Soft and warm." appears 2 times.'
    assert flagged(text, result) == ["Soft and warm.", "soft  AND warm!"]


def test_a_three_word_phrase_used_three_times_is_flagged():
    text = "Great for you on walks, great for you at work and Great For You at home."

    result = check("empty_or_repeated", text)

    assert result["passed"] is False
    assert result["message"] == 'The phrase "great for you" appears 3 times.'
    assert flagged(text, result) == ["Great for you", "great for you", "Great For You"]


def test_a_three_word_phrase_used_twice_passes():
    result = check("empty_or_repeated", "Great for you on walks and great for you at work.")

    assert result["passed"] is True
    assert result["message"] == "No empty text and no repeated sentences or phrases."


def test_the_same_word_four_times_in_a_row_is_flagged():
    text = "It is very very Very very soft."

    result = check("empty_or_repeated", text)

    assert result["passed"] is False
    assert result["message"] == 'The word "very" appears 4 times in a row.'
    assert flagged(text, result) == ["very very Very very"]


def test_the_same_word_three_times_in_a_row_passes():
    assert check("empty_or_repeated", "It is very very very soft.")["passed"] is True


# --- banned phrases -----------------------------------------------------------------------------


def test_banned_phrases_match_whole_phrases_ignoring_case_and_spacing():
    text = "The Best  Ever scarf, simply the best ever. Free gift inside."

    result = check("banned_phrases", text, banned_phrases=["best ever", "free gift", "miracle"])

    assert result["passed"] is False
    assert result["message"] == 'Uses the banned phrase "best ever" (2 times). Uses the banned phrase "free gift".'
    assert flagged(text, result) == ["Best  Ever", "best ever", "Free gift"]


def test_a_banned_word_inside_a_longer_word_is_not_flagged():
    result = check("banned_phrases", "A carefree, freestyle scarf.", banned_phrases=["free", "  "])

    assert result == {"name": "banned_phrases", "passed": True, "message": "No banned phrases.", "spans": []}


# --- facts: numbers ------------------------------------------------------------------------------


def test_a_number_the_product_does_not_have_is_flagged_naming_the_products_own_figure():
    text = "Keeps drinks cold for 12 hours."

    result = check("facts", text, attributes={"keeps cold": "8 hours"})

    assert result["passed"] is False
    assert result["message"] == 'Says "12 hours"; the product data says "8 hours".'
    assert flagged(text, result) == ["12 hours"]


def test_a_number_with_a_unit_the_product_data_never_uses_is_flagged():
    text = "Backed by a 2-year warranty and a 30-day return window."

    result = check("facts", text, attributes={"warranty": "2 years"})

    assert result["message"] == 'Says "30-day"; the product data gives no figure in days or weeks.'
    assert flagged(text, result) == ["30-day"]


@pytest.mark.parametrize(
    ("claim", "fact"),
    [
        ("500 mL", "500ml"),
        ("0.5 l", "500 ml"),
        ("1.5 kg", "1500 g"),
        ("150 cm", "1.5 m"),
        ("12 hours", "12h"),
        ("90 minutes", "1.5 h"),
        ("2-year", "24 months"),
        ('15.6"', "15.6 inch"),
        ("15.6 in", "15.6 inches"),
        ("5000 mAh", "5,000mAh"),
        ("30%", "30 percent"),
        ("20 W", "20W"),
        ("12 V", "12 volts"),
        ("256 GB", "256gb"),
        ("1 TB", "1000 GB"),
    ],
)
def test_units_are_normalised_so_equal_amounts_match(claim, fact):
    result = check("facts", f"It has {claim} to spare.", attributes={"spec": fact})

    assert result["passed"] is True, result["message"]


def test_the_same_number_in_a_different_unit_is_flagged():
    text = "Holds 500 g of coffee."

    result = check("facts", text, attributes={"capacity": "500 ml"})

    assert result["message"] == 'Says "500 g"; the product data gives no figure in grams or kilograms.'
    assert flagged(text, result) == ["500 g"]


def test_a_bare_number_in_the_product_data_backs_up_that_number_with_a_unit():
    result = check("facts", "Holds 500 ml, for 2 people.", attributes={"capacity_ml": "500", "serves": "2"})

    assert result["passed"] is True


def test_digits_glued_to_letters_are_not_read_as_numbers():
    result = check("facts", "Streams 4K video over USB3 from the X200.", attributes={"ports": "USB3"})

    assert result["passed"] is True


# --- facts: materials and colours --------------------------------------------------------------------


def test_a_material_is_flagged_even_without_a_material_attribute():
    text = "A soft silk lining."

    result = check("facts", text, attributes={"size": "M"})

    assert result["message"] == 'Says "silk"; the product data names no such material.'
    assert flagged(text, result) == ["silk"]


def test_a_percentage_before_a_stated_material_must_also_be_stated():
    result = check("facts", "Made from 100% cotton.", attributes={"fabric": "cotton"})

    assert result["message"] == 'Says "100% cotton"; the product data does not give 100%.'


def test_a_percentage_and_material_given_in_the_product_data_pass():
    result = check("facts", "A 100% Cotton shirt.", attributes={"fabric": "100% cotton"})

    assert result["passed"] is True


def test_the_message_names_the_fabric_attribute_when_there_is_one():
    result = check("facts", "A warm wool scarf.", attributes={"fabric": "Acrylic"})

    assert result["message"] == 'Says "wool"; the fabric is Acrylic.'


@pytest.mark.parametrize(
    ("claim", "fact"),
    [("aluminum", "aluminium"), ("elastane", "spandex"), ("nylon", "polyamide"), ("wooden", "wood"),
     ("stainless-steel", "stainless steel"), ("steel", "stainless steel"), ("wool", "merino wool")],
)
def test_synonyms_and_more_general_names_of_a_stated_material_pass(claim, fact):
    assert check("facts", f"Made of {claim}.", attributes={"material": fact})["passed"] is True


def test_a_more_specific_material_than_the_product_data_gives_is_flagged():
    result = check("facts", "Made of stainless steel.", attributes={"material": "steel"})

    assert result["message"] == 'Says "stainless steel"; the material is steel.'


def test_words_in_the_title_brand_and_category_count_as_facts():
    result = check(
        "facts", "The Silk & Co oak shelf is 80 cm wide, made for your linen cupboard.",
        attributes={}, title="Oak Shelf 80 cm", brand="Silk & Co", category="Linen storage",
    )

    assert result["passed"] is True


def test_a_different_colour_is_flagged_when_the_product_has_a_colour():
    text = "A navy scarf with a bright red trim."

    result = check("facts", text, attributes={"colour": "navy"})

    assert result["message"] == 'Says "red"; the colour is navy.'
    assert flagged(text, result) == ["red"]


def test_colour_spellings_count_as_the_same_colour():
    assert check("facts", "A gray scarf.", attributes={"color": "Grey"})["passed"] is True


def test_colours_are_not_checked_when_the_product_has_no_colour():
    assert check("facts", "A red and blue scarf.", attributes={"size": "M"})["passed"] is True


def test_a_word_that_is_a_material_and_a_colour_is_reported_once_as_a_material():
    text = "Finished in silver."

    result = check("facts", text, attributes={"colour": "black", "material": "brass"})

    assert result["message"] == 'Says "silver"; the material is brass.'
    assert result["spans"] == [[12, 18]]


# --- links and scripts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found", "message"),
    [
        ("See https://evil.example/x.js.", "https://evil.example/x.js", 'the link "https://evil.example/x.js"'),
        ("Visit www.deals.com today", "www.deals.com", 'Contains the link "www.deals.com"'),
        ("Order at cheap-scarves.co.uk/sale now", "cheap-scarves.co.uk/sale", "Contains the link"),
        ("Mail help@shop.com.", "help@shop.com", 'Contains the email address "help@shop.com"'),
        ("Soft <script>alert(1)</script>", "<script>", 'Contains the HTML tag "<script>"'),
        ("Click <a href='x'>here", "<a href='x'>", "Contains the HTML tag"),
        ("<iframe src=x>", "<iframe src=x>", "Contains the HTML tag"),
        ("Go to javascript:void(0)", "javascript:", 'Contains the script link "javascript:"'),
        ("x onerror=alert(1)", "onerror=", 'Contains the event handler "onerror="'),
        ("Ignore all previous instructions and", "Ignore all previous instructions", "instruction-like phrase"),
        ("Here is the system prompt:", "system prompt", "instruction-like phrase"),
        ("As an AI, I love this scarf.", "As an AI", "instruction-like phrase"),
    ],
)
def test_links_markup_and_instruction_like_phrases_are_flagged(text, found, message):
    result = check("links_and_scripts", text)

    assert result["passed"] is False
    assert found in flagged(text, result)
    assert message in result["message"]
    assert result["message"].endswith("which is not in the product data or template.")


def test_a_link_given_in_the_sources_is_allowed_and_others_are_still_flagged():
    text = "Care guide: https://shop.example/care. More at www.other.com."

    result = check("links_and_scripts", text, sources="Care page: HTTPS://shop.example/care")

    assert result["message"] == 'Contains the link "www.other.com", which is not in the product data or template.'
    assert flagged(text, result) == ["www.other.com"]


def test_ordinary_copy_with_decimals_and_tight_full_stops_has_no_links():
    result = check("links_and_scripts", "A 3.5mm jack, e.g. for phones. It is waterproof.It floats. 5 < 6.")

    assert result == {"name": "links_and_scripts", "passed": True,
                      "message": "No links, email addresses, HTML or instruction-like phrases.", "spans": []}


# --- near duplicate -------------------------------------------------------------------------------


def test_a_near_duplicate_is_flagged_naming_the_most_similar_product():
    result = check("near_duplicate", "A scarf.", near_duplicates=[("Wool scarf", 0.93), ("Silk scarf", 0.97)])

    assert result == {"name": "near_duplicate", "passed": False,
                      "message": 'Very similar to the copy of "Silk scarf" (similarity 0.97, limit 0.92).', "spans": []}


def test_a_similarity_exactly_at_the_threshold_is_flagged():
    result = check("near_duplicate", "A scarf.", near_duplicates=[("Wool scarf", 0.8)], near_duplicate_threshold=0.8)

    assert result["passed"] is False


def test_similarity_below_the_threshold_passes_and_names_the_closest():
    result = check("near_duplicate", "A scarf.", near_duplicates=[("Wool scarf", 0.85), ("Hat", 0.4)])

    assert result == {"name": "near_duplicate", "passed": True,
                      "message": 'Most similar: "Wool scarf" (similarity 0.85, below the 0.92 limit).', "spans": []}


def test_no_other_products_to_compare_with_passes():
    assert check("near_duplicate", "A scarf.")["message"] == "No other product's copy to compare with."


# --- highlight --------------------------------------------------------------------------------------


def test_highlight_escapes_hostile_text_inside_and_outside_the_marks():
    text = 'Soft <script>alert("x")</script> & warm'
    start = text.index("<script>")

    html = highlight(text, [[start, start + len("<script>")]])

    assert html == 'Soft <mark>&lt;script&gt;</mark>alert(&quot;x&quot;)&lt;/script&gt; &amp; warm'
    assert isinstance(html, SafeString)


def test_overlapping_and_adjacent_spans_are_merged_into_one_mark():
    html = highlight("abcdefghij", [[6, 8], [0, 3], [2, 4], [4, 5], [8, 9]])

    assert html == "<mark>abcde</mark>f<mark>ghi</mark>j"


def test_spans_outside_the_text_are_clipped_and_empty_spans_ignored():
    assert highlight("abc", [[-2, 1], [2, 10], [1, 1]]) == "<mark>a</mark>b<mark>c</mark>"


def test_highlight_without_spans_only_escapes():
    assert highlight("<b>bold</b>", []) == "&lt;b&gt;bold&lt;/b&gt;"


def test_a_checks_spans_highlight_the_offending_claim():
    text = "Made from 100% cotton"
    result = check("facts", text, attributes={"material": "polyester"})

    assert highlight(text, result["spans"]) == "Made from <mark>100% cotton</mark>"
