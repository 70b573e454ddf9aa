"""The copy-quality harness: claim extraction, the arithmetic of its figures, and the command end to end."""

import ast
import csv
import inspect
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from content import generation, prompts
from content.evaluation import claims, harness, metrics, sources
from content.models import Draft, Product
from ecomcms import inference
from ecomcms.inference.base import Generation
from ecomcms.inference.fake import FakeGenerator
from ecomcms.shared_data import shared_data_path

SHIRT_FACTS = (
    "Title: Linen Blend Shirt\nBrand: Acme\nCategory: shirts\nPrice: 79.00 EUR\nAttributes:\n"
    "- colour: white\n- material: 100% cotton\n- weight: 12.8ounces\n- Product Dimensions: 10.3x3.4x0.8inches\n"
    "- capacity: 0.5 l\n- made in: Italy\n- connectivity: Bluetooth 5.0\n- rating: IP67"
)


def unsupported(text, facts=SHIRT_FACTS, price="79.00", currency="EUR"):
    found = claims.claims_unsupported(text, claims.facts_prepare(facts, price=price, currency=currency))
    return [(c.type, c.words) for c in found]


# --- claims ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Made from 150% pure organic cotton.", [("quantity", "150%"), ("certification", "organic")]),
        ("Rated IPX6 against rain.", [("certification", "IPX6")]),
        ("It is waterproof to 1500 meters.", [("feature", "waterproof"), ("quantity", "1500 meters")]),
        ("A handy USB port charges your phone.", [("feature", "USB")]),
        ("Enjoy a 2-year lifespan.", [("duration", "2-year")]),
        ("Grown from a farm in Fernia by hand.", [("origin", "from a farm in Fernia")]),
        ("Yours for GBP 79 today.", [("price", "GBP 79")]),
        ("Only €59.", [("price", "€59")]),
        ("Weighs 13 oz.", [("quantity", "13 oz")]),
        ("Available in navy blue and size XL.", [("colour", "navy blue"), ("size", "size XL")]),
        (
            "Crafted from genuine leather and stainless steel.",
            [("material", "genuine leather"), ("material", "stainless steel")],
        ),
        ("Comes in a 7-pack with Wi-Fi.", [("number", "7"), ("feature", "Wi-Fi")]),
        ("Handmade in Portugal.", [("origin", "Handmade in Portugal")]),
        ("BPA-free and dishwasher safe.", [("certification", "BPA-free"), ("feature", "dishwasher safe")]),
        ("Sold at the Acme Crayola Store website.", [("name", "Crayola Store")]),
        ("The ARTSCAPeetGlass shirt.", [("name", "ARTSCAPeetGlass")]),
        ("Acme Linnen Blend Shirt", [("name", "Linnen")]),  # a headline: a near miss of "Linen"
    ],
)
def test_invented_facts_are_unsupported_claims(text, expected):
    assert unsupported(text) == expected


@pytest.mark.parametrize("text", [
    "Made of 100% cotton in white.",  # stated in the facts
    "Just 79.00 EUR, or €79.",  # the product's price, in its currency
    "It weighs 12.8 oz and measures 10.3 x 3.4 x 0.8 inches.",  # glued in the facts: "12.8ounces"
    "Holds 500 ml.",  # 0.5 l in the facts
    "Made in Italy, with Bluetooth and an IP67 rating.",
    "A Linen Blend Shirt by Acme.",  # the title and brand
    "Perfect for Black Friday, it was led by our designers.",  # an idiom, and "led" the verb
    "A great shirt for every day.",  # no claim at all
    "Acme Linen Shirt For Summer Days",  # a headline in Title Case: its own words are not names
    "PERFECT GIFT: a shirt. Shirts like this sell out.",  # capitals for emphasis, a sentence's first word
])
def test_what_the_facts_state_is_not_counted(text):
    assert unsupported(text) == []


def test_a_rating_other_than_the_products_says_which_one_the_facts_give():
    found = claims.claims_unsupported("Rated IPX6.", claims.facts_prepare(SHIRT_FACTS))
    assert [c.reason for c in found] == ["the facts say IP67"]


def test_a_price_in_the_right_currency_but_the_wrong_amount_is_unsupported():
    found = claims.claims_unsupported("Now EUR 69!", claims.facts_prepare(SHIRT_FACTS, price="79.00", currency="EUR"))
    assert [(c.type, c.words, c.reason) for c in found] == [("price", "EUR 69", "the price is 79 EUR")]


def test_claim_spans_point_at_the_words():
    text = "Waterproof to 1500 meters."
    found = claims.claims_unsupported(text, claims.facts_prepare("Title: Watch"))
    assert [text[c.span[0]:c.span[1]] for c in found] == ["Waterproof", "1500 meters"]


def test_the_claim_extractor_shares_no_code_with_the_checks():
    tree = ast.parse(inspect.getsource(claims))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 for alias in node.names}
    assert not [name for name in imported if name.startswith("content")]


# --- metrics --------------------------------------------------------------------------------------


def test_distinct_2_counts_unique_bigrams_over_all_texts():
    # bigrams: (a b) (b c) (a b) (b d): 3 distinct of 4
    assert metrics.distinct_n(["A b c", "a b d"], 2) == 0.75
    assert metrics.distinct_n(["one"], 2) == 0.0


def test_length_completeness_and_repetition():
    assert metrics.length_ok("x" * 150, "description", 1000) and not metrics.length_ok("x" * 149, "description", 1000)
    assert not metrics.length_ok("x" * 31, "ad_headline", 30)
    assert metrics.is_complete("It works.", "description", cut=False)
    assert not metrics.is_complete("It works and", "description", cut=False)
    assert metrics.is_complete("Sonora Quiet Headphones", "ad_headline", cut=False)
    assert not metrics.is_complete("Sonora Quiet Headphones", "ad_headline", cut=True)
    assert metrics.is_repeated("A fine shirt for you. A fine shirt for you.")
    assert metrics.is_repeated("so so so good")
    assert not metrics.is_repeated("A fine shirt. A warm coat.")
    assert metrics.is_empty(" ... ") and not metrics.is_empty("ok")
    assert metrics.banned_found("The BEST  deal ever", ["best deal", "cheap"]) == ["best deal"]


def test_overlap_scores_come_from_the_libraries():
    assert metrics.chrf("a white cotton shirt", "a white cotton shirt") == pytest.approx(100)
    assert metrics.rouge_l("a white cotton shirt", "a white cotton shirt") == pytest.approx(100)
    # ROUGE-L: LCS "a cotton shirt" = 3 of 4 words each way: F = 0.75
    assert metrics.rouge_l("a red cotton shirt", "a white cotton shirt") == pytest.approx(75)


def test_bootstrap_intervals():
    assert metrics.bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    low, high = metrics.bootstrap_ci([0, 1] * 50)
    assert low < 0.5 < high and high - low < 0.3
    assert metrics.bootstrap_ratio_ci([1, 1], [2, 2]) == (0.5, 0.5)
    assert metrics.bootstrap_ci([1.0]) is None


def _item(claims_flagged, publishable, chrf, checks_passed=True):
    return {
        "claims": [{"type": "number", "flagged": f} for f in claims_flagged], "publishable": publishable,
        "chrf": chrf, "rouge_l": chrf, "text": "a b c", "reference": "a b", "supported_claims": 1,
        "checks_failed": [] if checks_passed else ["facts"], "checks_passed": checks_passed, "length_ok": True,
        "complete": True, "empty": False, "repeated": False, "banned": [], "chars": 5, "model_id": "m",
        "tokens_in": 10, "tokens_out": 4, "seconds": 0.5,
    }


def test_totals_match_hand_counted_values():
    items = [_item([], True, 40.0), _item([True, False], False, 20.0, False), _item([True], False, None, False),
             _item([], False, 30.0)]
    settings = harness.Settings(kind="description", template=None, template_label="t", strategy="free")
    m = harness.totals(items, settings, wall_seconds=3.0, load_seconds=1.0)
    assert m["unsupported_claims"] == 3 and m["unsupported_claims_per_draft"]["value"] == 0.75
    assert m["flagged_claims"] == 2 and m["flagged_share"]["value"] == pytest.approx(2 / 3)
    assert m["drafts_with_unsupported_claims"] == 2
    assert m["publishable"] == 1 and m["publishable_share"]["value"] == 0.25
    assert m["references"] == 3 and m["chrf"]["value"] == pytest.approx(30.0)
    assert m["checks_passed_share"] == 0.5 and m["checks_failed"] == {"facts": 2}
    assert m["tokens_out"] == 16 and m["generation_seconds"] == 2.0 and m["tokens_per_second"] == 8.0
    assert m["seconds_per_draft"] == 0.5 and m["supported_claims"] == 4


# --- sources --------------------------------------------------------------------------------------


def test_amazon_rows_become_facts_without_the_marketplace_boilerplate(tmp_path):
    path = tmp_path / "amazon.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Uniq Id", "Product Name", "Category", "Selling Price", "About Product",
                         "Product Specification", "Technical Details"])
        writer.writerow(["u1", "Snap Kit (Set of 5)", "Toys | Kits", "$99.95 - $120.00",
                         "Make sure this fits by entering your model number. | Builds 5 radios | Ages 8+",
                         "ProductDimensions:10.3x3.4x0.8inches|ShippingWeight:12.8ounces(Viewshippingratesandpolicies)"
                         "|ASIN:B008AK6DAS|Itemmodelnumber:55324|    #3032    in\xa0Science Kits",
                         "Color:Red | A kit of five radios."])
    [item] = sources.products_read(path, "amazon2020")
    assert item.id == "u1" and item.product.price == Decimal("99.95") and item.product.currency == "USD"
    assert item.product.attributes == {
        "Product Dimensions": "10.3 x 3.4 x 0.8 inches", "Shipping Weight": "12.8 ounces",
        "Item model number": "55324", "Color": "Red", "details": "A kit of five radios.",
    }
    assert item.reference == "Builds 5 radios\nAges 8+" and item.reference_title == "Snap Kit (Set of 5)"


def test_a_seeded_sample_is_the_same_every_time(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("sku,title\n" + "".join(f"S{i},Product {i}\n" for i in range(20)), encoding="utf-8")
    first = [p.id for p in sources.products_read(path, "csv", limit=5, seed=3)]
    assert first == [p.id for p in sources.products_read(path, "csv", limit=5, seed=3)]
    assert first != [p.id for p in sources.products_read(path, "csv", limit=5, seed=4)]
    assert first == sorted(first, key=lambda sku: int(sku[1:]))  # file order


# --- the command, end to end ---------------------------------------------------------------------


class ScriptedGenerator(FakeGenerator):
    """Writes a fixed text per product title, so the test knows every claim in advance."""

    model_id = "scripted-fake"
    texts = {
        "Linen Shirt": "A breezy linen shirt in white, made from 150% pure organic cotton. It has a USB port.",
        "Steel Bottle": "This stainless steel bottle holds 750 ml and keeps drinks cold. Great for hikes.",
    }

    def generate(self, prompts, options, **kwargs):
        results = []
        for prompt in prompts:
            title = prompt.user.split("Title: ", 1)[1].split("\n", 1)[0]
            results.append(Generation(text=self.texts[title], model_id=self.model_id, tokens_in=50, tokens_out=20,
                                      seconds=1.0, batch_size=len(prompts)))
        return results


@pytest.fixture
def scripted_model(settings):
    settings.ECOMCMS_TEXT_BACKEND = "tests.content.test_evaluation.ScriptedGenerator"
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    inference.reset()
    yield
    inference.reset()


@pytest.fixture
def products_csv(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,title,brand,category,price,currency,attr:material,attr:colour,attr:capacity,reference\n"
        "SH-1,Linen Shirt,Acme,shirts,49.90,EUR,linen,white,,A white linen shirt for warm days.\n"
        "BT-2,Steel Bottle,Acme,outdoor,19.00,EUR,stainless steel,,750 ml,\n",
        encoding="utf-8",
    )
    return path


def run(*args):
    out = StringIO()
    call_command("evaluate_copy", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_scores_the_drafts_of_a_csv(db, scripted_model, products_csv, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the shop's banned phrases; nothing else touches the database
        report = json.loads(run("--products", str(products_csv), "--format", "csv", "--kind", "description",
                                "--strategy", "free", "--json"))
    shirt, bottle = report["items"]
    assert shirt["id"] == "SH-1" and shirt["name"] == "Linen Shirt"
    assert "- material: linen" in shirt["facts"] and "Price: 49.90 EUR" in shirt["facts"]
    assert shirt["text"] == ScriptedGenerator.texts["Linen Shirt"]
    assert [(c["type"], c["words"]) for c in shirt["claims"]] == [
        ("quantity", "150%"), ("certification", "organic"), ("material", "cotton"), ("feature", "USB")]
    assert "facts" in shirt["checks_failed"] and any(f["type"] == "facts" for f in shirt["flags"])
    assert next(c for c in shirt["claims"] if c["words"] == "150%")["flagged"]  # any fact check flags it
    assert not shirt["publishable"] and shirt["chrf"] > 0
    assert bottle["claims"] == [] and bottle["reference"] == "" and bottle["chrf"] is None
    assert bottle["length_ok"] is False  # 82 characters: below the 150 a description needs
    m = report["metrics"]
    assert m["drafts"] == 2 and m["unsupported_claims"] == 4 and m["unsupported_claims_per_draft"]["value"] == 2.0
    assert m["unsupported_by_type"] == {"certification": 1, "feature": 1, "material": 1, "quantity": 1}
    assert m["flagged_claims"] == sum(c["flagged"] for c in shirt["claims"])
    assert m["publishable"] == 0 and m["references"] == 1
    assert (m["model_id"], m["adapter"], m["strategy"], m["template"]) == (
        "scripted-fake", "none", "free", "description built-in default")
    assert m["tokens_out"] == 40 and m["generation_seconds"] == 1.0 and m["tokens_per_second"] == 40.0
    assert (m["format"], m["seed"], m["limit"]) == ("csv", 0, None)
    assert Draft.objects.count() == 0 and Product.objects.count() == 0


def test_the_built_in_template_brings_its_strategy(db, scripted_model, products_csv):
    report = json.loads(run("--products", str(products_csv), "--format", "csv", "--kind", "description", "--json"))
    assert report["metrics"]["strategy"] == prompts.DEFAULT_TEMPLATES["description"].get("strategy", "free")


def test_the_table_and_the_out_file(db, scripted_model, products_csv, tmp_path):
    table = run("--products", str(products_csv), "--format", "csv", "--kind", "ad_headline")
    assert "SH-1" in table and "unsupported claims per draft" in table and "publishable" in table
    out = tmp_path / "eval" / "report.json"
    printed = run("--products", str(products_csv), "--format", "csv", "--kind", "description", "--strategy", "free",
                  "--json", "--out", str(out))
    assert "unsupported claims per draft" in printed and json.loads(out.read_text())["metrics"]["drafts"] == 2
    partial = out.parent / "report.json.partial.jsonl"  # written batch by batch, for a run stopped half-way
    assert len(partial.read_text().splitlines()) == 3
    assert json.loads(run("--rescore", str(partial), "--json"))["metrics"]["unsupported_claims"] == 4


def test_a_saved_report_scores_the_same_when_rescored(db, scripted_model, products_csv, tmp_path):
    out = tmp_path / "report.json"
    run("--products", str(products_csv), "--format", "csv", "--kind", "description", "--strategy", "free", "--json",
        "--out", str(out))
    saved = json.loads(out.read_text())
    rescored = json.loads(run("--rescore", str(out), "--json"))
    assert rescored["items"] == saved["items"]
    assert rescored["metrics"] == saved["metrics"] | {"rescored": True}


def test_shards_split_the_products_into_consecutive_parts(db, scripted_model, products_csv):
    first = json.loads(run("--products", str(products_csv), "--format", "csv", "--kind", "description",
                           "--shard", "1/2", "--json"))
    second = json.loads(run("--products", str(products_csv), "--format", "csv", "--kind", "description",
                            "--shard", "2/2", "--json"))
    assert [i["id"] for i in first["items"]] == ["SH-1"] and [i["id"] for i in second["items"]] == ["BT-2"]
    both = json.loads(run("--products", str(products_csv), "--format", "csv", "--kind", "description",
                          "--shard", "1-2/2", "--json"))
    assert [i["id"] for i in both["items"]] == ["SH-1", "BT-2"]


def test_a_registered_strategy_is_what_the_harness_runs(db, scripted_model, products_csv, monkeypatch):
    def shout(*, template, requests, prompts, options):
        return [Generation(text=f"{r.product.title.upper()}!", model_id="shout", tokens_in=1, tokens_out=1,
                           seconds=0.1) for r in requests]

    monkeypatch.setitem(generation.STRATEGIES, "shout", shout)
    report = json.loads(run("--products", str(products_csv), "--format", "csv", "--kind", "ad_headline",
                            "--strategy", "shout", "--json"))
    assert [i["text"] for i in report["items"]] == ["LINEN SHIRT!", "STEEL BOTTLE!"]
    assert report["metrics"]["strategy"] == "shout" and report["metrics"]["model_id"] == "shout"


@pytest.mark.parametrize("args, message", [
    (["--adapter", "shop-v1"], "none, active, or a version number"),
    (["--adapter", "7"], "no trained content.copy adapter has this version"),
    (["--strategy", "psychic"], "unknown"),
    (["--limit", "0"], "at least 1"),
    (["--template", "99"], "no description template has version 99"),
    (["--shard", "3/2"], "1 <= I <= N"),
    (["--shard", "half"], "I/N"),
])
def test_bad_options_are_refused_clearly(db, scripted_model, products_csv, args, message):
    with pytest.raises(CommandError, match=message):
        run("--products", str(products_csv), "--format", "csv", "--kind", "description", *args)


def test_a_file_in_the_wrong_format_is_refused(db, scripted_model, products_csv):
    with pytest.raises(CommandError, match="not an amazon2020 file"):
        run("--products", str(products_csv), "--format", "amazon2020", "--kind", "description")
    with pytest.raises(CommandError, match="cannot read"):
        run("--products", str(products_csv) + ".missing", "--format", "csv", "--kind", "description")


# --- the real model --------------------------------------------------------------------------------


@pytest.mark.models
@pytest.mark.slow
def test_the_real_model_on_three_dev_listings(db, tmp_path):
    path = shared_data_path("content", "amazon_2020", "products_dev.csv")
    if not path.exists():
        pytest.skip(f"the shared data is missing: {path}")
    inference.reset()
    report = json.loads(run("--products", str(path), "--format", "amazon2020", "--kind", "description",
                            "--limit", "3", "--seed", "7", "--strategy", "free", "--json"))
    assert len(report["items"]) == 3
    for item in report["items"]:
        assert item["text"].strip() and item["facts"].startswith("Title: ") and item["tokens_out"] > 0
    m = report["metrics"]
    assert m["model_id"].startswith("SmolLM2-135M-Instruct") and m["tokens_per_second"] > 0
    assert m["chrf"]["value"] is not None
