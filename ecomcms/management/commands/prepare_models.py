"""Prepare and check the models: convert the GGUF once, load both models, run one of each.

Prints model ids, sizes and timings, so an operator sees at once whether a worker
will be able to serve, and how long a cold start takes.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ecomcms import inference
from ecomcms.conf import conf
from ecomcms.inference.sources import embedding_model_source, text_model_source


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


class Command(BaseCommand):
    help = "Convert (once), load and try the text and embedding models; print ids, sizes and load times."

    def add_arguments(self, parser):
        parser.add_argument("--skip-text", action="store_true", help="Check only the embedding model.")
        parser.add_argument("--skip-embeddings", action="store_true", help="Check only the text model.")

    def handle(self, *args, skip_text=False, skip_embeddings=False, **options):
        steps = []
        if not skip_text:
            steps += [("resolve text model", self._resolve_text), ("load text model", self._load_text),
                      ("generate", self._generate)]
        if not skip_embeddings:
            steps += [
                ("resolve embedding model", self._resolve_embeddings),
                ("load embedding model", self._load_embeddings),
                ("embed", self._embed),
            ]
        lines: list[str] = []
        with tqdm(total=len(steps), unit="step", file=self.stderr._out, dynamic_ncols=True) as bar:
            for label, step in steps:
                bar.set_description(label)
                try:
                    lines.extend(step())
                except inference.ModelError as exc:
                    raise CommandError(f"{label}: {exc}") from exc
                bar.update()
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("models ready"))

    def _resolve_text(self):
        source = text_model_source(conf.ECOMCMS_TEXT_MODEL)
        kind = f"GGUF {source.gguf_file}" if source.is_gguf else "folder"
        return [
            f"text model:      {source.model_id}",
            f"  source:        {kind} in {source.path} ({_megabytes(source.size_bytes())})",
        ]

    def _load_text(self):
        started = time.perf_counter()
        generator = inference.get_generator()
        lines = [f"  parameters:    {getattr(generator, 'parameters', 0) / 1e6:.1f} M"]
        if getattr(generator, "folder", None):
            lines.append(f"  cache folder:  {generator.folder}")
        if getattr(generator, "convert_seconds", 0):
            lines.append(f"  converted in:  {generator.convert_seconds:.1f} s (once; later loads read the cache)")
        lines.append(f"  loaded in:     {getattr(generator, 'load_seconds', time.perf_counter() - started):.1f} s")
        return lines

    def _generate(self):
        options = inference.GenerationOptions(max_new_tokens=32)
        prompt = inference.ChatPrompt(
            system="You write short, plain product copy.", user="Describe a blue cotton T-shirt in one sentence."
        )
        result = inference.get_generator().generate([prompt], options)[0]
        speed = result.tokens_out / result.seconds if result.seconds else 0.0
        return [
            f"  sample:        {result.text[:120]!r}",
            f"  speed:         {result.tokens_out} tokens in {result.seconds:.2f} s ({speed:.1f} tokens/s, batch of 1)",
        ]

    def _resolve_embeddings(self):
        source = embedding_model_source(conf.ECOMCMS_EMBEDDING_MODEL)
        return [
            f"embedding model: {source.model_id}",
            f"  source:        folder {source.path} ({_megabytes(source.size_bytes())})",
        ]

    def _load_embeddings(self):
        embedder = inference.get_embedder()
        return [f"  parameters:    {getattr(embedder, 'parameters', 0) / 1e6:.1f} M",
                f"  loaded in:     {getattr(embedder, 'load_seconds', 0.0):.1f} s"]

    def _embed(self):
        started = time.perf_counter()
        result = inference.get_embedder().embed(["a blue cotton T-shirt", "a navy tee made of cotton"])
        seconds = time.perf_counter() - started
        similarity = float(result.vectors[0] @ result.vectors[1])
        return [
            f"  sample:        {result.dimensions} dimensions, paraphrase similarity {similarity:.2f}, {seconds:.2f} s"
        ]
