"""What the model invents and the checks must catch (issue 12, section 3), and what they must let through.

The flagged examples are the ones a new user saw slip through: a mesh shoe called rubber, a farm in
"Fernia", IPX6 and IP67, Wi-Fi and USB, an 18-hour battery, prices in pounds for a shop in euros,
"Songle" for the brand Sonora, "[Your_Name", "To get started with my list", "Best headphones ever!".
"""

import pytest

from content.checks import all_passed, failed_names, run_checks

SPEAKER = {"title": "Sonora Soundproof Headphones", "brand": "Sonora", "category": "Headphones",
           "price": "79.00", "currency": "EUR"}


def check(name: str, text: str, **options) -> dict:
    options.setdefault("max_chars", 1000)
    options.setdefault("attributes", {})
    return next(result for result in run_checks(text, **options) if result["name"] == name)


def flagged(text: str, result: dict) -> list[str]:
    return [text[start:end] for start, end in result["spans"]]


# --- materials ---------------------------------------------------------------------------------------


def test_a_mesh_shoe_called_rubber_is_flagged_naming_the_material():
    text = "A breathable trail shoe with a rubber upper."

    result = check("facts", text, attributes={"material": "mesh"}, title="Trail Runner")

    assert result["message"] == 'Says "rubber"; the material is mesh.'
    assert flagged(text, result) == ["rubber"]


@pytest.mark.parametrize("text, material", [
    ("A breathable trail shoe with a mesh upper.", "mesh"),
    ("This shirt is made from 100% cotton.", "100% cotton"),
])
def test_the_material_the_product_has_passes(text, material):
    assert check("facts", text, attributes={"material": material})["passed"] is True


def test_an_impossible_percentage_and_an_organic_claim_are_flagged():
    text = "Made from 150% pure organic cotton."

    result = check("facts", text, attributes={"material": "100% cotton"})

    assert result["message"] == ('Says "150%"; the product data says "100%". '
                                 'Says "organic"; the product data does not say it is organic.')


# --- origins ----------------------------------------------------------------------------------------


def test_an_invented_farm_is_flagged():
    text = "Our honey comes from a farm in Fernia."

    result = check("facts", text, attributes={"weight": "250 g"}, title="Wildflower Honey")

    assert result["message"] == 'Says "from a farm in Fernia"; the product data gives no origin.'
    assert flagged(text, result) == ["from a farm in Fernia"]


def test_made_in_italy_is_flagged_naming_the_products_origin():
    result = check("facts", "Made in Italy from fine leather.",
                   attributes={"material": "leather", "country of origin": "Portugal"})

    assert result["message"] == 'Says "Made in Italy"; the product\'s country of origin is Portugal.'


@pytest.mark.parametrize("attributes", [{"origin": "Italy"}, {"made in": "Florence, Italy"}])
def test_an_origin_the_data_gives_passes(attributes):
    assert check("facts", "Made in Italy from fine leather.", attributes={"material": "leather", **attributes})[
        "passed"] is True


def test_built_in_is_not_an_origin():
    assert check("facts", "A built in Air Pump.", attributes={})["passed"] is True


# --- ratings and certifications ---------------------------------------------------------------------


def test_a_rating_the_product_does_not_have_is_flagged():
    text = "Rated IPX6 against splashes."

    result = check("facts", text, attributes={"battery life": "12 hours"})

    assert result["message"] == 'Says "IPX6"; the product has no rating in its data.'
    assert flagged(text, result) == ["IPX6"]


def test_a_different_rating_is_flagged_naming_the_products_own():
    result = check("facts", "Rated IP67 against dust and water.", attributes={"water resistance": "IPX7"})

    assert result["message"] == 'Says "IP67"; the product\'s rating is IPX7.'


def test_the_products_own_rating_passes_and_backs_water_resistance():
    result = check("facts", "Water resistant to IPX7, for runs in the rain.", attributes={"rating": "IPX7"})

    assert result["passed"] is True, result["message"]


@pytest.mark.parametrize("claim", ["CE", "FDA", "OEKO-TEX", "BPA-free"])
def test_a_certification_the_data_does_not_name_is_flagged(claim):
    result = check("facts", f"It is {claim} certified.", attributes={"material": "cotton"})

    assert result["passed"] is False
    assert f'Says "{claim}"; the product data names no certification or label.' in result["message"]


def test_a_certification_the_data_names_passes():
    result = check("facts", "OEKO-TEX certified cotton.", attributes={"material": "cotton",
                                                                      "certifications": "OEKO-TEX Standard 100"})

    assert result["passed"] is True, result["message"]


def test_lowercase_words_that_spell_an_acronym_are_not_certifications():
    assert check("facts", "Ce n'est pas un sac, ul or fda.", attributes={})["passed"] is True


# --- connectivity and features ------------------------------------------------------------------------


def test_connectivity_the_data_does_not_mention_is_flagged():
    text = "Connect over Wi-Fi or Bluetooth and charge via USB."

    result = check("facts", text, attributes={"connectivity": "Bluetooth 5.0"})

    assert result["message"] == ('Says "Wi-Fi"; the product data does not mention Wi-Fi. '
                                 'Says "USB"; the product data does not mention USB.')
    assert flagged(text, result) == ["Wi-Fi", "USB"]


def test_a_feature_the_data_denies_is_flagged():
    result = check("facts", "Charge it via USB-C.", attributes={"usb port": "none"})

    assert result["message"] == 'Says "USB-C"; the product data says it has no USB.'


def test_no_usb_port_contradicts_data_that_lists_usb():
    result = check("facts", "There is no USB port.", attributes={"ports": "USB-C, 3.5 mm jack"})

    assert result["message"] == "Says there is no USB; the product data lists USB."


@pytest.mark.parametrize("text, attributes", [
    ("Pairs over Bluetooth and charges via USB-C.", {"connectivity": "Bluetooth 5.0, USB-C"}),
    ("There is no USB port and no Wi-Fi.", {"connectivity": "Bluetooth"}),
    ("Streams over Wi-Fi.", {"wifi": "yes"}),
])
def test_features_the_data_backs_pass(text, attributes):
    assert check("facts", text, attributes=attributes)["passed"] is True


# --- durations ------------------------------------------------------------------------------------


def test_an_invented_lifespan_and_battery_life_are_flagged():
    text = "Expect a 2-year lifespan and 18 hours of music."

    result = check("facts", text, attributes={"battery life": "12 hours", "pack size": "2"})

    assert result["message"] == ('Says "2-year"; the product data gives no figure in months or years. '
                                 'Says "18 hours"; the product data says "12 hours".')


def test_a_bare_number_backs_a_duration_only_when_its_attribute_is_about_time():
    assert check("facts", "Plays for 12 hours.", attributes={"battery_life": "12"})["passed"] is True
    assert check("facts", "Plays for 12 hours.", attributes={"pieces": "12"})["passed"] is False


# --- prices and currencies ------------------------------------------------------------------------


def test_a_price_in_another_currency_is_flagged_naming_the_price():
    text = "Yours for GBP 79 per square inch."

    result = check("facts", text, attributes={}, price="79.00", currency="EUR")

    assert result["message"] == 'Says "GBP 79"; the price is 79.00 EUR.'
    assert flagged(text, result) == ["GBP 79"]


@pytest.mark.parametrize("claim", ["£79", "$79", "79 dollars", "EUR 89", "€9.89"])
def test_a_wrong_currency_or_amount_is_flagged(claim):
    assert check("facts", f"Only {claim} today.", attributes={}, price="79.00", currency="EUR")["passed"] is False


@pytest.mark.parametrize("claim", ["EUR 79", "€79", "€ 79.00", "79 euros", "79.00 EUR"])
def test_the_right_price_in_the_right_currency_passes(claim):
    result = check("facts", f"Only {claim} today.", attributes={}, price="79.00", currency="EUR")

    assert result["passed"] is True, result["message"]


def test_a_price_for_a_product_without_one_is_flagged():
    result = check("facts", "Only €79.", attributes={})

    assert result["message"] == 'Says "€79"; the product has no price in its data.'


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["Songle", "Sonera", "Sonorra"])
def test_a_near_miss_of_the_brand_is_flagged(word):
    text = f"{word} Soundproof Headphones"

    result = check("facts", text, max_chars=30, complete_sentences=False, attributes={}, **SPEAKER)

    assert result["message"] == f'Says "{word}"; the brand is spelled "Sonora".'
    assert flagged(text, result) == [word]


def test_a_misspelt_product_name_is_flagged():
    result = check("facts", "Sonora Soundproff Headphones", max_chars=30, complete_sentences=False,
                   attributes={}, **SPEAKER)

    assert result["message"] == 'Says "Soundproff"; the product name is spelled "Sonora Soundproof Headphones".'


@pytest.mark.parametrize("text", [
    "Sonora Soundproof Headphones", "SONORA Headphone", "Sound you can feel.", "Songs sound clear.",
])
def test_names_spelled_right_and_ordinary_words_pass(text):
    result = check("facts", text, max_chars=40, complete_sentences=False, attributes={}, **SPEAKER)

    assert result["passed"] is True, result["message"]


# --- cut off --------------------------------------------------------------------------------------


def test_text_cut_off_mid_sentence_is_flagged():
    text = "This cosy shirt is made from 100% cotton and is perfect for"

    result = check("cut_off", text)

    assert result["passed"] is False
    assert result["message"].startswith("Cut off: the text ends mid-sentence")
    assert flagged(text, result) == ["for"]


def test_prose_that_stops_without_a_full_stop_is_flagged():
    assert check("cut_off", "A warm scarf in soft merino wool")["passed"] is False


@pytest.mark.parametrize("text, complete", [
    ("A warm scarf.", True), ("Warm, isn't it?", True), ('He said "warm."', True),
    ("Summer is here! #linen #summer", True), ("Sonora Soundproof Headphones", False),
])
def test_complete_text_passes(text, complete):
    assert check("cut_off", text, complete_sentences=complete)["passed"] is True


def test_a_headline_ending_on_a_dangling_word_is_flagged():
    assert check("cut_off", "Soundproof Headphones with", complete_sentences=False)["passed"] is False


# --- placeholders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, found", [
    ("Dear [name, enjoy.", "[name,"),
    ("Signed, [Your_", "[Your_"),
    ("Ships to [address] fast.", "[address]"),
    ("The {product} is great.", "{product}"),
    ("<> Product: Sonora", "<>"),
    ("&lt;&gt; Product: Sonora", "&lt;&gt;"),
    ("Made by Your_Brand_Name.", "Your_Brand_Name"),
])
def test_unfilled_placeholders_are_flagged(text, found):
    result = check("placeholders", text)

    assert result["passed"] is False
    assert found in flagged(text, result)


def test_brackets_from_the_product_data_are_not_placeholders():
    result = check("placeholders", "The Linen Shirt [2-pack] is light.", title="Linen Shirt [2-pack]")

    assert result["passed"] is True


# --- voice ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kind", [
    ("I'm glad you're enjoying your new device.", "addresses the reader like a support agent"),
    ("Want some more details?", "addresses the reader like a support agent"),
    ("Thank you for your purchase.", "addresses the reader like a support agent"),
    ("Best headphones ever!", "speaks as a customer"),
    ("I bought two for my wife.", "speaks as a customer"),
    ("To get started with my list", "writes in the first person"),
    ("As an AI, I cannot help with that.", "talks about itself as an AI"),
])
def test_text_in_the_wrong_voice_is_flagged(text, kind):
    result = check("voice", text)

    assert result["passed"] is False
    assert f"The text {kind}" in result["message"]


@pytest.mark.parametrize("text", [
    "We designed these headphones for long flights; you will love the quiet.",
    "The best headphones we have made, with 12 hours of battery.",
    "Looking for quiet? These headphones block the noise.",
])
def test_shop_copy_in_the_shops_voice_passes(text):
    assert check("voice", text)["passed"] is True


def test_first_person_words_in_the_product_name_pass():
    assert check("voice", "Made For Me is a soft cotton tee.", title="Made For Me Tee")["passed"] is True


# --- together -----------------------------------------------------------------------------------


def test_a_faithful_description_passes_every_check():
    text = ("The Sonora Soundproof Headphones block the noise of a busy commute. They pair over Bluetooth, "
            "play for 12 hours on a charge and weigh 540 g. Yours for 79.00 EUR.")

    results = run_checks(text, max_chars=1000, attributes={"battery life": "12 hours", "weight": "540 g",
                                                           "connectivity": "Bluetooth 5.0"}, **SPEAKER)

    assert failed_names(results) == []
    assert all_passed(results) is True


def test_the_walk_headline_defects_all_fail():
    for text in ("To get started with my list", "Songle Soundproof Headphones", "&lt;&gt; Product: Sonera"):
        results = run_checks(text, max_chars=30, complete_sentences=False, attributes={}, **SPEAKER)
        assert all_passed(results) is False, text
