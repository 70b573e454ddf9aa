"""Copy strategies: the worker uses the template's, the draft records it; the grounding rule and processor."""

from __future__ import annotations

import pytest
import torch

from content import services, strategies
from content.models import AttributeTerm, Draft, DraftStatus, Product
from ecomcms import inference
from ecomcms.inference.numbers import NumberRule, number_allows
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


def _template(kind: str, strategy: str, editor):
    return services.template_save_version(
        kind=kind,
        system="s",
        user="Describe {title}.",
        options={"max_new_tokens": 16},
        max_chars=300 if kind == "description" else 30,
        actor=None,
        strategy=strategy,
    )


def test_the_worker_makes_planned_copy_and_records_the_strategy(fake_models, editor):
    _template("description", "planned", editor)
    product = make_product(
        title="Merino Wool Jumper", brand="Nordwind", attributes={"material": "merino wool", "colour": "grey"}
    )
    services.drafts_request(products=Product.objects.filter(pk=product.pk), kind="description", actor=editor)

    services.drafts_process_queue()

    draft = Draft.objects.get()
    generator = inference.get_generator()
    assert draft.status == DraftStatus.IN_REVIEW and draft.strategy == "planned"
    assert "Merino Wool Jumper" in draft.ai_text and "merino wool" in draft.ai_text and "grey" in draft.ai_text
    assert draft.strategy_details["candidates"] > 2 and draft.strategy_details["scorer"] == "fake-generator"
    assert generator.calls == [] and generator.scored  # the model ranked; it wrote nothing


def test_the_worker_guards_free_generation_when_the_template_says_so(fake_models, editor):
    _template("description", "guarded", editor)
    product = make_product(attributes={"material": "100% cotton", "colour": "navy"})
    services.drafts_request(products=Product.objects.filter(pk=product.pk), kind="description", actor=editor)

    services.drafts_process_queue()

    draft = Draft.objects.get()
    grounding = inference.get_generator().groundings[0][0]
    assert draft.strategy == "guarded" and draft.strategy_details["grounded"] is True
    assert {"100", "19.90"} <= grounding.numbers
    assert "polyester" in grounding.banned_terms and "cotton" not in grounding.banned_terms
    assert "navy" not in grounding.banned_terms and "black" in grounding.banned_terms
    assert draft.strategy_details["grounding"]["numbers"] == sorted(grounding.numbers)


def test_free_generation_is_recorded_as_unguarded(fake_models, editor):
    _template("description", "free", editor)
    services.drafts_request(products=Product.objects.filter(pk=make_product().pk), kind="description", actor=editor)

    services.drafts_process_queue()

    draft = Draft.objects.get()
    assert draft.strategy == "free" and draft.strategy_details == {"grounded": False}
    assert inference.get_generator().groundings == [None]


def test_planned_headline_variants_differ_and_fit(fake_models, editor):
    _template("ad_headline", "planned", editor)
    product = make_product(
        title="Packable Rain Jacket", brand="Nordwind", attributes={"colour": "navy", "material": "recycled polyester"}
    )
    services.drafts_request(products=Product.objects.filter(pk=product.pk), kind="ad_headline", actor=editor)

    services.drafts_process_queue()

    texts = [d.ai_text for d in Draft.objects.order_by("variant")]
    assert len(texts) == 3 and len(set(texts)) == 3 and all(len(t) <= 30 for t in texts)
    assert all("Packable Rain" in t for t in texts)


def test_a_vocabulary_term_the_shop_deactivates_is_no_longer_blocked():
    AttributeTerm.objects.filter(term="polyester").update(is_active=False)
    product = Product(title="Shirt", attributes={"material": "cotton"})

    grounding = strategies.grounding_for(product, strategies.vocabulary_terms())

    assert "polyester" not in grounding.banned_terms and "silk" in grounding.banned_terms


@pytest.mark.shipped_strategies
def test_the_shipped_description_and_headline_templates_are_planned():
    assert services.template_active("description").strategy == "planned"
    assert services.template_active("ad_headline").strategy == "planned"
    assert services.template_active("seo_title").strategy == "planned"


def test_editing_a_template_keeps_its_strategy_unless_changed():
    _template("description", "planned", None)
    edited = services.template_save_version(
        kind="description", system="x", user="y", options={}, max_chars=500, actor=None
    )
    assert edited.strategy == "planned"


# --- the number rule and the logits processor ------------------------------------------------------

def test_a_number_is_judged_whole_as_it_is_formed():
    rule = NumberRule({"10000", "290", "24.90"})

    assert number_allows(rule, "", "1") and number_allows(rule, "1000", "0")
    assert not number_allows(rule, "1000", " ")  # "1000" is not a fact: it may not end there
    assert not number_allows(rule, "", "9")  # nothing in the facts starts with 9: "$9.89" cannot begin
    assert number_allows(rule, "24", ".") and number_allows(rule, "24.", "9") and not number_allows(rule, "24.", "5")
    assert number_allows(rule, "290", " g") and not number_allows(rule, "29", " g")
    assert number_allows(rule, "10,00", "0") and not number_allows(rule, "1,", "0")  # "1,00,0" is not 10000


class _CharTokenizer:
    """A hand-built vocabulary: digits, '.', ' ', a few words; enough for the processor."""

    vocab = [
        "0",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        ".",
        " ",
        " mm",
        " g",
        "$",
        " cotton",
        " polyester",
        "Poly",
        "ester",
        "<pad>",
        *"abcdefghijklmnopqrstuvwxyz",
    ]

    def __len__(self):
        return len(self.vocab)

    def decode(self, ids, skip_special_tokens=True):
        return "".join(self.vocab[i] for i in ids if self.vocab[i] != "<pad>")

    def encode(self, text, add_special_tokens=False):
        ids, rest = [], text
        while rest:
            best = max((i for i, v in enumerate(self.vocab) if rest.startswith(v) and v != "<pad>"),
                       key=lambda i: len(self.vocab[i]), default=None)
            if best is None:
                return []
            ids.append(best)
            rest = rest[len(self.vocab[best]):]
        return ids


def _allowed(processor, tokenizer, generated: str) -> set[str]:
    ids = [tokenizer.vocab.index("<pad>")] * 2 + tokenizer.encode(generated)
    scores = processor(torch.tensor([ids]), torch.zeros((1, len(tokenizer))))
    return {tokenizer.vocab[i] for i in range(len(tokenizer)) if torch.isfinite(scores[0, i])}


def test_the_processor_blocks_a_number_made_of_several_tokens_that_the_facts_do_not_hold():
    from ecomcms.inference.grounding import GroundingLogitsProcessor

    tokenizer = _CharTokenizer()
    grounding = inference.Grounding(numbers=frozenset({"10000", "290"}), banned_terms=frozenset({"polyester"}))
    processor = GroundingLogitsProcessor(tokenizer, [grounding], prompt_length=2)

    assert "9" not in _allowed(processor, tokenizer, "costs $")  # no "9.89"
    after_1000 = _allowed(processor, tokenizer, "rated 1000")
    assert "0" in after_1000 and " mm" not in after_1000 and " " not in after_1000  # must become 10000
    assert " mm" in _allowed(processor, tokenizer, "rated 10000")
    after_29 = _allowed(processor, tokenizer, "weighs 29")
    assert "0" in after_29 and "1" not in after_29 and " g" not in after_29
    assert " polyester" not in _allowed(processor, tokenizer, "made of")
    assert " cotton" in _allowed(processor, tokenizer, "made of")
    assert "ester" not in _allowed(processor, tokenizer, "Poly")


@pytest.mark.models
def test_guarded_generation_with_the_real_model_writes_only_numbers_from_the_facts(settings):
    from ecomcms.inference.numbers import numbers_in

    inference.reset()
    generator = inference.get_generator()
    prompt = inference.ChatPrompt(system="You write product copy.",
                                  user="Write two sentences about a rain jacket with a 10000 mm waterproof rating that "
                                       "weighs 290 g and costs 89.00 EUR. Mention its price and weight.")
    grounding = inference.Grounding(numbers=frozenset({"10000", "290", "89.00"}))

    result = generator.generate([prompt], inference.GenerationOptions(max_new_tokens=60), groundings=[grounding])[0]

    assert result.grounded
    assert numbers_in(result.text) <= {"10000", "290", "89.00"}, result.text


@pytest.mark.models
def test_the_real_scorer_ranks_a_fluent_sentence_above_a_scrambled_one():
    inference.reset()
    generator = inference.get_generator()
    fluent = "The jacket is made of recycled polyester and packs into its own pocket."
    scrambled = "Pocket own its the into polyester packs of recycled made and is jacket."

    scores = generator.score(["Product description:\n"] * 2, [fluent, scrambled])

    assert scores[0].logprob > scores[1].logprob + 5
