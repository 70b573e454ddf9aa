"""Arms of a comparison: what wrote a draft, as its provenance records it.

A split generation job (``drafts_request(challenger=...)``), the editor-decision comparison
(``content.analytics.compare_arms``) and a category-wide A/B test of copy on the storefront
(``storefront.experiments``) all compare drafts by one of these dimensions:

- ``template``: the version of the kind's template (``Draft.template``): ``template:4``, or just ``4``;
- ``adapter``: the LoRA adapter the text was generated with (``generation_options.adapter``, named by
  its folder, e.g. ``content.copy-v2``), or ``none`` for the base model: ``adapter:2``, ``adapter:none``;
- ``model``: the model id the worker recorded (``Draft.model_id``): ``model:SmolLM2-135M-Instruct``.

Only drafts the model wrote belong to an arm: a hand-written draft (never generated) has no
provenance to compare. Reads only; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.generation import COPY_PURPOSE
from content.models import Draft, DraftStatus, Product, PromptTemplate
from ecomcms import errors

DIMENSIONS = ("template", "adapter", "model")
NO_ADAPTER = "none"


class ArmError(errors.ValidationFailed):
    """An arm that cannot be read: an unknown dimension, template version or adapter."""


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: drafts whose ``by`` is ``value``."""

    by: str  # one of DIMENSIONS
    value: str  # template: the version ("4"); adapter: "none" or the folder's name; model: the model id
    label: str  # for people: "description v4", "adapter content.copy-v2", "no adapter", "model X"
    template_id: int | None = None  # template arms: the template
    adapter_id: int | None = None  # adapter arms other than "none": the Adapter

    @property
    def spec(self) -> str:
        """What a person types for it: ``template:4``, ``adapter:none`` ..."""
        return f"{self.by}:{self.value}"

    def holds(self, *, template_version: int | None, adapter: str, model: str) -> bool:
        """Whether a draft with this provenance belongs to the arm (``adapter``: ``adapter_name`` of its options)."""
        if self.by == "template":
            return str(template_version) == self.value
        if self.by == "adapter":
            return adapter == self.value
        return model == self.value


def adapter_name(options: dict | None) -> str:
    """The adapter a draft was written with, by its folder's name (``content.copy-v3``), or "none"."""
    return str((options or {}).get("adapter") or NO_ADAPTER).rstrip("/").rsplit("/", 1)[-1] or NO_ADAPTER


def adapter_folder_name(adapter) -> str:
    """The name drafts record for an ``ecomcms.models.Adapter`` (its folder's)."""
    return adapter_name({"adapter": adapter.path}) if adapter.path else f"{adapter.purpose}-v{adapter.version}"


def template_arm(template: PromptTemplate) -> Arm:
    return Arm("template", str(template.version), str(template), template_id=template.pk)


def adapter_arm(adapter) -> Arm:
    """The arm of an ``Adapter``, or of the base model for ``None``."""
    if adapter is None:
        return Arm("adapter", NO_ADAPTER, "no adapter")
    name = adapter_folder_name(adapter)
    return Arm("adapter", name, f"adapter {name}", adapter_id=adapter.pk)


def copy_adapter(version: int):
    """The trained ``content.copy`` adapter of this version; ``ArmError`` naming the versions there are."""
    from ecomcms.models import Adapter, AdapterStatus

    adapter = Adapter.objects.filter(purpose=COPY_PURPOSE, version=version).first()
    if adapter is None or adapter.status != AdapterStatus.READY or not adapter.path:
        ready = list(Adapter.objects.filter(purpose=COPY_PURPOSE, status=AdapterStatus.READY)
                     .exclude(path="").order_by("version").values_list("version", flat=True))
        raise ArmError(f"no trained {COPY_PURPOSE} adapter has version {version} "
                       f"(trained versions: {', '.join(map(str, ready)) or 'none'})")
    return adapter


def arm_parse(spec: str, *, kind: str) -> Arm:
    """The arm a person means: ``4`` or ``template:4`` (a version of ``kind``'s template),
    ``adapter:2`` or ``adapter:none``, ``model:<model id>``. Raises ``ArmError`` saying what is wrong."""
    text = (spec or "").strip()
    by, _, value = text.partition(":") if ":" in text else ("template", "", text)
    by, value = by.strip().lower(), value.strip()
    if by not in DIMENSIONS:
        raise ArmError(f"{spec!r}: an arm is template:N (or N), adapter:N, adapter:none or model:ID")
    if not value:
        raise ArmError(f"{spec!r}: say which {by}")
    if by == "model":
        return Arm("model", value, f"model {value}")
    if by == "adapter" and value.lower() == NO_ADAPTER:
        return adapter_arm(None)
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise ArmError(f"{spec!r}: expected a version number" + (" or none" if by == "adapter" else ""))
    if by == "adapter":
        return adapter_arm(copy_adapter(int(value)))
    template = PromptTemplate.objects.filter(kind=kind, version=int(value)).first()
    if template is None:
        known = list(PromptTemplate.objects.filter(kind=kind).order_by("version").values_list("version", flat=True))
        raise ArmError(f"no version {value} of the {kind} template (versions: {', '.join(map(str, known)) or 'none'})")
    return template_arm(template)


def arms_parse(specs, *, kind: str, count: tuple[int, int] = (2, 2)) -> list[Arm]:
    """Several arms of one dimension, all different."""
    found = [arm_parse(spec, kind=kind) for spec in specs]
    if not count[0] <= len(found) <= count[1]:
        wanted = str(count[0]) if count[0] == count[1] else f"{count[0]} to {count[1]}"
        raise ArmError(f"expected {wanted} arms, got {len(found)}")
    if len({arm.by for arm in found}) > 1:
        raise ArmError("compare arms of one kind: template versions, adapters, or models")
    if len({arm.value for arm in found}) < len(found):
        raise ArmError("the arms must be different")
    return found


def split_challenger(spec, *, kind: str) -> tuple[PromptTemplate | None, object | None]:
    """The challenger arm of a split generation job, as ``(template, adapter)``; ``(None, None)`` for none.

    A template version, or a trained ``content.copy`` adapter: the drafts of the challenger's side
    are written with it, those of the other side with the active template and model.
    """
    if spec is None or not str(spec).strip():
        return None, None
    arm = arm_parse(str(spec), kind=kind)
    if arm.by == "template":
        return PromptTemplate.objects.get(pk=arm.template_id), None
    if arm.by == "adapter" and arm.adapter_id is not None:
        from ecomcms.models import Adapter

        return None, Adapter.objects.get(pk=arm.adapter_id)
    raise ArmError(f"{spec!r}: a split job's challenger is a template version (N) or a trained adapter (adapter:N)")


# --- Drafts of arms ---------------------------------------------------------------------------

SERVABLE = (DraftStatus.APPROVED, DraftStatus.PUBLISHED)


@dataclass
class ArmDrafts:
    """For each product of a category: its newest servable draft of each arm (None where it has none)."""

    drafts: dict[int, list[Draft | None]]  # product id -> one draft (or None) per arm, in the arms' order
    products: int  # active products in the category

    def complete(self) -> dict[int, list[Draft]]:
        """The products with a draft from every arm."""
        return {pid: found for pid, found in self.drafts.items() if all(found)}


def servable_drafts_by_arm(*, category: str, kind: str, arms: list[Arm]) -> ArmDrafts:
    """The approved or published AI drafts of ``kind`` of the category's active products, by arm.

    Per product and arm the draft of variant 1 is preferred, then the newest; superseded, rejected
    and unreviewed drafts never count, nor hand-written ones. Two queries.
    """
    products = list(Product.objects.filter(is_active=True, category=category).values_list("pk", flat=True))
    found: dict[int, list[Draft | None]] = {pid: [None] * len(arms) for pid in products}
    drafts = (Draft.objects.filter(product_id__in=products, kind=kind, status__in=SERVABLE, generated_at__isnull=False)
              .exclude(ai_text="").select_related("template").order_by("variant", "-generated_at", "-pk"))
    for draft in drafts:
        provenance = {"template_version": draft.template.version, "adapter": adapter_name(draft.generation_options),
                      "model": draft.model_id}
        for index, arm in enumerate(arms):
            if found[draft.product_id][index] is None and arm.holds(**provenance):
                found[draft.product_id][index] = draft
    return ArmDrafts(drafts=found, products=len(products))
