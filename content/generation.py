"""Writing the copy of a batch of products with one template: the one code path of worker and harness.

``copy_generate_batch(template=..., requests=[...])`` turns products into post-processed texts:

    template -> prompts.build_prompt (one prompt per product)
             -> the strategy (today: one batched call of the text generator)
             -> postprocess.finish (sanitize, tidy, trim to the template's limit)

The worker (``content.services.drafts_compose``, called by ``_generate_group``) and the
copy-quality harness (``content.evaluation``, ``manage.py evaluate_copy``) both call it, so
what the harness measures is what the worker writes. Nothing here touches the database:
a request's product may be an unsaved ``Product`` (the harness builds them from a file).

Strategies: the extension point
-------------------------------
How the texts of a batch are produced is a *strategy*, looked up by name in ``STRATEGIES``.
A strategy is a function::

    strategy(*, template, requests, prompts, options) -> list[inference.Generation]

taking the template, the ``CopyRequest`` list, one ``ChatPrompt`` and one
``GenerationOptions`` per request (same order), and returning one ``Generation`` per request,
in order: the raw text plus its provenance (model id, tokens, seconds). It raises
``inference.ModelError`` when the model fails (the worker retries or fails the drafts).
Post-processing and the checks run after it, the same for every strategy.

To add one (a constrained "guarded" decoding, a "planned" copy realized from the facts ...),
write the function in its own module and register it::

    from content.generation import register_strategy

    @register_strategy("planned")
    def planned(*, template, requests, prompts, options): ...

and import that module from ``content/apps.py`` ``ready()`` (or from this module's end) so it
is registered in every process. ``evaluate_copy --strategy NAME`` runs any registered
strategy; the worker uses ``strategy_for(template)``: the template's ``strategy`` when it has
one (an attribute or a field of ``PromptTemplate``), else ``free``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from content import postprocess, prompts
from ecomcms import inference

DEFAULT_STRATEGY = "free"

Strategy = Callable[..., list[inference.Generation]]
STRATEGIES: dict[str, Strategy] = {}


class UnknownStrategy(ValueError):
    """A strategy name nobody registered."""


def register_strategy(name: str) -> Callable[[Strategy], Strategy]:
    """Register a strategy under ``name`` (a decorator); a second function for one name is refused."""

    def decorate(function: Strategy) -> Strategy:
        if STRATEGIES.get(name, function) is not function:
            raise ValueError(f"a generation strategy named {name!r} is already registered")
        STRATEGIES[name] = function
        return function

    return decorate


def strategy_get(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise UnknownStrategy(f"unknown generation strategy {name!r} (known: {known})") from None


def strategy_for(template) -> str:
    """The strategy a template asks for; ``free`` unless it names another."""
    return getattr(template, "strategy", "") or DEFAULT_STRATEGY


@dataclass(frozen=True)
class CopyRequest:
    """One text to write: for a product (saved or not), a variant, an editor's feedback, reviews."""

    product: object
    variant: int = 1
    feedback: str = ""
    reviews: Sequence = field(default=(), compare=False)
    customer_reports: tuple = ()  # a revision request's redacted points (content.revisions)


@dataclass(frozen=True)
class Written:
    """One written text with what produced it: the prompt, the options, the raw generation."""

    prompt: inference.ChatPrompt
    options: inference.GenerationOptions
    generation: inference.Generation
    text: str  # post-processed: what is stored and checked
    strategy: str = DEFAULT_STRATEGY


def variant_options(options: inference.GenerationOptions, variant: int) -> inference.GenerationOptions:
    """Greedy decoding would give every variant the same text: later variants sample, seeded by variant."""
    if variant == 1 or options.temperature > 0:
        return options
    data = options.as_dict() | {"temperature": 0.8, "top_p": 0.95, "seed": variant}
    return inference.GenerationOptions.from_dict(data)


COPY_PURPOSE = "content.copy"  # the fine-tuning purpose of copy (content.finetuning)


def copy_generate_batch(*, template, requests: Sequence[CopyRequest], strategy: str | None = None,
                        adapter: str | None = None) -> list[Written]:
    """Prompt, generate (with the named strategy, else the template's) and post-process a batch.

    ``adapter``: a LoRA adapter's folder, "" for the base model, None for the active adapter of
    copy (``ecomcms.finetune``); it is recorded in the options, so in every draft's provenance.

    Raises ``inference.ModelError`` from the model, ``UnknownStrategy`` for a name nobody
    registered, and ``ValueError`` for a template that cannot be rendered.
    """
    if not requests:
        return []
    name = strategy or strategy_for(template)
    function = strategy_get(name)
    options = prompts.template_options(template)
    if adapter is None:
        from ecomcms.finetune.selectors import adapter_active_path

        adapter = adapter_active_path(COPY_PURPOSE)
    if adapter:
        options = dataclasses.replace(options, adapter=adapter)
    prompt_list = [
        prompts.build_prompt(template=template, product=r.product, reviews=r.reviews, feedback=r.feedback,
                             customer_reports=r.customer_reports)
        for r in requests
    ]
    option_list = [variant_options(options, r.variant) for r in requests]
    generations = function(template=template, requests=list(requests), prompts=prompt_list, options=option_list)
    if len(generations) != len(requests):
        raise inference.ModelError(
            f"the {name!r} strategy returned {len(generations)} texts for {len(requests)} requests"
        )
    return [
        Written(
            prompt=prompt,
            options=opts,
            generation=result,
            text=postprocess.finish(result.text, template.max_chars),
            strategy=name,
        )
        for prompt, opts, result in zip(prompt_list, option_list, generations)
    ]


@register_strategy("free")
def free_generation(*, template, requests, prompts, options) -> list[inference.Generation]:
    """The model writes freely from the prompt; prompts with the same options share one model call."""
    generator = inference.get_generator()
    if len(set(options)) == 1:
        return generator.generate(list(prompts), options[0])
    results: list = [None] * len(prompts)
    by_options: dict = {}
    for index, opts in enumerate(options):  # ad variants sample with different seeds
        by_options.setdefault(opts, []).append(index)
    for opts, indexes in by_options.items():
        for index, result in zip(indexes, generator.generate([prompts[i] for i in indexes], opts)):
            results[index] = result
    return results
