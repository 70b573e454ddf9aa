"""Model stand-ins that a real worker subprocess can load by dotted path (fault tests only)."""

import time

from ecomcms.inference.base import ModelError
from ecomcms.inference.fake import FakeEmbedder, FakeGenerator


class SlowFakeGenerator(FakeGenerator):
    """Takes a few seconds per batch, so a test can kill the worker in the middle of one."""

    model_id = "slow-fake-generator"

    def generate(self, prompts, options):
        time.sleep(3)
        return super().generate(prompts, options)


class SlowFakeEmbedder(FakeEmbedder):
    """Takes a couple of seconds per call, so a test can kill the worker in the middle of a triage."""

    def embed(self, texts):
        time.sleep(2)
        return super().embed(texts)


class PoisonedFakeGenerator(FakeGenerator):
    """Fails any batch holding a prompt that mentions POISON, as a model erroring on a batch would."""

    model_id = "poisoned-fake-generator"

    def generate(self, prompts, options):
        if any("POISON" in prompt.user for prompt in prompts):
            raise ModelError("the model failed on this batch: RuntimeError: probability tensor contains nan")
        return super().generate(prompts, options)
