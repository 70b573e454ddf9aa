"""Fine-tuning: a tiny model the test builds (no download) gets a LoRA adapter the generator applies;
the versioned, gated path refuses to activate an adapter that is not better than the active model."""

from __future__ import annotations

import pytest
import torch
from django.core.management import call_command

from content import finetuning
from content.models import DraftStatus
from ecomcms import inference
from ecomcms.finetune import lora, registry, services
from ecomcms.inference.base import ChatPrompt, GenerationOptions
from ecomcms.inference.sources import text_model_source
from ecomcms.inference.transformers_backend import TransformersGenerator
from ecomcms.models import Adapter, AdapterStatus

CORPUS = [
    "The blue cotton shirt is soft and light.", "A linen summer dress in white.", "Running shoes with a mesh upper.",
    "Write a short description of the product.", "Product: shirt. Material: cotton. Colour: blue.",
    "This mug holds hot coffee and tea.", "A leather wallet with six card slots.",
]
CHAT = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer Llama with a BPE tokenizer trained on a few sentences, saved as a Hugging Face folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    specials = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
    tokenizer = Tokenizer(models.BPE(unk_token=None))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.train_from_iterator(CORPUS * 5, trainers.BpeTrainer(vocab_size=300, special_tokens=specials,
                                                                 initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    from tokenizers import decoders

    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.chat_template = CHAT
    fast.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def _examples(n=8):
    return [lora.Example(prompt=ChatPrompt(system="Write copy.", user=f"Product: shirt {i}. Material: cotton."),
                         target="The blue cotton shirt is soft and light.") for i in range(n)]


def test_a_few_steps_train_an_adapter_the_generator_applies(tiny_model, tmp_path):
    steps = []
    result = lora.train(tiny_model, _examples(), tmp_path / "adapter",
                        {"epochs": 3, "batch_size": 4, "learning_rate": 5e-3, "r": 4, "alpha": 8},
                        on_step=lambda step, total, loss: steps.append((step, total, loss)))

    assert result.steps == 6 and [s[0] for s in steps] == [1, 2, 3, 4, 5, 6]
    assert result.losses[-1] < result.losses[0]  # it learned the target
    assert (tmp_path / "adapter" / "adapter_config.json").is_file()
    generator = TransformersGenerator(text_model_source(str(tiny_model)), cache_dir=tmp_path / "cache")
    prompt = ChatPrompt(system="Write copy.", user="Product: shirt 1. Material: cotton.")
    ids = generator.tokenizer(generator.tokenizer.apply_chat_template(prompt.messages(), tokenize=False,
                                                                      add_generation_prompt=True),
                              return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.no_grad(), generator._adapter("") as base:
        before = base(input_ids=ids).logits
    with torch.no_grad(), generator._adapter(str(tmp_path / "adapter")) as tuned:
        after = tuned(input_ids=ids).logits
    with torch.no_grad(), generator._adapter("") as base:
        again = base(input_ids=ids).logits
    assert not torch.allclose(before, after, atol=1e-4)  # the adapter changes the model's output
    assert torch.allclose(before, again)  # and the base model is untouched without it
    options = GenerationOptions(max_new_tokens=8, adapter=str(tmp_path / "adapter"))
    (generation,) = generator.generate([prompt], options)
    assert generation.tokens_out >= 1
    with pytest.raises(inference.ModelError, match="cannot load the adapter"):
        generator.generate([prompt], GenerationOptions(max_new_tokens=4, adapter=str(tmp_path / "missing")))


@pytest.fixture
def toy_purpose():
    """A purpose whose evaluation says what the test wants (the metrics are the harness's shape)."""
    scores = {"base": (1.0, 40.0), "tuned": (0.5, 41.0)}

    def evaluate(held_out, path):
        unsupported, chrf = scores["tuned" if path else "base"]
        return {"unsupported_claims_per_draft": {"value": unsupported}, "chrf": {"value": chrf}}

    purpose = registry.register(registry.Purpose(
        name="test.toy", label="Toy", dataset=lambda p: registry.Dataset(train=_examples(4), held_out=["x"]),
        evaluate=evaluate, gate=finetuning.copy_gate))
    yield scores
    registry._purposes.pop(purpose.name)


def test_training_runs_with_progress_and_only_a_better_adapter_is_activated(db, tiny_model, toy_purpose, settings,
                                                                             tmp_path):
    settings.ECOMCMS_TEXT_MODEL = str(tiny_model)
    settings.ECOMCMS_DATA_DIR = tmp_path
    toy_purpose["tuned"] = (1.5, 39.0)  # worse: more unsupported claims, lower chrF
    worse = services.adapter_train_request(purpose="test.toy", parameters={"epochs": 1, "batch_size": 2})
    worse = services.adapter_train_run(worse.pk)
    assert worse.status == AdapterStatus.READY, worse.error
    assert worse.progress["step"] == worse.progress["steps"] == 2 and len(worse.progress["losses"]) == 2
    assert worse.data == {"train": 4, "held_out": 1} and not worse.gate_passed
    with pytest.raises(services.FinetuneError, match="not better than the active model"):
        services.adapter_activate(adapter=worse, actor=None)
    assert not Adapter.objects.filter(is_active=True).exists()

    toy_purpose["tuned"] = (0.5, 41.0)
    better = services.adapter_train_run(services.adapter_train_request(purpose="test.toy", parameters={}).pk)
    assert better.version == 2 and better.gate_passed, better.metrics
    services.adapter_activate(adapter=better, actor=None)
    assert Adapter.objects.get(is_active=True) == better
    assert services.adapter_rollback(purpose="test.toy", actor=None) is None  # back to the base model
    assert not Adapter.objects.filter(is_active=True).exists()
    assert services.adapter_train_run(better.pk) is None  # a redelivered task finds it done


def test_a_run_that_fails_is_recorded_with_its_reason(db, toy_purpose, settings, tmp_path):
    settings.ECOMCMS_TEXT_MODEL = str(tmp_path / "no-such-model")
    adapter = services.adapter_train_run(services.adapter_train_request(purpose="test.toy").pk)
    assert adapter.status == AdapterStatus.FAILED and "no-such-model" in adapter.error


def test_the_copy_gate_needs_fewer_unsupported_claims_and_no_lower_chrf():
    base = {"unsupported_claims_per_draft": {"value": 1.0}, "chrf": {"value": 30.0}}
    assert finetuning.copy_gate(base, {"unsupported_claims_per_draft": {"value": 0.8}, "chrf": {"value": 30.0}})[0]
    assert not finetuning.copy_gate(base, {"unsupported_claims_per_draft": {"value": 1.0}, "chrf": {"value": 35.0}})[0]
    assert not finetuning.copy_gate(base, {"unsupported_claims_per_draft": {"value": 0.5}, "chrf": {"value": 29.9}})[0]
    assert not finetuning.copy_gate(base, {"unsupported_claims_per_draft": {"value": None}})[0]


def test_copy_data_comes_from_approved_drafts_and_the_split_is_fixed(db):
    from tests.content.factories import make_product
    from tests.storefront.factories import make_draft

    for i in range(30):
        product = make_product()
        make_draft(product, text=f"Approved copy {i}.", status=DraftStatus.APPROVED)
        make_draft(product, text=f"Rejected copy {i}.", kind="seo_title", status=DraftStatus.REJECTED)
    first = finetuning.copy_dataset({"seed": 3, "holdout": 0.2})
    again = finetuning.copy_dataset({"seed": 3, "holdout": 0.2})
    assert first.counts["approved_drafts"] == 30
    assert len(first.train) + len(first.held_out) == 30 and 1 <= len(first.held_out) <= 15
    assert [e.target for e in first.train] == [e.target for e in again.train]
    assert all(e.target.startswith("Approved") for e in first.train)
    assert {h.reference for h in first.held_out}.isdisjoint({e.target for e in first.train})


def test_the_command_refuses_an_unknown_purpose(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no fine-tuning purpose"):
        call_command("finetune", "--purpose", "nope")


def test_a_split_job_on_the_real_model_writes_the_challenger_arm_with_the_adapter(db, tiny_model, settings,
                                                                                    tmp_path):
    """The split of a generation job with the real generator: the challenger's drafts run the LoRA adapter."""
    from content import services as content_services
    from content.models import Draft
    from tests.content.factories import make_product, make_user

    lora.train(tiny_model, _examples(), tmp_path / "content.copy-v1",
               {"epochs": 2, "batch_size": 4, "learning_rate": 5e-3, "r": 4, "alpha": 8})
    adapter = Adapter.objects.create(purpose="content.copy", version=1, status=AdapterStatus.READY,
                                     path=str(tmp_path / "content.copy-v1"))
    settings.ECOMCMS_TEXT_BACKEND = "transformers"
    settings.ECOMCMS_TEXT_MODEL = str(tiny_model)
    settings.ECOMCMS_MODEL_CACHE = str(tmp_path / "cache")
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    template = content_services.template_active("description")
    template.options = {**template.options, "max_new_tokens": 6}
    template.save(update_fields=["options"])
    inference.reset()
    try:
        products = [make_product(title=f"Shirt {i}") for i in range(12)]
        job = content_services.drafts_request(products=products, kind="description", actor=make_user("Writers"),
                                              challenger_adapter=adapter)
        result = content_services.drafts_process_queue(batch_size=12, max_batches=4)
    finally:
        inference.reset()
    drafts = list(Draft.objects.filter(job=job))
    assert result["in_review"] == 12, result
    arms = {d.adapter_id for d in drafts}
    assert arms == {None, adapter.pk}, "12 products should land on both sides of the split"
    for draft in drafts:
        assert draft.model_id and draft.ai_text
        assert draft.generation_options.get("adapter", "") == (adapter.path if draft.adapter_id else "")


def test_a_purpose_with_its_own_trainer_runs_the_same_versioned_gated_path(db, settings, tmp_path):
    """A non-LoRA artifact (like the intent classifier): its trainer, its defaults, no text model needed."""
    settings.ECOMCMS_TEXT_MODEL = str(tmp_path / "no-such-model")  # never asked for
    settings.ECOMCMS_DATA_DIR = tmp_path
    seen = {}

    def trainer(train, output, parameters, on_step):
        seen.update(train=list(train), parameters=parameters)
        output.mkdir(parents=True)
        (output / "model.txt").write_text(",".join(train))
        on_step(1, 1, 0.25)
        return registry.TrainingResult(steps=1, examples=len(train), seconds=0.5, losses=[0.25], base_model="toy-embed")

    def evaluate(held_out, path):
        return {"accuracy": 0.9 if path and (tmp_path / path / "model.txt").is_file() else 0.5}

    purpose = registry.register(registry.Purpose(
        name="test.own", label="Own trainer", trainer=trainer, defaults={"c": 1.0, "holdout": 0.2},
        dataset=lambda p: registry.Dataset(train=["a", "b"], held_out=["c"], counts={"staff": 2}),
        evaluate=evaluate, gate=lambda a, b: (b["accuracy"] >= a["accuracy"], ["not worse"])))
    try:
        run = services.adapter_train_run(services.adapter_train_request(purpose="test.own", parameters={"c": 2}).pk)
        assert run.status == AdapterStatus.READY, run.error
        assert seen == {"train": ["a", "b"], "parameters": {"c": 2, "holdout": 0.2}}  # its defaults, not LoRA's
        assert run.base_model == "toy-embed" and run.data == {"staff": 2, "train": 2, "held_out": 1}
        assert run.progress["seconds"] == 0.5 and run.progress["losses"] == [0.25]
        assert run.metrics["base"] == {"accuracy": 0.5} and run.metrics["adapter"] == {"accuracy": 0.9}
        from django.contrib.admin.sites import site

        shown = site._registry[Adapter].comparison(run)  # no shown_metrics: every number either side
        assert "<th>accuracy</th><td>0.500</td><td>0.900</td>" in shown
        services.adapter_activate(adapter=run, actor=None)
        assert Adapter.objects.get(is_active=True) == run
    finally:
        registry._purposes.pop(purpose.name)
