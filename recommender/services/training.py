"""Training a version, activating it, rolling back, deleting, and evaluating a file offline."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from ecomcms import inference, queueing
from ecomcms.errors import require_permission
from recommender.artifacts import artifact_path
from recommender.generation import recommendations_changed
from recommender.models import EventType, ModelActivation, ModelVersion, VersionStatus
from recommender.services._base import NotAllowed, RecommenderError

if TYPE_CHECKING:
    from recommender.engine.blend import BlendParams

logger = logging.getLogger(__name__)


STALE_TRAINING = timedelta(hours=6)  # a "training" row older than this was left by a crashed process
TrainProgress = Callable[[str, int, int], None]  # (stage, done, total)


def model_training_request(*, actor, trigger: str = "admin") -> queueing.Dispatch:
    """Queue a training run in the worker (the admin's "train now"); the new version is not activated.

    Nothing is stored until the worker trains, so a broker that is down loses nothing: the returned
    ``Dispatch`` says the task was not sent, and the door tells the person to try again.
    """
    require_permission(actor, "ecomcms_recommender.add_modelversion", error=NotAllowed)
    from recommender import tasks  # tasks import the services: look the task up when it is sent

    return queueing.send_after_commit(tasks.train, kwargs={"activate": False, "trigger": trigger})


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
    require_permission(actor, "ecomcms_recommender.add_modelversion", error=NotAllowed)
    started = time.perf_counter()
    ModelVersion.objects.filter(status=VersionStatus.TRAINING, started_at__lt=timezone.now() - STALE_TRAINING).update(
        status=VersionStatus.FAILED, failure_reason="abandoned: the training process stopped without finishing")
    if params is None:
        from recommender.engine.blend import BlendParams

        params = BlendParams()
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
    from recommender import training  # implicit, scipy: loaded where a model is trained

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
        return (f"on the holdout the blend's NDCG ({blend['ndcg']:.4f}) is not above popularity's "
                f"({popularity['ndcg']:.4f})")
    return None


def model_activate(*, version: ModelVersion, actor=None, comment: str = "",
                   kind: str = ModelActivation.Kind.ACTIVATE) -> ModelVersion:
    """Make ``version`` the one that serves; the previous one stops serving in the same transaction.

    Refuses a version that is not ready, has no artifact file, or is already active.
    Every activation is logged (``ModelActivation``), which is what rollback follows.
    """
    require_permission(actor, "ecomcms_recommender.activate_modelversion", error=NotAllowed)
    with transaction.atomic():
        target = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if not target.servable:
            what = (
                "an offline evaluation (no artifact)"
                if target.status == VersionStatus.READY
                else target.get_status_display().lower()
            )
            raise RecommenderError(f"version #{target.pk} cannot serve: it is {what}")
        if not artifact_path(target.artifact).exists():
            raise RecommenderError(f"version #{target.pk} cannot serve: its artifact {target.artifact} is missing")
        current = ModelVersion.objects.select_for_update().filter(is_active=True).first()
        if current is not None and current.pk == target.pk:
            raise RecommenderError(f"version #{target.pk} is already active")
        if current is not None:
            ModelVersion.objects.filter(pk=current.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=target.pk).update(is_active=True, activated_at=timezone.now())
        recommendations_changed()  # cached lists were the previous version's
        ModelActivation.objects.create(kind=kind, from_version=current, to_version=target, actor=actor, comment=comment)
    target.refresh_from_db()
    return target


def model_rollback(*, actor=None, comment: str = "") -> ModelVersion:
    """Serve again the version that was active before the active one was activated.

    Rollbacks stack: after rolling back from C to B, rolling back again goes to the
    version B itself replaced (A), not back to C.
    """
    require_permission(actor, "ecomcms_recommender.activate_modelversion", error=NotAllowed)
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
    require_permission(actor, "ecomcms_recommender.delete_modelversion", error=NotAllowed)
    deleted = 0
    for version in versions:
        if version.is_active:
            raise RecommenderError(f"version #{version.pk} is active; activate another one first")
        name = version.artifact
        version.delete()
        recommendations_changed()  # lists cached for ?version= of this one
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
    from recommender import training
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
