"""Grounded decoding of replies: no unfilled placeholder, no unknown link, no chatbot line can be written."""

from __future__ import annotations

import pytest
import torch

from ecomcms import inference
from ecomcms.inference.replyrules import LINK, BracketRule, LinkRule, may_trigger, sensitive
from support import checks, replies
from support.prompts import Source

KNOWN = {"https://shop.example.com/returns", "help@shop.example.com"}


@pytest.mark.parametrize(("tail", "piece", "allowed"), [
    ("", "See [", True),
    ("[", "1", True),
    ("[1", "].", True),
    ("[", "ORDER", True),
    ("[ORDER_", "1]", True),
    ("[ORDER_", "2]", False),
    ("", "Dear [Order", False),
    ("[", "Order Number]", False),
    ("", "{{", False),
    ("", " {", False),
    ("", "<b>", False),
    ("", "Thanks [1] and", True),
])
def test_a_bracket_may_only_open_towards_a_citation_or_the_tickets_placeholder(tail, piece, allowed):
    rule = BracketRule({"[1]", "[2]", "[ORDER_1]"})

    assert rule.allows(tail, piece) is allowed


def test_the_open_bracket_is_found_at_the_end_of_the_text_only():
    assert BracketRule.tail("see [OR") == "[OR"
    assert BracketRule.tail("see [1] ok") == ""
    assert BracketRule.tail("no bracket") == ""


@pytest.mark.parametrize(("tail", "piece", "allowed"), [
    ("", " https", True),  # may still become the known link
    ("https", "://", True),
    ("https://", "shop", True),
    ("https://", "amazon", False),
    ("", " www", True),
    ("www.", "amazon", False),
    ("amazon", ".com", False),
    ("amazon.", "co", False),
    ("", " shop.example.com", True),
    ("help@shop", ".example.com", True),
    ("me@", "gmail.com", False),
    ("", "https://evil", False),
    ("", " hello there.", True),
    ("e.g", ".", True),
    ("items", ". Thanks", True),
])
def test_a_link_may_only_be_written_as_part_of_a_known_one(tail, piece, allowed):
    rule = LinkRule(KNOWN)

    assert rule.allows(tail, piece) is allowed


def test_the_grounding_link_pattern_is_the_checks_pattern():
    assert checks._LINK is LINK


def test_only_tokens_that_may_start_a_link_or_bracket_are_judged_after_a_plain_word():
    assert may_trigger(" https") and may_trigger(".com") and may_trigger("[") and may_trigger("@")
    assert not may_trigger(" order") and not may_trigger("ing")
    assert sensitive("amazon.") and sensitive("htt") and sensitive("www") and sensitive("me@")
    assert not sensitive("order") and not sensitive("") and not sensitive("we")


class _Tokenizer:
    """A tiny vocabulary in which placeholders, slots and links span several tokens."""

    vocab = ["<pad>", "<|end|>", "Hi", " ", "[", "]", "1", "2", "ORDER", "_", "Order", " Number", "NAME", "{{",
             "{", "<", "<b>", " see", " https", "://", "www", ".", "amazon", "com", "shop", "example", "/returns",
             " chat", "bot", " helper", "Thanks", "."]
    all_special_ids = [0, 1]

    def __len__(self):
        return len(self.vocab)

    def decode(self, ids, skip_special_tokens=True):
        return "".join(self.vocab[i] for i in ids if not (skip_special_tokens and i in self.all_special_ids))

    def encode(self, text, add_special_tokens=False):
        ids, rest = [], text
        while rest:
            best = max((i for i, v in enumerate(self.vocab) if rest.startswith(v) and i not in self.all_special_ids),
                       key=lambda i: len(self.vocab[i]), default=None)
            if best is None:
                return []
            ids.append(best)
            rest = rest[len(self.vocab[best]):]
        return ids


def _allowed(processor, tokenizer, generated: list[str]) -> set[str]:
    ids = [0, 0] + [tokenizer.vocab.index(piece) for piece in generated]
    scores = processor(torch.tensor([ids]), torch.zeros((1, len(tokenizer))))
    return {tokenizer.vocab[i] for i in range(len(tokenizer)) if torch.isfinite(scores[0, i])}


def _processor(tokenizer, brackets=("[1]", "[ORDER_1]")):
    from ecomcms.inference.grounding import GroundingLogitsProcessor

    grounding = replies.reply_grounding(
        sources=[Source(1, "article", 7, "Returns", "Send it back within 30 days.", 0.9,
                        "https://shop.example.com/returns")],
        mapping={"[ORDER_1]": "12345"}, shop_texts=["help@shop.example.com"], brackets=brackets)
    return GroundingLogitsProcessor(tokenizer, [grounding, None], prompt_length=2)


def test_the_processor_blocks_gaps_slots_tags_unknown_links_and_chatbot_lines():
    tokenizer = _Tokenizer()
    processor = _processor(tokenizer)

    start = _allowed(processor, tokenizer, ["Hi"])
    assert {"[", " see", " https", "<|end|>"} <= start
    assert not {"{{", "{", "<", "<b>"} & start
    after_open = _allowed(processor, tokenizer, ["Hi", " ", "["])
    assert after_open == {"1", "ORDER"}  # "[Order Number]", "[NAME" and the end of text are blocked
    assert _allowed(processor, tokenizer, ["Hi", " ", "[", "ORDER"]) == {"_"}
    assert _allowed(processor, tokenizer, ["Hi", " ", "[", "1"]) == {"]"}
    assert "[" in _allowed(processor, tokenizer, ["Hi", " ", "[", "1", "]"])  # closed: the text goes on freely
    assert "amazon" not in _allowed(processor, tokenizer, [" https", "://"])
    assert "shop" in _allowed(processor, tokenizer, [" https", "://"])
    assert "com" not in _allowed(processor, tokenizer, [" see", " ", "amazon", "."])
    assert "bot" not in _allowed(processor, tokenizer, ["Hi", " chat"])
    assert "bot" in _allowed(processor, tokenizer, ["Hi", " helper"])


def test_by_default_a_reply_cannot_open_a_bracket_at_all():
    tokenizer = _Tokenizer()
    processor = _processor(tokenizer, brackets=())

    start = _allowed(processor, tokenizer, ["Hi"])

    assert not {"[", "{{", "{", "<", "<b>"} & start and {" see", "Thanks", "<|end|>"} <= start


def test_a_row_without_grounding_is_left_alone():
    tokenizer = _Tokenizer()
    processor = _processor(tokenizer)
    ids = torch.tensor([[0, 0, 2, 3], [0, 0, 2, 3]])

    scores = processor(ids, torch.zeros((2, len(tokenizer))))

    assert bool(torch.isfinite(scores[1]).all())
    assert not bool(torch.isfinite(scores[0, tokenizer.vocab.index("{{")]))


def test_the_reply_grounding_allows_no_bracket_by_default_and_the_known_links():
    grounding = replies.reply_grounding(
        sources=[Source(1, "article", 7, "Returns", "See https://shop.example.com/returns.", 0.9, ""),
                 Source(2, "canned", 3, "Saved reply", "Hello [NAME_1]", 0.0, "")],
        mapping={"[NAME_1]": "Ann", "[ORDER_1]": "12345"}, shop_texts=["help@shop.example.com"],
        known_links=["https://shop.example.com/shipping"])
    allowing = replies.reply_grounding(sources=[], mapping={"[NAME_1]": "Ann"},
                                       brackets=["[1]", "[NAME_1]", "[NAME_2]", "[Order Number]"])

    assert grounding.brackets == frozenset()  # by default: a gap would be completed as a citation ("Hi [1]")
    assert allowing.brackets == {"[1]", "[NAME_1]"}  # only citations and the ticket's own placeholders
    assert grounding.links == {"https://shop.example.com/returns", "help@shop.example.com",
                               "https://shop.example.com/shipping"}
    assert grounding.numbers is None and "chatbot" in grounding.banned_terms


@pytest.mark.models
def test_with_the_real_model_a_reply_that_held_a_placeholder_holds_none_once_grounded():
    from support import reply_evaluation

    article = Source(1, "article", 1, "Changing or cancelling an order",
                     "You can cancel an order until it ships: open Orders in your account and choose Cancel.", 0.8,
                     "https://shop.example.com/help/order-changes")
    prompt = reply_evaluation.reply_prompt("I need help cancelling the order I made", [article],
                                           shop_name="Example Shop")
    grounding = replies.reply_grounding(sources=[article], mapping={}, shop_texts=["support@example.com"])
    inference.reset()
    generator = inference.get_generator()
    options = inference.GenerationOptions(max_new_tokens=60)

    free, grounded = generator.generate([prompt, prompt], options, groundings=[None, grounding])

    known = "https://shop.example.com/help/order-changes support@example.com"
    assert checks.unfilled_placeholders(free.text), free.text  # without grounding: "Hi [customer_name]!"
    assert grounded.grounded
    assert checks.send_blockers(grounded.text, known_text=known) == [], grounded.text
    assert not {"[", "{", "<"} & set(grounded.text), grounded.text
    assert not checks.INSTRUCTION_LIKE.search(grounded.text), grounded.text
