"""Planned copy: facts copied verbatim, no number the facts do not hold, lengths, sentence ends."""

from __future__ import annotations

import re
import string

import pytest

from content.models import Product
from content.planning import patterns, planner
from content.planning.facts import clean_value, facts_of, product_facts
from ecomcms.inference.fake import FakeGenerator
from ecomcms.inference.numbers import numbers_in

AMAZON_LIKE = Product(
    title="Electronic Snap Circuits Mini Kits Classpack, FM Radio, Motion Detector, Music Box (Set of 5)",
    brand="",
    category="Toys & Games | Learning & Education | Science Kits & Toys",
    attributes={
        "Product Specification": "Product Dimensions:         14.7 x 11.1 x 10.2 inches ; 4.06 pounds    "
        "|Shipping Weight: "
        "4 pounds (View shipping rates and policies)|Domestic Shipping: Item can be shipped within "
        "U.S.|ASIN: B008AK6DAS|Item model number: 55324|    #3032    in Science Kits & Toys",
        "Technical Details": "show up to 2 reviews by default The snap circuits mini kits classpack provides "
        "basic electric "
        "circuitry information for students in grades 2-6. This classpack includes 5 snap-together "
        "building kits. Go to your orders and start the return Select the ship method Ship it! | "
        "11.2 ounces (View shipping rates and policies)",
    },
)
COMPACT = Product(
    title="3Doodler Create Flexy 3D Printing Filament Refill Bundle "
    "(X5 Pack, Over 1000'. of Extruded Plastics! - Innovate",
    category="Toys & Games | Arts & Crafts | Craft Kits",
    attributes={
        "Product Specification": "ProductDimensions:10.3x3.4x0.8inches|ItemWeight:12.8ounces|ShippingWeight:"
        "12.8ounces(Viewshippingratesandpolicies)|ASIN:B07D36747F|"
        "Manufacturerrecommendedage:14yearsandup"
    },
)
CLEAN = Product(
    title="Packable Rain Jacket", brand="Nordwind", category="jackets",
    attributes={"material": "recycled polyester", "colour": "navy", "waterproof rating": "10000 mm", "weight": "290 g",
                "hood": "adjustable"},
)


def _plan_text(product, max_chars=1000, scorer=None):
    facts = facts_of(product)
    plan = planner.description_plan(facts, max_chars=max_chars)
    return planner.realize([plan], contexts=["Product description:\n"], scorer=scorer, max_chars=[max_chars])[0]


def _facts_text(product) -> str:
    return " ".join([product.title, product.brand, product.category, *map(str, product.attributes.values())])


@pytest.mark.parametrize("product", [AMAZON_LIKE, COMPACT, CLEAN])
@pytest.mark.parametrize("scorer", [None, FakeGenerator()])
def test_a_planned_description_states_no_number_the_facts_do_not_hold(product, scorer):
    text = _plan_text(product, scorer=scorer)

    assert text and numbers_in(text) <= numbers_in(_facts_text(product)), text


def test_names_and_values_are_copied_verbatim():
    text = _plan_text(CLEAN)

    assert "Packable Rain Jacket" in text and "Nordwind" in text
    for value in CLEAN.attributes.values():
        assert value in text


def test_amazon_boilerplate_is_never_copied():
    text = _plan_text(AMAZON_LIKE) + " " + _plan_text(COMPACT)

    for junk in ("View shipping", "ASIN", "B008AK6DAS", "#3032", "show up to", "Ship it", "Domestic", "4 pounds"):
        assert junk not in text
    assert "14.7 x 11.1 x 10.2 inches" in text and "4.06 pounds" in text
    assert "students in grades 2-6" in text


def test_noisy_values_are_cleaned_but_keep_their_words_and_numbers():
    assert clean_value("10.3x3.4x0.8inches") == "10.3 x 3.4 x 0.8 inches"
    assert clean_value("4 pounds (View shipping rates and policies)") == "4 pounds"
    facts = {(f.type, f.value) for f in product_facts(COMPACT)}
    assert ("age", "14 years and up") in facts and ("weight", "12.8 ounces") in facts


@pytest.mark.parametrize("max_chars", [60, 120, 200, 1000])
def test_a_description_fits_the_length_and_ends_at_a_sentence(max_chars):
    for product in (AMAZON_LIKE, CLEAN):
        text = _plan_text(product, max_chars=max_chars)
        assert len(text) <= max_chars
        assert text.endswith((".", "!")) or not text


@pytest.mark.parametrize("kind,limit", [("ad_headline", 30), ("seo_title", 60)])
@pytest.mark.parametrize("product", [AMAZON_LIKE, COMPACT, CLEAN])
def test_a_headline_copies_the_name_and_fits(kind, limit, product):
    facts = facts_of(product)
    candidates = planner.short_form_candidates(facts, kind=kind, max_chars=limit)

    assert candidates
    allowed_words = set(" ".join([facts.name, facts.brand, facts.category, *[f.value for f in facts.facts]]).split())
    for text in candidates:
        assert len(text) <= limit
        words = [w.strip(",|-") for w in text.split()]
        assert all(w in {s.strip(",|-") for s in allowed_words} or w in ("in", "") for w in words), text
        assert numbers_in(text) <= numbers_in(_facts_text(product))


def test_a_name_is_shortened_at_a_word_boundary_never_on_a_dangling_word():
    assert planner.shorten("Trail Running Shoe with Grippy Sole", 24) == "Trail Running Shoe"
    assert planner.shorten("Snap Circuits Mini Kits (Set of 5)", 26) == "Snap Circuits Mini Kits"


def test_the_scorer_picks_the_candidate_it_rates_most_fluent():
    slot = planner.Slot("colour", ["It comes in navy, the colour of the deep sea.", "It comes in navy."])
    planner.realize([[slot]], contexts=["x"], scorer=FakeGenerator(), max_chars=[200])

    assert slot.chosen == "It comes in navy."  # the fake scorer prefers shorter text


def _sample_fields():
    return {
        "name": "Linen Summer Shirt",
        "brand": "Fernweh",
        "category": "shirts",
        "value": "linen",
        "label": "sleeves",
        "label_cap": "Sleeves",
        "department": "Clothing",
        "price": "49.00 EUR",
    }


def test_every_pattern_fills_without_a_leftover_placeholder_and_adds_no_claim():
    fields = _sample_fields()
    lists = [patterns.DESCRIPTION_OPENING, patterns.DESCRIPTION_CATEGORY, patterns.DESCRIPTION_PRICE,
             patterns.DESCRIPTION_CLOSING,
             *patterns.DESCRIPTION_FACTS.values()]
    for pattern_list in lists:
        for pattern in pattern_list:
            placeholders = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
            assert placeholders <= set(fields), pattern
            text = planner.fill(pattern, **fields)
            assert text and "{" not in text and text.endswith("."), pattern
            assert not re.search(r"\d", pattern), f"a pattern may not state a number: {pattern}"


def test_a_sentence_that_repeats_the_name_a_third_time_is_left_out():
    product = Product(title="Wildkin Kids 17 Inch Backpack", category="Luggage | Backpacks", attributes={
        "details": "Your child will love the Wildkin Kids 17 Inch Backpack every day of the year. "
                   "The Wildkin Kids 17 Inch Backpack holds books, snacks and a water bottle easily. "
                   "Made for school, the Wildkin Kids 17 Inch Backpack has two roomy side pockets."})

    text = _plan_text(product)

    assert text.count("Kids 17 Inch") == 2


def test_a_short_description_gets_a_closing_sentence_and_no_seller_prices():
    product = Product(title="Roces Icon Fitness Inline Skate", category="Sports | Inline Skates", attributes={
        "details": "Buy two pairs of these skates today for only $99 and save on shipping to your door."})

    text = _plan_text(product)

    assert len(text) >= 100 and text.count("Roces Icon Fitness Inline Skate") == 2
    assert "$99" not in text
