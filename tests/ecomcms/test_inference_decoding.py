"""The fast greedy decoder (finished rows leave the batch) chooses the tokens ``generate`` chooses."""

import pytest
import torch

from ecomcms import inference
from ecomcms.inference.decoding import greedy_decode


def _tiny_llama(vocab=64):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    return LlamaForCausalLM(config).eval()


def _left_padded(rows, pad=0):
    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def _generate_rows(model, ids, mask, stop, **options):
    output = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, eos_token_id=stop, pad_token_id=0,
                            temperature=None, top_p=None, top_k=None, **options)
    rows = []
    for row in output[:, ids.shape[1]:].tolist():
        end = next((i for i, t in enumerate(row) if t in stop), len(row))
        rows.append(row[:end + 1] if end < len(row) else row)
    return rows


@pytest.mark.parametrize("penalty, ngram", [(1.0, 0), (1.1, 3), (1.3, 2)])
def test_rows_that_stop_early_leave_the_batch_and_the_tokens_match_generate(penalty, ngram):
    model = _tiny_llama()
    generator = torch.Generator().manual_seed(1)
    prompts = [torch.randint(3, 64, (n,), generator=generator).tolist() for n in (5, 9, 3, 12, 7, 4)]
    ids, mask = _left_padded(prompts)
    stop = [5, 17, 23, 41]  # common enough that rows stop at different steps

    with torch.inference_mode():
        fast = greedy_decode(model, ids, mask, max_new_tokens=30, repetition_penalty=penalty,
                             no_repeat_ngram_size=ngram, stop_ids=stop)
        reference = _generate_rows(model, ids, mask, stop, max_new_tokens=30, repetition_penalty=penalty,
                                   no_repeat_ngram_size=ngram)

    assert fast == reference
    lengths = sorted(len(r) for r in fast)
    assert lengths[0] < lengths[-1]  # some rows left the batch before others: the dropping path ran


@pytest.mark.parametrize("prefill_tokens, preallocate", [(0, True), (6, False), (6, True), (24, True)])
def test_the_prompt_in_chunks_and_a_preallocated_cache_choose_the_same_tokens(prefill_tokens, preallocate):
    """The memory measures change where the prompt's keys and values are computed and kept, not what
    is chosen: 6 tokens over 6 rows is a prompt fed one position at a time; rows stop at different
    steps, so the preallocated buffers are cut down to the rows that stay."""
    model = _tiny_llama()
    generator = torch.Generator().manual_seed(2)
    prompts = [torch.randint(3, 64, (n,), generator=generator).tolist() for n in (5, 9, 3, 12, 7, 4)]
    ids, mask = _left_padded(prompts)
    stop = [5, 17, 23, 41]

    with torch.inference_mode():
        measured = greedy_decode(model, ids, mask, max_new_tokens=30, repetition_penalty=1.1, no_repeat_ngram_size=3,
                                 stop_ids=stop, prefill_tokens=prefill_tokens, preallocate=preallocate)
        reference = _generate_rows(model, ids, mask, stop, max_new_tokens=30, repetition_penalty=1.1,
                                   no_repeat_ngram_size=3)

    assert measured == reference
    assert len({len(r) for r in measured}) > 1


def test_a_preallocated_layer_keeps_what_a_growing_one_keeps_and_drops_the_same_rows():
    from transformers.cache_utils import DynamicLayer

    from ecomcms.inference.decoding import PreallocatedLayer

    grown, preallocated = DynamicLayer(), PreallocatedLayer(capacity=7)
    for width in (4, 1, 1):
        keys, values = torch.randn(3, 2, width, 8), torch.randn(3, 2, width, 8)
        for layer in (grown, preallocated):
            layer.update(keys, values)
    assert torch.equal(grown.keys, preallocated.keys) and torch.equal(grown.values, preallocated.values)
    assert preallocated.get_seq_length() == 6

    for layer in (grown, preallocated):
        layer.batch_select_indices(torch.tensor([0, 2]))
        layer.update(torch.ones(2, 2, 1, 8), torch.zeros(2, 2, 1, 8))
    assert torch.equal(grown.keys, preallocated.keys) and torch.equal(grown.values, preallocated.values)
    assert preallocated._keys.shape == (2, 2, 7, 8)  # the buffer holds the rows that stayed, nothing else
    with pytest.raises(ValueError, match="holds 7 positions"):
        preallocated.update(torch.ones(2, 2, 1, 8), torch.zeros(2, 2, 1, 8))


class _RecordingProcessor:
    """Bans token 7 in row 0 of the original batch only: proves the rows' state follows the drops."""

    def __init__(self, rows):
        self.rows = list(range(rows))

    def keep_rows(self, kept):
        self.rows = [self.rows[i] for i in kept]

    def __call__(self, input_ids, scores):
        assert input_ids.shape[0] == scores.shape[0] == len(self.rows)
        for r, original in enumerate(self.rows):
            if original == 0:
                scores[r, 7] = -float("inf")
        return scores


def test_a_logits_processor_follows_the_rows_that_stay():
    model = _tiny_llama()
    ids, mask = _left_padded([[9, 10, 11], [12, 13], [14, 15, 16, 17]])

    with torch.inference_mode():
        out = greedy_decode(model, ids, mask, max_new_tokens=20, stop_ids=[5, 17, 23, 41],
                            logits_processor=_RecordingProcessor(3))

    assert 7 not in out[0]


# --- the real model --------------------------------------------------------------------------------

PROMPTS = [
    inference.ChatPrompt(system="Answer with one word.", user="What colour is a ripe banana?"),
    inference.ChatPrompt(system="You write product copy. Write 2-3 sentences of plain prose.",
                         user="Write a product description for a stainless steel water bottle, 750 ml, by Kivo."),
    inference.ChatPrompt(system="", user="Say hello."),
    inference.ChatPrompt(system="You write product copy.",
                         user="Write one search-ad headline of at most 30 characters for a wool scarf."),
    inference.ChatPrompt(system="You write product copy. Write 2-3 sentences of plain prose.",
                         user="Describe a bamboo cutting board with a juice groove, 40 x 30 cm, for 24.90 EUR."),
]


@pytest.fixture
def real_generator(settings):
    settings.ECOMCMS_TEXT_DTYPE = "float32"  # token identity with generate is a float32 property
    inference.reset()
    generator = inference.get_generator()
    yield generator
    generator.decoder = "fast"


@pytest.mark.models
def test_the_fast_decoder_writes_what_generate_writes_with_the_real_model(real_generator):
    options = inference.GenerationOptions(max_new_tokens=96)

    real_generator.decoder = "generate"
    reference = real_generator.generate(PROMPTS, options)
    real_generator.decoder = "fast"
    fast = real_generator.generate(PROMPTS, options)

    assert [g.text for g in fast] == [g.text for g in reference]
    assert [g.tokens_out for g in fast] == [g.tokens_out for g in reference]
    assert [g.finish_reason for g in fast] == [g.finish_reason for g in reference]
    assert len({g.tokens_out for g in fast}) > 1 and "stop" in {g.finish_reason for g in fast}


@pytest.mark.models
def test_the_memory_measures_write_what_generate_writes_with_the_real_model(real_generator):
    """The product's defaults chunk a prompt only past 1,024 tokens in all; here 40 tokens at a time
    over 5 rows: each prompt goes through the model in chunks of 8 positions."""
    options = inference.GenerationOptions(max_new_tokens=48)
    assert (real_generator.prefill_tokens, real_generator.kv_preallocate) == (1024, True)

    real_generator.decoder = "generate"
    reference = real_generator.generate(PROMPTS, options)
    real_generator.decoder, real_generator.prefill_tokens = "fast", 40
    try:
        measured = real_generator.generate(PROMPTS, options)
    finally:
        real_generator.prefill_tokens = 1024

    assert [g.text for g in measured] == [g.text for g in reference]


@pytest.mark.models
def test_guarded_generation_is_the_same_through_the_fast_decoder(real_generator):
    options = inference.GenerationOptions(max_new_tokens=64)
    groundings = [None, inference.Grounding(numbers=frozenset({"750"}), banned_terms=frozenset({"plastic"})), None,
                  None, inference.Grounding(numbers=frozenset({"40", "30", "24.90"}))]

    real_generator.decoder = "generate"
    reference = real_generator.generate(PROMPTS, options, groundings=groundings)
    real_generator.decoder = "fast"
    fast = real_generator.generate(PROMPTS, options, groundings=groundings)

    assert [g.text for g in fast] == [g.text for g in reference]
    assert [g.grounded for g in fast] == [False, True, False, False, True]


@pytest.mark.models
def test_bfloat16_weights_write_sensible_text_with_the_real_model(settings):
    """bfloat16 (ECOMCMS_TEXT_DTYPE) changes the model's arithmetic, so its texts differ from float32's
    (the copy harness judges its quality, docs/performance.md); here: it loads in bfloat16 and still
    answers each prompt on its subject, in words, and ends short answers by itself."""
    from ecomcms.inference.sources import text_model_source
    from ecomcms.inference.transformers_backend import TransformersGenerator

    generator = TransformersGenerator(text_model_source(settings.ECOMCMS_TEXT_MODEL),
                                      cache_dir=settings.ECOMCMS_MODEL_CACHE, dtype="bfloat16", device="cpu")

    out = generator.generate(PROMPTS, inference.GenerationOptions(max_new_tokens=64))

    assert generator.dtype == "bfloat16"
    assert {p.dtype for p in generator.model.parameters()} == {torch.bfloat16}
    subjects = [("banana",), ("bottle", "steel"), ("hello",), ("scarf", "wool"), ("bamboo", "cutting")]
    for generation, words in zip(out, subjects):
        text = generation.text.lower()
        assert any(word in text for word in words), generation.text
        assert len(set(text.split())) >= 0.5 * len(text.split()) >= 3, generation.text  # words, no loop
    assert sum(g.finish_reason == "stop" for g in out) >= 2  # short answers end with the end-of-turn token
