"""Recording fakes: they prove what the models were given, never how good a model is."""

from __future__ import annotations

from ecomcms.inference.base import Generation
from ecomcms.inference.fake import FakeEmbedder, FakeGenerator


class RecordingEmbedder(FakeEmbedder):
    """The hashed bag-of-words fake, remembering every text it embedded (class-wide, reset per test)."""

    seen: list[str] = []

    def embed(self, texts):
        RecordingEmbedder.seen.extend(texts)
        return super().embed(texts)


class ScriptedGenerator(FakeGenerator):
    """Answers every prompt with ``reply`` and remembers every prompt (class-wide, reset per test)."""

    reply = "Hello [NAME_1], you can return any item within 30 days [1].\nBest regards, the shop team"
    prompts: list = []
    groundings: list = []  # one per prompt (None when the call had none); they are recorded, not applied

    def generate(self, prompts, options, **kwargs):
        ScriptedGenerator.prompts.extend(prompts)
        ScriptedGenerator.groundings.extend(kwargs.get("groundings") or [None] * len(prompts))
        return [Generation(text=self.reply, model_id="scripted-generator", tokens_in=len(p.user.split()), tokens_out=12,
                           seconds=0.01, batch_size=len(prompts)) for p in prompts]
