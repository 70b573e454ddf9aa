"""A/B tests of approved copy on the storefront: start, stop, serve a variant, and read the results.

Two scopes. A *product* experiment tests 2 or 3 approved drafts of one product, chosen by an
editor. A *category* experiment tests 2 or 3 *arms* (what wrote a draft, as its provenance records
it: template versions, an adapter against the base model, models; ``content.arms``) on every
product of a category that has an approved or published draft from each arm when it starts; the
category's other products are served as usual and are not in the experiment (the page says how
many). Each variant row holds one product's text of one arm.

Assignment is deterministic: arm index = ``stable_bucket(experiment id, visitor)`` over the number
of arms, so a visitor (the session id the storefront sends) sees the same arm on every visit and,
in a category experiment, on every product of the category; any process computes it without a
shared store. Results attribute a session's view, add-to-cart and purchase events on the
experiment's products, from its start to its stop, to the arm the session saw: the ``variant`` the
storefront sent back with an event when it did, otherwise the assigned one. A session is *exposed*
from its first view of one of the products; it *converts* when it adds one of them to the cart (or
buys it) at or after viewing it. The unit is the visitor, so a visitor counts once however many of
the category's products they see.

Only copy an editor approved is ever served: the variants are approved or published drafts
(hand-picked ones for a product, and for a category the newest of each arm on each product,
generated drafts only), their text is copied when the experiment starts, and starting or stopping
needs the permission to publish. The database refuses a second running experiment of a kind on a
product, whichever scope. Stopping serves the published copy again; promoting the winner is an
editor's publish of its drafts, never automatic.

The verdict (``storefront.verdict``): one primary metric chosen at the start decides, on the first
``planned_exposures`` visitors of each variant, when the leader crosses a boundary that keeps false
winners among equal variants at 5% or less however often the page is looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from content import arms as content_arms, services as content_services
from content.models import Draft, DraftStatus, Product
from ecomcms import errors, stats
from ecomcms.assign import stable_bucket
from ecomcms.errors import require_permission
from recommender.models import Event, EventType
from storefront import verdict as rule
from storefront.models import Experiment, ExperimentStatus, ExperimentVariant, PrimaryMetric

LABELS = "ABC"


PUBLISHERS_ONLY = "only editors who may publish can start or stop an experiment"


class ExperimentError(errors.ServiceError):
    """A request about an experiment that cannot be carried out; the message says why."""


class NotAllowed(ExperimentError, errors.NotAllowed):
    """Not an editor who may publish (the system does not start or stop experiments either)."""


def _require_publisher(actor) -> None:
    if actor is None:  # an experiment is an editor's decision, never the system's
        raise NotAllowed(PUBLISHERS_ONLY)
    require_permission(actor, "ecomcms_content.publish_draft", error=NotAllowed, message=PUBLISHERS_ONLY)


def variant_index(experiment_id: int, visitor: str, count: int) -> int:
    return stable_bucket(experiment_id, visitor, count=count)


@dataclass(frozen=True)
class Plan:
    """What decides and on how many visitors, fixed when an experiment starts (``storefront.verdict``)."""

    primary_metric: str
    baseline_rate: float
    minimum_lift: float
    planned_exposures: int

    def fields(self) -> dict:
        return {"primary_metric": self.primary_metric, "baseline_rate": self.baseline_rate,
                "minimum_lift": self.minimum_lift, "planned_exposures": self.planned_exposures}


def experiment_plan(*, arms: int, primary_metric: str = PrimaryMetric.CART, baseline_rate: float | None = None,
                    minimum_lift: float | None = None) -> Plan:
    """The plan of an experiment with ``arms`` arms; the baseline defaults to the metric's usual rate."""
    if primary_metric not in PrimaryMetric.values:
        raise ExperimentError(f"the primary metric is one of {', '.join(PrimaryMetric.values)}, not {primary_metric!r}")
    baseline = rule.DEFAULT_BASELINE[primary_metric] if baseline_rate is None else float(baseline_rate)
    lift = rule.DEFAULT_LIFT if minimum_lift is None else float(minimum_lift)
    try:
        planned = rule.planned_exposures(baseline=baseline, lift=lift, arms=arms)
    except rule.PlanError as exc:
        raise ExperimentError(str(exc)) from exc
    return Plan(str(primary_metric), baseline, lift, planned)


# --- Services ---------------------------------------------------------------------------------

def experiment_start(*, product: Product, kind: str, drafts: list[Draft], actor, name: str = "",
                     minimum_exposures: int = 300, primary_metric: str = PrimaryMetric.CART,
                     baseline_rate: float | None = None, minimum_lift: float | None = None) -> Experiment:
    """Start testing 2 or 3 approved drafts of one kind of one product against each other.

    The plan (``experiment_plan``) is fixed here: the primary metric, and the visitors per variant
    the verdict is made on.
    """
    _require_publisher(actor)
    drafts = list(dict.fromkeys(drafts))
    if not 2 <= len(drafts) <= len(LABELS):
        raise ExperimentError(f"an experiment needs 2 or 3 different drafts, not {len(drafts)}")
    plan = experiment_plan(arms=len(drafts), primary_metric=primary_metric, baseline_rate=baseline_rate,
                           minimum_lift=minimum_lift)
    for draft in drafts:
        if draft.product_id != product.pk or draft.kind != kind:
            raise ExperimentError(f"draft {draft.pk} is not a {kind} of {product.sku}")
        if draft.status not in (DraftStatus.APPROVED, DraftStatus.PUBLISHED):
            raise ExperimentError(f"draft {draft.pk} is {draft.get_status_display().lower()}: only approved or "
                                  "published copy can be shown to shoppers")
    try:
        with transaction.atomic():
            experiment = Experiment.objects.create(
                product=product, kind=kind, name=name[:200], started_by=actor, started_at=timezone.now(),
                minimum_exposures=minimum_exposures, **plan.fields(),
            )
            ExperimentVariant.objects.bulk_create([
                ExperimentVariant(experiment=experiment, product=product, kind=kind, label=label, draft=draft,
                                  text=draft.text)
                for label, draft in zip(LABELS, drafts)
            ])
            content_services.catalog_changed()  # the catalogue's cached product now serves variants
    except IntegrityError as exc:
        raise ExperimentError(f"{product.sku} already has a running {kind} experiment (of the product or its "
                              "category): stop it first") from exc
    return experiment


def experiment_start_category(*, category: str, kind: str, arms: list[str], actor, name: str = "",
                              minimum_exposures: int = 300, primary_metric: str = PrimaryMetric.CART,
                              baseline_rate: float | None = None, minimum_lift: float | None = None) -> Experiment:
    """Start testing 2 or 3 arms (template versions, adapters, models) on a category's products.

    ``arms`` are specs as ``content.arms`` reads them (``3``, ``adapter:none``, ``adapter:2`` ...).
    Every active product of the category with an approved or published AI draft of ``kind`` from
    each arm is in the experiment, with those drafts' texts; products without one, or already under
    a running experiment of the kind, are served as usual and are counted in ``coverage``.
    """
    _require_publisher(actor)
    category = (category or "").strip()
    if not category:
        raise ExperimentError("choose a category")
    try:
        chosen = content_arms.arms_parse(arms, kind=kind, count=(2, len(LABELS)))
    except content_arms.ArmError as exc:
        raise ExperimentError(str(exc)) from exc
    plan = experiment_plan(arms=len(chosen), primary_metric=primary_metric, baseline_rate=baseline_rate,
                           minimum_lift=minimum_lift)
    if Experiment.objects.filter(category=category, kind=kind, status=ExperimentStatus.RUNNING).exists():
        raise ExperimentError(f"{category!r} already has a running {kind} experiment: stop it first")
    found = content_arms.servable_drafts_by_arm(category=category, kind=kind, arms=chosen)
    if not found.products:
        raise ExperimentError(f"no active product is in the category {category!r}")
    complete = found.complete()
    busy = set(ExperimentVariant.objects.filter(product_id__in=list(complete), kind=kind, running=True)
               .values_list("product_id", flat=True))
    included = {pid: drafts for pid, drafts in complete.items() if pid not in busy}
    coverage = {"products": found.products, "in_experiment": len(included),
                "without_arms": found.products - len(complete), "busy": len(busy)}
    if not included:
        raise ExperimentError(
            f"no product of {category!r} can be in it: {coverage['without_arms']} of {found.products} lack an approved "
            f"{kind} from every arm ({', '.join(arm.label for arm in chosen)}), {len(busy)} are under another running "
            f"{kind} experiment")
    try:
        with transaction.atomic():
            experiment = Experiment.objects.create(
                category=category, kind=kind, name=name[:200], started_by=actor, started_at=timezone.now(),
                minimum_exposures=minimum_exposures, arm_by=chosen[0].by, coverage=coverage, **plan.fields(),
                arms=[{"by": arm.by, "value": arm.value, "label": arm.label} for arm in chosen],
            )
            ExperimentVariant.objects.bulk_create([
                ExperimentVariant(experiment=experiment, product_id=pid, kind=kind, label=label, draft=draft,
                                  text=draft.text)
                for pid, drafts in sorted(included.items()) for label, draft in zip(LABELS, drafts)
            ])
            content_services.catalog_changed()
    except IntegrityError as exc:
        raise ExperimentError(f"{category!r} already has a running {kind} experiment, or one of its products just got "
                              "one: stop it first, or start again") from exc
    return experiment


def experiment_stop(*, experiment: Experiment, actor) -> Experiment:
    _require_publisher(actor)
    with transaction.atomic():
        updated = Experiment.objects.filter(pk=experiment.pk, status=ExperimentStatus.RUNNING).update(
            status=ExperimentStatus.STOPPED, stopped_by=actor, stopped_at=timezone.now())
        if not updated:
            raise ExperimentError("this experiment is not running")
        ExperimentVariant.objects.filter(experiment_id=experiment.pk).update(running=False)
        content_services.catalog_changed()  # the published copy is served again, from the next request on
    experiment.refresh_from_db()
    return experiment


# --- Selectors --------------------------------------------------------------------------------

def running_variants(product_ids) -> dict[tuple[int, str], list[ExperimentVariant]]:
    """The variants of the running experiments of these products, by (product id, kind): one query."""
    found: dict[tuple[int, str], list[ExperimentVariant]] = {}
    variants = (ExperimentVariant.objects.filter(product_id__in=list(product_ids), running=True,
                                                 experiment__status=ExperimentStatus.RUNNING)
                .select_related("experiment").order_by("label"))
    for variant in variants:
        found.setdefault((variant.product_id, variant.kind), []).append(variant)
    return found


def assigned(variants: list[ExperimentVariant], visitor: str) -> ExperimentVariant:
    return variants[variant_index(variants[0].experiment_id, visitor, len(variants))]


@dataclass
class ServedCopy:
    """A variant's text in place of the published copy of its kind, for one visitor."""

    kind: str
    text: str
    published_at: object
    variant: int = 1
    experiment_ref: dict | None = None


def copy_for_visitor(product: Product, visitor: str | None) -> list:
    """The product's current copy, with each kind under a running experiment replaced by the visitor's variant.

    Without a visitor the published copy is served, and the visit counts for no variant.
    """
    current = list(product.current_copy)
    if not visitor:
        return current
    for (_, kind), variants in running_variants([product.pk]).items():
        chosen = assigned(variants, visitor)
        served = ServedCopy(kind=kind, text=chosen.text, published_at=chosen.experiment.started_at,
                            experiment_ref={"id": chosen.experiment_id, "variant": chosen.label, "key": chosen.key})
        kept = [c for c in current if not (c.kind == kind and c.variant == 1)]
        current = sorted(kept + [served], key=lambda c: (c.kind, c.variant))
    return current


def running_variant_rows(product_id: int) -> dict[str, list[dict]]:
    """The variants of a product's running experiments (product or category) as plain rows, by kind: one query.

    The catalogue caches them with the product (``storefront.catalog``); starting or stopping an
    experiment makes that cache stale.
    """
    found: dict[str, list[dict]] = {}
    rows = (ExperimentVariant.objects.filter(product_id=product_id, running=True,
                                             experiment__status=ExperimentStatus.RUNNING)
            .order_by("label").values("experiment_id", "kind", "experiment__started_at", "label", "text"))
    for row in rows:
        found.setdefault(row["kind"], []).append(
            {"experiment_id": row["experiment_id"], "label": row["label"], "text": row["text"],
             "started_at": row["experiment__started_at"]})
    return found


def copy_rows_for_visitor(copy: list[dict], variants: dict[str, list[dict]], visitor: str) -> list[dict]:
    """``copy_for_visitor`` on plain rows: each kind under a running experiment shows the visitor's variant."""
    current = list(copy)
    for kind, rows in variants.items():
        chosen = rows[variant_index(rows[0]["experiment_id"], visitor, len(rows))]
        served = {"kind": kind, "variant": 1, "text": chosen["text"], "published_at": chosen["started_at"],
                  "experiment": {"id": chosen["experiment_id"], "variant": chosen["label"],
                                 "key": f"{chosen['experiment_id']}:{chosen['label']}"}}
        kept = [c for c in current if not (c["kind"] == kind and c["variant"] == 1)]
        current = sorted(kept + [served], key=lambda c: (c["kind"], c["variant"]))
    return current


@dataclass
class Arm:
    label: str
    name: str  # "draft #12" (product experiments) or the arm's provenance, "description v4" (category)
    draft_ids: list[int] = field(default_factory=list)
    text: str = ""  # product experiments: the variant's text
    exposures: int = 0
    carts: int = 0
    purchases: int = 0

    def as_dict(self, p_best_cart: float, p_best_purchase: float) -> dict:
        return {
            "label": self.label, "name": self.name, "draft_id": self.draft_ids[0] if len(self.draft_ids) == 1 else None,
            "draft_ids": self.draft_ids, "products": len(self.draft_ids), "text": self.text,
            "exposures": self.exposures, "carts": self.carts, "purchases": self.purchases,
            "cart_rate": stats.wilson(self.carts, self.exposures).as_dict(),
            "purchase_rate": stats.wilson(self.purchases, self.exposures).as_dict(),
            "p_best_cart": round(p_best_cart, 4), "p_best_purchase": round(p_best_purchase, 4),
        }


def _arms(experiment: Experiment, variants: list[ExperimentVariant]) -> dict[str, Arm]:
    if experiment.is_category:
        found = {LABELS[i]: Arm(LABELS[i], arm["label"]) for i, arm in enumerate(experiment.arms)}
        for variant in variants:
            found[variant.label].draft_ids.append(variant.draft_id)
        return found
    return {v.label: Arm(v.label, f"draft #{v.draft_id}", [v.draft_id], v.text) for v in variants}


def experiment_results(experiment: Experiment, *, now=None) -> dict:
    """Exposures, add-to-cart and purchase rates per arm (Wilson 95%), P(best), the plan and the verdict.

    The unit is the visitor: exposed once they viewed any of the experiment's products, converted
    once they added one they had viewed to the cart (or bought it). The verdict counts the first
    ``planned`` visitors of each arm (by their first view) on the primary metric alone.
    """
    variants = list(experiment.variants.order_by("label", "product_id"))
    arms = _arms(experiment, variants)
    labels = sorted(arms)
    products = {v.product_id for v in variants}
    prefix = f"{experiment.pk}:"
    events = Event.objects.filter(
        product_id__in=list(products), occurred_at__gte=experiment.started_at,
        occurred_at__lte=experiment.stopped_at or now or timezone.now(),
        type__in=[EventType.VIEW, EventType.ADD_TO_CART, EventType.PURCHASE],
    ).exclude(session_id="").order_by("occurred_at", "pk").values_list("session_id", "product_id", "type", "quantity",
                                                                        "experiment_variant")
    sessions: dict[str, dict] = {}
    exposed: list[dict] = []  # in the order of their first view
    for session, product_id, kind, quantity, sent in events:
        state = sessions.setdefault(session, {"label": None, "seen": set(), "cart": False, "purchase": False})
        if sent.startswith(prefix) and sent[len(prefix):] in arms:
            state["label"] = state["label"] or sent[len(prefix):]
        if kind == EventType.VIEW:
            if not state["seen"]:
                state["session"] = session
                exposed.append(state)
            state["seen"].add(product_id)
        elif product_id in state["seen"] and kind == EventType.ADD_TO_CART:
            state["cart"] = True
        elif product_id in state["seen"] and kind == EventType.PURCHASE and quantity > 0:
            state["cart"] = state["purchase"] = True
    plan = _plan(experiment, len(labels))
    counted = {label: [0, 0] for label in labels}  # the verdict's cohort: (visitors, primary successes)
    primary = "purchase" if plan.primary_metric == PrimaryMetric.PURCHASE else "cart"
    for state in exposed:
        if not labels:
            break
        arm = arms[state["label"] or labels[variant_index(experiment.pk, state["session"], len(labels))]]
        arm.exposures += 1
        arm.carts += state["cart"]
        arm.purchases += state["purchase"]
        if counted[arm.label][0] < plan.planned_exposures:
            counted[arm.label][0] += 1
            counted[arm.label][1] += state[primary]
    ordered = [arms[label] for label in labels]
    best_cart = stats.probability_best([(a.carts, a.exposures) for a in ordered], seed=experiment.pk)
    best_purchase = stats.probability_best([(a.purchases, a.exposures) for a in ordered], seed=experiment.pk + 1)
    rows = [arm.as_dict(c, p) for arm, c, p in zip(ordered, best_cart, best_purchase)]
    for row in rows:
        row["counted"], row["counted_successes"] = counted[row["label"]]
    return {"experiment": experiment.pk, "status": experiment.status, "scope": "category" if experiment.is_category
            else "product", "coverage": experiment.coverage or {}, "variants": rows,
            "plan": _plan_dict(experiment, plan, len(labels)), "verdict": _verdict(experiment, plan, rows)}


def _plan(experiment: Experiment, arms: int) -> Plan:
    """The experiment's plan; one started before plans existed gets one computed from its stored fields."""
    planned = experiment.planned_exposures or (
        rule.planned_exposures(baseline=experiment.baseline_rate, lift=experiment.minimum_lift, arms=max(arms, 2)))
    return Plan(experiment.primary_metric, experiment.baseline_rate, experiment.minimum_lift, planned)


def _plan_dict(experiment: Experiment, plan: Plan, arms: int) -> dict:
    secondary = PrimaryMetric.CART if plan.primary_metric == PrimaryMetric.PURCHASE else PrimaryMetric.PURCHASE
    return {"primary_metric": plan.primary_metric, "primary_label": PrimaryMetric(plan.primary_metric).label,
            "secondary_metric": secondary.value, "secondary_label": secondary.label,
            "baseline_rate": plan.baseline_rate, "minimum_lift": plan.minimum_lift,
            "planned_exposures": plan.planned_exposures, "minimum_exposures": experiment.minimum_exposures,
            "boundary": round(rule.boundary(max(arms, 2)), 3), "alpha": rule.ALPHA, "power": rule.POWER}


def _verdict(experiment: Experiment, plan: Plan, rows: list[dict]) -> dict:
    """The verdict on the primary metric of the first ``planned`` visitors per arm, with the reason for none."""
    metric = PrimaryMetric(plan.primary_metric).label.lower()
    decided = rule.decision([(r["counted_successes"], r["counted"]) for r in rows],
                            planned=plan.planned_exposures, minimum=experiment.minimum_exposures)
    found = {"state": decided.state, "winner": None, "metric": plan.primary_metric, "z": round(decided.z, 3),
             "needed": None if decided.needed == float("inf") else round(decided.needed, 3),
             "fraction": round(decided.fraction, 4),
             "leader": rows[decided.leader]["label"] if decided.leader is not None else None}
    needs = "cannot be reached yet" if found["needed"] is None else f"needs {decided.needed:.2f}"
    if decided.state == "short":
        counts = ", ".join("{} has {}".format(r["label"], r["exposures"]) for r in rows)
        message = (f"Not enough visitors yet: each variant needs {experiment.minimum_exposures} before any verdict "
                   f"({counts}).")
    elif decided.state == "winner":
        found["winner"] = rows[decided.winner]["label"]
        message = (f"Variant {found['winner']} is likely best on the {metric}: it leads every other variant by "
                   f"z = {decided.z:.2f}, past the boundary of {decided.needed:.2f} at {decided.fraction:.0%} of the "
                   "planned sample. Promote it by publishing its "
                   + ("drafts." if experiment.is_category else "draft."))
    elif decided.state == "running":
        lead = (f"{found['leader']} leads on the {metric}, but by z = {decided.z:.2f}" if decided.z > 0
                else f"no variant leads on the {metric} (z = 0)")
        message = (f"No winner yet: {lead} at {decided.fraction:.0%} of the planned sample, where a verdict {needs}. "
                   "Keep it running: the verdict comes when a lead crosses the boundary, or at the planned "
                   f"{plan.planned_exposures} visitors per variant.")
    else:
        message = (f"No winner: the planned {plan.planned_exposures} visitors per variant are in and no variant "
                   f"beats the others on the {metric} (z = {decided.z:.2f}, needs {decided.needed:.2f}). A difference, "
                   f"if any, is probably smaller than the {plan.minimum_lift:.0%} lift it was planned to find: "
                   "stop the experiment.")
    return found | {"message": message}
