"""Training versions, their artifacts and metrics; activation and rollback."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from recommender import artifacts, services
from recommender.models import ModelActivation, ModelVersion, ShopSetting, VersionStatus
from tests.content.factories import make_user
from tests.recommender.factories import buy, make_shop_product, train

pytestmark = pytest.mark.django_db


def test_a_training_run_is_a_version_with_its_data_window_parameters_and_artifact(catalogue):
    version = train(activate=False)

    assert version.status == VersionStatus.READY
    assert not version.is_active
    assert artifacts.artifact_path(version.artifact).exists()
    assert version.n_events == 8 * 2 + 4 * 2 + 2 + 6 * 2 + 3 + 3 * 2 + 1 + 8 * 3  # the unshowable ones are events too
    assert version.n_items == 11
    assert version.data_start < version.data_end
    assert version.parameters["blend"]["popularity_weight"] == 0.35
    assert version.parameters["bought_together_min_support"] == 2
    assert version.parameters["feedback"] == ["purchase"]
    assert version.trained_at is not None and version.seconds > 0


def test_training_stores_the_holdout_metrics_of_every_recommender(db):
    products = [make_shop_product(f"p{i}", "c") for i in range(6)]
    for c in range(12):  # each customer reorders the same pair, before and inside the holdout
        for days_ago in (50, 40, 20, 5):
            buy(f"c{c}", f"O{c}-{days_ago}", [products[c % 3], products[c % 3 + 3]], days_ago=days_ago)

    version = train(evaluate=True, holdout_days=30, k=5, activate=False)

    assert set(version.metrics) == {"popularity", "buy_again", "implicit_als", "implicit_bm25", "decayed_popularity",
                                    "bought_together", "item_similarity", "user_cf", "session", "blend"}
    assert set(version.metrics["blend"]) == {"precision", "recall", "ndcg", "map", "coverage", "fit_seconds"}
    assert version.metrics["buy_again"]["recall"] == 1.0
    assert version.parameters["evaluation"]["test_customers"] == 12
    assert version.parameters["evaluation"]["k"] == 5


def test_with_too_little_data_for_a_holdout_the_version_says_so(catalogue):
    version = train(evaluate=True, activate=False)

    assert version.metrics == {}
    assert "no offline metrics" in version.notes


def test_training_without_events_fails_the_version_and_keeps_the_active_one(catalogue):
    active = train()

    with pytest.raises(services.RecommenderError, match="no events"):
        services.model_train(since=timezone.now(), embeddings="off", activate=True)

    failed = ModelVersion.objects.latest()
    assert failed.status == VersionStatus.FAILED
    assert "no events" in failed.failure_reason
    assert ModelVersion.objects.get(is_active=True) == active


def test_only_one_training_runs_at_a_time(catalogue):
    ModelVersion.objects.create(name="running", status=VersionStatus.TRAINING)

    with pytest.raises(services.RecommenderError, match="another training is running"):
        train()

    assert ModelVersion.objects.count() == 1


def test_a_training_abandoned_by_a_crashed_process_does_not_block_the_next(catalogue):
    stale = ModelVersion.objects.create(name="crashed", status=VersionStatus.TRAINING)
    ModelVersion.objects.filter(pk=stale.pk).update(started_at=timezone.now() - timedelta(hours=7))

    train()

    stale.refresh_from_db()
    assert stale.status == VersionStatus.FAILED
    assert "abandoned" in stale.failure_reason


def test_content_embeddings_make_a_product_nobody_bought_similar_to_its_kind(catalogue, fake_models):
    teapot = make_shop_product("teapot", "kitchen", title="Mug Tea Teapot", attributes={"material": "stoneware"})

    version = train(embeddings="auto")

    assert version.parameters["embedding_model"] == "fake-embedder"
    similar = services.recommend_similar(product=teapot, n=3)
    assert similar.items and similar.items[0].reason.kind == "similar_to"
    assert "teapot" in [i.product.slug for i in services.recommend_similar(product=catalogue["mug"], n=50).items]


def test_without_an_embedding_model_training_goes_on_and_says_so(catalogue, settings):
    from ecomcms import inference

    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.no_such_backend.Embedder"
    inference.reset()
    try:
        version = train(embeddings="auto")
        with pytest.raises(services.RecommenderError, match="embedding model is unavailable"):
            train(embeddings="require")
    finally:
        inference.reset()

    assert version.status == VersionStatus.READY
    assert "no content similarity" in version.notes
    assert version.parameters["embedding_model"] is None


def test_embeddings_are_reused_for_unchanged_products(catalogue, fake_models):
    from ecomcms import inference

    train(embeddings="require", activate=False)
    embedder = inference.get_embedder()
    calls = []
    original = embedder.embed
    embedder.embed = lambda texts: calls.append(len(texts)) or original(texts)
    make_shop_product("kettle", "kitchen")

    train(embeddings="require", activate=False)

    assert calls == [1]  # only the new product


# --- Activation and rollback -------------------------------------------------------------------------

def test_activating_a_version_retires_the_active_one_and_logs_it(catalogue):
    first, second = train(), train(activate=False)
    editor = make_user(None)
    editor.is_superuser = True
    editor.save()

    services.model_activate(version=second, actor=editor)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    entry = ModelActivation.objects.first()
    assert (entry.kind, entry.from_version, entry.to_version, entry.actor) == ("activate", first, second, editor)


def test_only_one_version_can_be_active(catalogue):
    first, second = train(), train(activate=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(is_active=True)

    assert list(ModelVersion.objects.filter(is_active=True)) == [first]


@pytest.mark.parametrize("change", ["failed", "evaluation", "missing artifact", "already active"])
def test_a_version_that_cannot_serve_is_never_activated(catalogue, change):
    active, other = train(), train(activate=False)
    if change == "failed":
        ModelVersion.objects.filter(pk=other.pk).update(status=VersionStatus.FAILED)
    elif change == "evaluation":
        ModelVersion.objects.filter(pk=other.pk).update(artifact="")
    elif change == "missing artifact":
        artifacts.artifact_path(other.artifact).unlink()
    else:
        other = active

    with pytest.raises(services.RecommenderError):
        services.model_activate(version=other)

    assert list(ModelVersion.objects.filter(is_active=True)) == [active]
    assert ModelActivation.objects.count() == 1


def test_activation_needs_the_permission(catalogue):
    version = train(activate=False)

    with pytest.raises(services.NotAllowed):
        services.model_activate(version=version, actor=make_user(None))

    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_rollbacks_go_back_one_activation_at_a_time(catalogue):
    a, b, c = train(), train(), train()

    assert services.model_rollback() == b
    assert services.model_rollback() == a
    with pytest.raises(services.RecommenderError, match="first one activated"):
        services.model_rollback()

    assert ModelVersion.objects.get(is_active=True) == a
    assert [(e.kind, e.from_version_id, e.to_version_id) for e in ModelActivation.objects.order_by("pk")] == [
        ("activate", None, a.pk), ("activate", a.pk, b.pk), ("activate", b.pk, c.pk),
        ("rollback", c.pk, b.pk), ("rollback", b.pk, a.pk),
    ]


def test_rolling_back_with_nothing_active_is_refused(catalogue):
    train(activate=False)

    with pytest.raises(services.RecommenderError, match="no version is active"):
        services.model_rollback()


def test_a_scheduled_version_is_activated_only_if_it_beats_popularity(catalogue):
    good = train(activate="if_sane")
    bad = train(activate=False)
    ModelVersion.objects.filter(pk=bad.pk).update(metrics={"blend": {"ndcg": 0.1}, "popularity": {"ndcg": 0.2}})
    bad.refresh_from_db()

    assert good.is_active
    assert "not above popularity" in services.version_sanity_problem(bad)
    assert ShopSetting.load().activate_scheduled_versions is True


def test_deleting_a_version_removes_its_artifact_but_never_the_active_one(catalogue):
    active, old = train(), train(activate=False)
    path = artifacts.artifact_path(old.artifact)

    services.model_versions_delete(versions=[old])
    with pytest.raises(services.RecommenderError, match="is active"):
        services.model_versions_delete(versions=[active])

    assert not path.exists()
    assert list(ModelVersion.objects.all()) == [active]
