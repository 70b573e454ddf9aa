"""Every write of the recommender, and the recommendations themselves.

Import events, train a version, activate or roll back, and serve: the admin,
the API, the management commands and the Celery task all call these
functions. Serving reads a version's precomputed artifact and does cheap
arithmetic; it never trains and never runs a model.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from content import services as content_services
from content.models import Product
from ecomcms import inference
from recommender import artifacts, online_retail, selectors, training
from recommender.artifacts import artifact_path
from recommender.engine.blend import BlendParams
from recommender.models import (
    Event,
    EventType,
    ModelActivation,
    ModelVersion,
    RuleAction,
    RuleContext,
    ShopSetting,
    VersionStatus,
)

logger = logging.getLogger(__name__)

IN_CHUNK = 500  # values per `__in` query: well under SQLite's 999 variables
ONLINE_RETAIL_SOURCE = "online-retail"


class RecommenderError(Exception):
    """A request the recommender refuses; the message is for the person who made it."""


class NotAllowed(RecommenderError):
    pass


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(f"ecomcms_recommender.{permission}"):
        raise NotAllowed(f"{actor} may not {permission.replace('_', ' ')}")


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- Import -------------------------------------------------------------------------------------

@dataclass
class EventImportResult:
    lines: int = 0
    events_in_file: int = 0  # purchase and cancellation lines read
    created: int = 0  # events stored by this run (a re-import stores none)
    products_created: int = 0
    not_goods: int = 0
    not_purchases: int = 0
    errors: list[online_retail.LineError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def already_there(self) -> int:
        return self.events_in_file - self.created


ImportProgress = Callable[[str, int, int], None]  # (stage, done, total)


def events_import_online_retail(*, path: str | Path, source: str = ONLINE_RETAIL_SOURCE,
                                batch_size: int = 5000, progress: ImportProgress | None = None) -> EventImportResult:
    """Import an Online Retail export: its products (by SKU = StockCode) and its purchases as events.

    Invariants: a refused line never stops the import (it is reported with its line
    number); importing the same file again adds nothing, because each line's
    ``client_id`` is ``invoice:SKU:n`` (the n-th line of that SKU on that invoice) and
    ``(source, client_id)`` is unique. Cancellations are stored as purchases with a
    negative quantity and netted at training time. New products get the most common
    Description as title, a unique slug, the last price and no stock; existing
    products are left as the catalogue import made them.
    """
    started = time.perf_counter()
    stats = online_retail.ReadStats()
    report = (lambda done, total: progress("read", done, total)) if progress else None
    lines = list(online_retail.read_online_retail(path, stats, report))
    result = EventImportResult(lines=stats.lines, events_in_file=len(lines), not_goods=stats.not_goods,
                               not_purchases=stats.not_purchases, errors=stats.errors)

    product_ids, result.products_created = _products_for_lines(lines)

    seen: Counter = Counter()
    received_at = timezone.now()
    before = Event.objects.filter(source=source).count()
    for start in range(0, len(lines), batch_size):
        rows = []
        for line in lines[start : start + batch_size]:
            key = (line.invoice, line.sku)
            seen[key] += 1
            rows.append((source, f"{line.invoice}:{line.sku}:{seen[key]}", EventType.PURCHASE.value,
                         product_ids[line.sku], "", "", line.customer, line.invoice, line.quantity, line.price,
                         line.occurred_at, received_at))
        with transaction.atomic():
            _insert_events(rows)
        if progress:
            progress("write", min(start + batch_size, len(lines)), len(lines))
    result.created = Event.objects.filter(source=source).count() - before
    result.seconds = time.perf_counter() - started
    return result


_EVENT_COLUMNS = ("source", "client_id", "type", "product_id", "query", "session_id", "customer_id", "order_id",
                  "quantity", "price", "occurred_at", "received_at", "experiment_variant")


def _insert_events(rows: list[tuple]) -> None:
    """Insert event rows (in ``_EVENT_COLUMNS`` order), skipping ``(source, client_id)`` already stored.

    Raw SQL because the ORM's ``bulk_create`` spends most of an import preparing each
    field of each row in Python (about 80 s of 110 s for the Online Retail file on
    SQLite); here a row is a tuple and only the dates and prices are adapted.
    """
    ops = connection.ops
    price_field = Event._meta.get_field("price")
    prepared = [
        (*row[:9],
         None if row[9] is None else ops.adapt_decimalfield_value(row[9], price_field.max_digits, price_field.decimal_places),
         ops.adapt_datetimefield_value(row[10]), ops.adapt_datetimefield_value(row[11]),
         "")  # experiment_variant: an imported order saw no copy experiment (NOT NULL, no database default)
        for row in rows
    ]
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _EVENT_COLUMNS)
    one_row = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # executemany runs the one-row statement in SQLite's C loop: no per-row Python.
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one_row} ON CONFLICT DO NOTHING", prepared)
            return
        for chunk in _chunks(prepared, 1000):  # PostgreSQL: one round trip per 1,000 rows
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(chunk))} "
                           "ON CONFLICT DO NOTHING", [value for row in chunk for value in row])


def _products_for_lines(lines: list[online_retail.Line]) -> tuple[dict[str, int], int]:
    """Product id by SKU for every SKU in ``lines``, creating the missing products in bulk."""
    names: dict[str, Counter] = {}
    prices = {}
    for line in lines:
        names.setdefault(line.sku, Counter())[line.description] += 1
        if line.quantity > 0 and line.price is not None:
            prices[line.sku] = line.price
    skus = list(names)
    found = {}
    for chunk in _chunks(skus):
        found.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    missing = [sku for sku in skus if sku not in found]
    if missing:
        titles = {sku: _title(names[sku], sku) for sku in missing}
        slugs = _unique_slugs({sku: slugify(f"{titles[sku]}-{sku}")[:190] or slugify(sku) or "product" for sku in missing})
        with transaction.atomic():
            Product.objects.bulk_create(
                [Product(sku=sku, slug=slugs[sku], title=titles[sku], price=prices.get(sku), currency="GBP", stock=0)
                 for sku in missing],
                batch_size=500, ignore_conflicts=True,  # a concurrent import may have created some
            )
            content_services.catalog_changed()  # new active products: the storefront's cached pages go stale
        for chunk in _chunks(missing):
            found.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return found, len(missing)


def _title(names: Counter, sku: str) -> str:
    """The most common non-empty description (the shop renames products and types notes into it)."""
    best = [name for name, _ in names.most_common() if name]
    return (best[0] if best else sku)[:300]


def _unique_slugs(wanted: dict[str, str]) -> dict[str, str]:
    """Slugs no product has and no two new products share (SKUs may differ only in case)."""
    taken = set()
    values = list(set(wanted.values()))
    for chunk in _chunks(values):
        taken.update(Product.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    # Suffixed candidates could also be taken; check them in one more query each round.
    result: dict[str, str] = {}
    pending = dict(wanted)
    suffix = 1
    while pending:
        candidates = {sku: (base if suffix == 1 else f"{base[:190]}-{suffix}") for sku, base in pending.items()}
        if suffix > 1:
            for chunk in _chunks(list(candidates.values())):
                taken.update(Product.objects.filter(slug__in=chunk).values_list("slug", flat=True))
        still = {}
        for sku, slug in candidates.items():
            if slug in taken:
                still[sku] = pending[sku]
            else:
                taken.add(slug)
                result[sku] = slug
        pending, suffix = still, suffix + 1
    return result


# --- Training, activation, rollback ---------------------------------------------------------------

STALE_TRAINING = timedelta(hours=6)  # a "training" row older than this was left by a crashed process
TrainProgress = Callable[[str, int, int], None]  # (stage, done, total)


def model_train(
    *, since: datetime | None = None, until: datetime | None = None, feedback: tuple[str, ...] = (EventType.PURCHASE,),
    embeddings: str = "auto", evaluate: bool = True, holdout_days: int = 30, k: int = 10,
    params: BlendParams | None = None, activate: bool | str = False, trigger: str = "command", actor=None,
    notes: str = "", progress: TrainProgress | None = None,
) -> ModelVersion:
    """Train a new version from stored events and save its artifact; optionally activate it.

    ``embeddings``: "auto" embeds product texts with the process's embedder and goes on
    without content similarity if it cannot load; "require" fails instead; "off" skips
    them. With ``evaluate`` every recommender and baseline is also scored on a holdout
    of the last ``holdout_days`` (fitted on the days before), and the numbers are stored
    on the version. ``activate``: True, False, or "if_sane" (activate unless the holdout
    shows the blend losing to plain popularity, the sign of a broken run).

    Invariants: one training at a time (a partial unique constraint on the status); a
    version is "ready" only once its artifact is written; a failure marks it "failed"
    with the reason and leaves the active version alone.
    """
    if embeddings not in ("auto", "require", "off"):
        raise ValueError(f"embeddings must be auto, require or off, not {embeddings!r}")
    _require(actor, "add_modelversion")
    started = time.perf_counter()
    ModelVersion.objects.filter(status=VersionStatus.TRAINING, started_at__lt=timezone.now() - STALE_TRAINING).update(
        status=VersionStatus.FAILED, failure_reason="abandoned: the training process stopped without finishing")
    params = params or BlendParams()
    try:
        with transaction.atomic():
            version = ModelVersion.objects.create(
                name=f"blend {timezone.localtime():%Y-%m-%d %H:%M}", algorithm="blend", trigger=trigger, notes=notes,
                parameters={"blend": asdict(params), "feedback": list(feedback), "since": _iso(since),
                            "until": _iso(until)},
            )
    except IntegrityError:
        running = ModelVersion.objects.filter(status=VersionStatus.TRAINING).first()
        since_when = f" (version #{running.pk}, started {running.started_at:%Y-%m-%d %H:%M} UTC)" if running else ""
        raise RecommenderError(f"another training is running{since_when}") from None
    try:
        _train_into(version, since=since, until=until, feedback=feedback, embeddings=embeddings,
                    evaluate=evaluate, holdout_days=holdout_days, k=k, params=params, progress=progress)
    except BaseException as exc:
        reason = str(exc) if isinstance(exc, RecommenderError) else f"{type(exc).__name__}: {exc}"
        ModelVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.FAILED, failure_reason=reason, seconds=time.perf_counter() - started)
        if not isinstance(exc, RecommenderError):
            logger.exception("training version %s failed", version.pk)
        raise
    ModelVersion.objects.filter(pk=version.pk).update(seconds=time.perf_counter() - started)
    version.refresh_from_db()
    if activate == "if_sane":
        problem = version_sanity_problem(version)
        if problem:
            ModelVersion.objects.filter(pk=version.pk).update(notes=_append(version.notes, f"not activated: {problem}"))
            version.refresh_from_db()
            return version
        activate = True
    if activate:
        model_activate(version=version, actor=actor, comment=f"trained ({trigger})")
        version.refresh_from_db()
    return version


def _train_into(version: ModelVersion, *, since, until, feedback, embeddings, evaluate, holdout_days, k,
                params, progress) -> None:
    def stage(name: str) -> None:
        if progress:
            progress(name, 0, 1)

    stage("load")
    data = training.load_training_data(since=since, until=until, feedback=feedback)
    if data is None or not (data.events.quantity > 0).any():
        raise RecommenderError("no events to train on (import or record purchase events first)")
    notes = []
    vectors, model_id = None, None
    if embeddings != "off":
        stage("embed")
        try:
            embedder = inference.get_embedder()
            vectors = training.embed_products(training.product_texts(data.item_pk), embedder, progress)
            model_id = embedder.model_id
        except inference.ModelError as exc:
            if embeddings == "require":
                raise RecommenderError(f"the embedding model is unavailable: {exc}") from exc
            notes.append(f"no content similarity: the embedding model is unavailable ({exc})")
    min_support = training.bought_together_support(data.events)
    metrics, protocol = {}, {}
    if evaluate:
        stage("evaluate")
        metrics, protocol = training.holdout_metrics(data, params=params, embeddings=vectors, min_support=min_support,
                                                     test_days=holdout_days, k=k, progress=progress)
        if protocol.get("skipped"):
            notes.append(f"no offline metrics: {protocol['skipped']}")
    stage("fit")
    artifact, train = training.fit_artifact(data, params=params, embeddings=vectors, min_support=min_support)
    stage("save")
    name = f"version-{version.pk}-{uuid.uuid4().hex[:8]}.npz"
    artifact.save(artifact_path(name))
    parameters = {**version.parameters, "embedding_model": model_id, "bought_together_min_support": min_support,
                  "neighbours": 100, "weights": artifact.weights, "evaluation": protocol}
    ModelVersion.objects.filter(pk=version.pk, status=VersionStatus.TRAINING).update(
        status=VersionStatus.READY, artifact=name, trained_at=timezone.now(), metrics=training.jsonable(metrics),
        parameters=training.jsonable(parameters), data_start=_aware(train.timestamp.min()),
        data_end=_aware(train.timestamp.max()), n_events=len(train), n_customers=train.n_users,
        n_items=int(artifact.recommendable.sum()), notes=_append(version.notes, *notes),
    )
    if progress:
        progress("done", 1, 1)


def version_sanity_problem(version: ModelVersion) -> str | None:
    """Why a freshly trained version should not go live on its own, or None.

    A blend that loses to plain popularity on its own holdout is broken (bad data,
    a bug); without enough data for a holdout there is nothing to check.
    """
    blend, popularity = version.metrics.get("blend"), version.metrics.get("popularity")
    if blend and popularity and blend["ndcg"] <= popularity["ndcg"]:
        return f"on the holdout the blend's NDCG ({blend['ndcg']:.4f}) is not above popularity's ({popularity['ndcg']:.4f})"
    return None


def model_activate(*, version: ModelVersion, actor=None, comment: str = "",
                   kind: str = ModelActivation.Kind.ACTIVATE) -> ModelVersion:
    """Make ``version`` the one that serves; the previous one stops serving in the same transaction.

    Refuses a version that is not ready, has no artifact file, or is already active.
    Every activation is logged (``ModelActivation``), which is what rollback follows.
    """
    _require(actor, "activate_modelversion")
    with transaction.atomic():
        target = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if not target.servable:
            what = "an offline evaluation (no artifact)" if target.status == VersionStatus.READY else target.get_status_display().lower()
            raise RecommenderError(f"version #{target.pk} cannot serve: it is {what}")
        if not artifact_path(target.artifact).exists():
            raise RecommenderError(f"version #{target.pk} cannot serve: its artifact {target.artifact} is missing")
        current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
        if current is not None and current.pk == target.pk:
            raise RecommenderError(f"version #{target.pk} is already active")
        if current is not None:
            ModelVersion.objects.filter(pk=current.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=target.pk).update(is_active=True, activated_at=timezone.now())
        ModelActivation.objects.create(kind=kind, from_version=current, to_version=target, actor=actor, comment=comment)
    target.refresh_from_db()
    return target


def model_rollback(*, actor=None, comment: str = "") -> ModelVersion:
    """Serve again the version that was active before the active one was activated.

    Rollbacks stack: after rolling back from C to B, rolling back again goes to the
    version B itself replaced (A), not back to C.
    """
    _require(actor, "activate_modelversion")
    current = ModelVersion.objects.filter(is_active=True).first()
    if current is None:
        raise RecommenderError("no version is active, so there is nothing to roll back")
    activation = (ModelActivation.objects.filter(to_version=current, kind=ModelActivation.Kind.ACTIVATE)
                  .select_related("from_version").first())
    previous = activation.from_version if activation else None
    if previous is None:
        raise RecommenderError(f"version #{current.pk} was the first one activated: there is none before it")
    return model_activate(version=previous, actor=actor, kind=ModelActivation.Kind.ROLLBACK,
                          comment=comment or f"rolled back from #{current.pk}")


def model_versions_delete(*, versions, actor=None) -> int:
    """Delete versions that are not active, with their artifact files."""
    _require(actor, "delete_modelversion")
    deleted = 0
    for version in versions:
        if version.is_active:
            raise RecommenderError(f"version #{version.pk} is active; activate another one first")
        name = version.artifact
        version.delete()
        if name:
            artifact_path(name).unlink(missing_ok=True)
        deleted += 1
    return deleted


def model_evaluate_file(*, path: str | Path, test_days: int = 30, k: int = 10,
                        progress: TrainProgress | None = None) -> tuple[dict, ModelVersion]:
    """Offline evaluation of every recommender and baseline on an Online Retail file.

    Trains on everything before the last ``test_days`` and scores each returning
    customer's purchases in those days @k (repeat purchases count). The numbers are
    stored on a version with no artifact (notes "offline evaluation") for the admin's chart.
    """
    from recommender.engine import load_online_retail, temporal_split
    from recommender.engine.evaluate import baselines, evaluate_recommender, product_recommenders

    started = time.perf_counter()
    try:
        events = load_online_retail(path, net=False)
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise RecommenderError(f"cannot read {path} as Online Retail: {type(exc).__name__}: {exc}") from exc
    if len(events) == 0:
        raise RecommenderError(f"{path} holds no purchases")
    split = temporal_split(events, test_days)
    if len(split.test_users) == 0:
        raise RecommenderError(f"no customer bought both before and in the last {test_days} days of {path}")
    models = [*baselines(), *product_recommenders()]
    results = {}
    for done, model in enumerate(models, start=1):
        if progress:
            progress(model.name, done - 1, len(models))
        results[model.name] = evaluate_recommender(model, split, k)
    if progress:
        progress("done", len(models), len(models))
    results = training.jsonable(results)
    version = ModelVersion.objects.create(
        name=f"offline evaluation of {Path(path).name}", algorithm="evaluation", status=VersionStatus.READY,
        parameters={"file": str(path), "format": "online-retail",
                    "evaluation": {"test_days": test_days, "k": k, "cut": str(split.cut),
                                   "test_customers": len(split.test_users), "train_lines": len(split.train)}},
        data_start=_aware(events.timestamp.min()), data_end=_aware(events.timestamp.max()), n_events=len(split.train),
        n_customers=int((np.bincount(split.train.user[split.train.user >= 0]) > 0).sum()),
        n_items=len(split.catalog), metrics=results, trained_at=timezone.now(), seconds=time.perf_counter() - started,
        trigger="evaluation", notes="offline evaluation",
    )
    return results, version


def _aware(value: np.datetime64) -> datetime:
    return datetime.fromtimestamp(int(value.astype("datetime64[s]").astype(np.int64)), tz=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _append(notes: str, *lines: str) -> str:
    return "\n".join(line for line in [notes, *lines] if line)


# --- Serving ---------------------------------------------------------------------------------------

MAX_RESULTS = 50
SESSION_POSITION_DECAY = 0.8  # the engine's SessionRecommender: the last click weighs 1, the one before 0.8 ...
FILL_POPULARITY_WEIGHT = 0.1  # sessions and similar items: popularity only fills in behind the context's signal
TOGETHER_SIMILAR_WEIGHT = 0.3  # bought together: similar items fill in when few orders link the product
TOGETHER_POPULARITY_WEIGHT = 0.05
FIRST_BATCH, LATER_BATCH = 100, 500  # candidates checked per eligibility query (SQLite: < 999 variables)


@dataclass(frozen=True)
class Reason:
    kind: str  # bought_before, bought_with, similar_to, customers_like_you, popular, featured
    text: str
    product: Product | None = None  # the anchor: "bought with <product>"
    category: str = ""


@dataclass(frozen=True)
class Recommendation:
    product: Product
    score: float
    reason: Reason


@dataclass(frozen=True)
class Recommendations:
    version: ModelVersion | None  # None: no version is active yet, and the list is empty
    items: list[Recommendation]


@dataclass(frozen=True)
class _Request:
    n: int
    exclude: tuple[str, ...]
    category: str | None
    per_category: int | None


def _request(n, exclude, category, per_category, setting: ShopSetting | None = None) -> _Request:
    if not 1 <= n <= MAX_RESULTS:
        raise RecommenderError(f"n must be 1 to {MAX_RESULTS}")
    if per_category is None:
        per_category = (setting or ShopSetting.load()).max_per_category
    return _Request(n, tuple(ref for ref in exclude if ref), category or None, per_category or None)


def _version_and_artifact(version: ModelVersion | None):
    version = version or selectors.version_active()
    if version is None:
        return None, None
    return version, artifacts.cached(version.artifact)


def recommend_for_customer(*, customer_id: str, n: int = 10, exclude=(), category: str | None = None,
                           per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """The blend for a customer; purchases since the version was trained stand in for a customer it never saw,
    and a customer with no purchases at all gets popularity (the new-visitor path).

    When the shop excludes purchases, nothing the customer bought (net of cancellations) is shown.
    """
    setting = ShopSetting.load()
    request = _request(n, exclude, category, per_category, setting)
    version, artifact = _version_and_artifact(version)
    if artifact is None:
        return Recommendations(None, [])
    history = None
    if customer_id not in artifact.customer_index:
        history = {artifact.pk_index[pk]: float(count) for pk, count in selectors.customer_purchases(customer_id).items()
                   if pk in artifact.pk_index}
    ranking = artifact.customer_ranking(customer_id, history)
    bought_filter = customer_id if setting.exclude_purchased else None
    return Recommendations(version, _serve(artifact, ranking, RuleContext.CUSTOMER, request, not_bought_by=bought_filter))


def recommend_for_session(*, session_id: str, n: int = 10, exclude=(), category: str | None = None,
                          per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """Products like the session's recent views, carts and purchases (the last weighing most), popularity
    filling in; a session with no events gets popularity. The session's own products are not shown."""
    request = _request(n, exclude, category, per_category)
    version, artifact = _version_and_artifact(version)
    if artifact is None:
        return Recommendations(None, [])
    recent = [artifact.pk_index[pk] for pk in selectors.session_products(session_id) if pk in artifact.pk_index]
    context = {item: SESSION_POSITION_DECAY ** rank for rank, item in enumerate(recent)}
    ranking = artifact.context_ranking(context, FILL_POPULARITY_WEIGHT)
    return Recommendations(version, _serve(artifact, ranking, RuleContext.SESSION, request))


def recommend_similar(*, product: Product, n: int = 10, exclude=(), category: str | None = None,
                      per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """Products bought by the same customers or described alike (content similarity, which also covers
    products nobody has bought yet); a product newer than the version gets what is popular in its category."""
    request = _request(n, exclude, category, per_category)
    version, artifact = _version_and_artifact(version)
    if artifact is None:
        return Recommendations(None, [])
    item = artifact.pk_index.get(product.pk)
    ranking = (artifact.similar_ranking(item, FILL_POPULARITY_WEIGHT) if item is not None
               else artifact.popular_ranking(product.category))
    return Recommendations(version, _serve(artifact, ranking, RuleContext.SIMILAR, request, never=(product.pk,)))


def recommend_bought_together(*, product: Product, n: int = 10, exclude=(), category: str | None = None,
                              per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """Products on the same orders more often than chance (lift), then similar products, then popular ones."""
    request = _request(n, exclude, category, per_category)
    version, artifact = _version_and_artifact(version)
    if artifact is None:
        return Recommendations(None, [])
    item = artifact.pk_index.get(product.pk)
    ranking = (artifact.together_ranking(item, TOGETHER_SIMILAR_WEIGHT, TOGETHER_POPULARITY_WEIGHT)
               if item is not None else artifact.popular_ranking(product.category))
    return Recommendations(version, _serve(artifact, ranking, RuleContext.BOUGHT_TOGETHER, request,
                                           never=(product.pk,)))


def _serve(artifact, ranking, context: str, request: _Request, *, not_bought_by: str | None = None,
           never: tuple[int, ...] = ()) -> list[Recommendation]:
    """The business rules, in order: candidates -> exclusions -> boost/bury -> pins -> per-category cap -> top N.

    Candidates are checked for eligibility (active, in stock, published copy, not
    excluded by the request, by a rule or by the bought filter) in batches, best
    first, until no unchecked candidate could still make the list.
    """
    rules = selectors.rules_in_force(context=context, category=request.category, now=timezone.now())
    excluded = {rule.product_id for rule in rules if rule.action == RuleAction.EXCLUDE} | set(never)
    pins: dict[int, int] = {}
    for rule in rules:
        if rule.action == RuleAction.PIN and rule.product_id not in excluded:
            pins.setdefault(rule.product_id, rule.position)
    adjust: Counter = Counter()
    for rule in rules:
        if rule.action in (RuleAction.BOOST, RuleAction.BURY):
            adjust[rule.product_id] += rule.weight if rule.action == RuleAction.BOOST else -rule.weight

    scores = ranking.scores.copy()
    for pk in excluded:
        if pk in artifact.pk_index:
            scores[artifact.pk_index[pk]] = -np.inf
    for ref in request.exclude:
        if ref in artifact.item_index:  # SKUs; slugs are excluded by the eligibility query
            scores[artifact.item_index[ref]] = -np.inf
    if request.category:
        scores[artifact.item_category != request.category] = -np.inf
    finite = np.flatnonzero(np.isfinite(scores))
    order = finite[np.lexsort((finite, -scores[finite]))]  # best first, ties to the lower index
    # Scores are scaled so the best candidate that may be shown scores 1; boosts and buries are in that unit.
    # Until one is found, the best candidate sets the scale (candidates are checked best first, so the first
    # eligible one found is the best eligible one).
    scale = float(scores[order[0]]) if order.size and scores[order[0]] > 0 else 1.0

    def final_score(pk: int) -> float:
        item = artifact.pk_index.get(pk)
        organic = float(scores[item]) / scale if item is not None and np.isfinite(scores[item]) else 0.0
        return organic + adjust.get(pk, 0.0)

    # Pinned and boosted products are checked up front: a boost can lift an item from anywhere in the list.
    extra = set(pins) | {pk for pk, change in adjust.items()
                         if change > 0 and pk in artifact.pk_index and np.isfinite(scores[artifact.pk_index[pk]])}

    def is_candidate(pk: int) -> bool:
        item = artifact.pk_index.get(pk)
        return item is not None and bool(np.isfinite(scores[item]))

    eligible: dict[int, Product] = {}
    checked = 0
    while True:
        batch = order[checked : checked + (FIRST_BATCH if checked == 0 else LATER_BATCH)]
        checked += len(batch)
        pks = set(artifact.item_pk[batch].tolist()) | extra
        extra = set()
        if pks:
            eligible.update(selectors.products_eligible(pks, exclude=request.exclude, category=request.category,
                                                        not_bought_by=not_bought_by))
        best = max((float(scores[artifact.pk_index[pk]]) for pk in eligible if is_candidate(pk)), default=0.0)
        if best > 0:
            scale = best
        chosen = _arrange(eligible, pins, final_score, request, organic=is_candidate)
        if checked >= order.size:
            break
        if len(chosen) < request.n:
            continue
        # Full: done unless an unchecked candidate (none is boosted) could outscore a chosen one.
        organic_scores = [final_score(pk) for pk in chosen if pk not in pins]
        if not organic_scores or min(organic_scores) >= float(scores[order[checked]]) / scale:
            break
    return _with_reasons(artifact, ranking, [eligible[pk] for pk in chosen], pins, final_score)


def _arrange(eligible: dict[int, Product], pins: dict[int, int], final_score, request: _Request, organic) -> list[int]:
    """Ranked eligible candidates, capped per category, with pins put at their positions; top N."""
    pinned = sorted((position, pk) for pk, position in pins.items() if pk in eligible)
    per_category = Counter(eligible[pk].category for _, pk in pinned)
    candidates = sorted((pk for pk in eligible if pk not in pins and organic(pk)), key=lambda pk: (-final_score(pk), pk))
    ranked = []
    for pk in candidates:
        category = eligible[pk].category
        if request.per_category and per_category[category] >= request.per_category:
            continue
        per_category[category] += 1
        ranked.append(pk)
        if len(ranked) >= request.n:
            break
    for position, pk in pinned:
        ranked.insert(min(position - 1, len(ranked)), pk)
    return ranked[: request.n]


def _with_reasons(artifact, ranking, chosen: list[Product], pins: dict[int, int], final_score) -> list[Recommendation]:
    """Each chosen product with its score and the reason to show it, naming the anchor product when it is active."""
    organic = [artifact.pk_index[p.pk] for p in chosen if p.pk not in pins]
    reasons = ranking.reasons(organic)
    anchor_pks = {int(artifact.item_pk[anchor]) for _, anchor, _ in reasons.values() if anchor is not None}
    anchors = selectors.products_shown_as_anchor(anchor_pks) if anchor_pks else {}
    result = []
    for product in chosen:
        if product.pk in pins:
            reason = Reason("featured", "featured")
        else:
            kind, anchor, _ = reasons[artifact.pk_index[product.pk]]
            anchor_product = anchors.get(int(artifact.item_pk[anchor])) if anchor is not None else None
            reason = _reason(kind, anchor_product, product)
        result.append(Recommendation(product, round(final_score(product.pk), 6), reason))
    return result


def _reason(kind: str, anchor: Product | None, product: Product) -> Reason:
    if kind == "bought_before":
        return Reason(kind, "you bought this before", product)
    if kind == "customers_like_you":
        return Reason(kind, "customers like you bought this")
    if kind == "popular":
        text = f"popular in {product.category}" if product.category else "popular"
        return Reason(kind, text, category=product.category)
    if anchor is None:
        return Reason(kind, {"bought_with": "often bought together", "similar_to": "similar to your earlier choices"}[kind])
    return Reason(kind, f"{kind.replace('_', ' ')} {anchor.title}", anchor)
