"""The admin: versions with their metrics chart, activate and roll back, rules, the shop setting."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from recommender.models import MerchandisingRule, ModelVersion, ShopSetting
from tests.recommender.factories import train

pytestmark = pytest.mark.django_db

METRICS = {name: {"precision": 0.2, "recall": 0.1, "ndcg": ndcg, "map": 0.1, "coverage": 0.3, "fit_seconds": 1.0}
           for name, ndcg in [("popularity", 0.09), ("buy_again", 0.32), ("blend", 0.36)]}


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    return client


def test_the_version_list_shows_metrics(admin_client, catalogue):
    version = train()
    ModelVersion.objects.filter(pk=version.pk).update(metrics=METRICS)

    response = admin_client.get(reverse("admin:ecomcms_recommender_modelversion_changelist"))

    assert response.status_code == 200
    assert "blend 0.3600" in response.content.decode()


def test_the_version_page_has_an_inline_svg_chart_of_every_metric(admin_client, catalogue):
    version = train()
    ModelVersion.objects.filter(pk=version.pk).update(metrics=METRICS, parameters={"evaluation": {"k": 10}})

    response = admin_client.get(reverse("admin:ecomcms_recommender_modelversion_change", args=[version.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    chart = page.split('aria-label="Offline metrics per recommender"')[1].split("</svg>")[0]
    for metric in ("ndcg@10", "precision@10", "recall@10", "map@10", "coverage@10"):
        assert metric in chart
    assert chart.count("<rect") == 5 * 3 + 3  # a bar per metric and recommender, a legend swatch per recommender
    assert "<script" not in chart and "href" not in chart  # drawn on the server, nothing fetched


def test_activate_and_roll_back_from_the_list(admin_client, catalogue):
    first, second = train(), train(activate=False)
    url = reverse("admin:ecomcms_recommender_modelversion_changelist")

    admin_client.post(url, {"action": "activate", "_selected_action": [second.pk]})
    assert ModelVersion.objects.get(is_active=True) == second

    response = admin_client.post(url, {"action": "roll_back", "_selected_action": [second.pk]}, follow=True)
    assert ModelVersion.objects.get(is_active=True) == first
    assert f"version #{first.pk} is active again" in response.content.decode()


def test_activating_a_version_that_cannot_serve_shows_why(admin_client, catalogue):
    active = train()
    failed = ModelVersion.objects.create(name="broken", status="failed")

    response = admin_client.post(reverse("admin:ecomcms_recommender_modelversion_changelist"),
                                 {"action": "activate", "_selected_action": [failed.pk]}, follow=True)

    assert "cannot serve" in response.content.decode()
    assert ModelVersion.objects.get(is_active=True) == active


def test_train_now_queues_the_task_after_commit(admin_client, catalogue, django_capture_on_commit_callbacks,
                                                monkeypatch):
    from recommender import tasks

    queued = []
    monkeypatch.setattr(tasks.train, "apply_async", lambda args, kwargs=None, **options: queued.append(kwargs))
    version = train()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(reverse("admin:ecomcms_recommender_modelversion_changelist"),
                          {"action": "train_now", "_selected_action": [version.pk]})
        assert queued == []  # nothing leaves before the commit
    callbacks[0]()

    assert queued == [{"activate": False, "trigger": "admin"}]


@pytest.mark.django_db(transaction=True)  # the task is sent after a real commit
def test_train_now_with_the_broker_down_says_so_and_changes_nothing(admin_client, catalogue, broker_down):
    version = train()

    response = admin_client.post(reverse("admin:ecomcms_recommender_modelversion_changelist"),
                                 {"action": "train_now", "_selected_action": [version.pk]}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Training was not queued: the task queue (broker) did not answer. Nothing changed; try again when it is back."]
    assert list(ModelVersion.objects.all()) == [version]


def test_only_who_may_add_versions_may_ask_for_training(catalogue):
    from recommender import services

    with pytest.raises(services.NotAllowed, match="may not add modelversion"):
        services.model_training_request(actor=User.objects.create_user("clerk", is_staff=True))


def test_rules_are_edited_in_the_admin(admin_client, catalogue):
    response = admin_client.post(reverse("admin:ecomcms_recommender_merchandisingrule_add"), {
        "product": catalogue["hat"].pk, "action": "pin", "position": "", "weight": "0.5", "context": "all",
        "category": "", "is_active": "on", "note": "",
    })

    assert response.status_code == 200  # the form comes back: a pin needs a position
    assert "A pin needs a position" in response.content.decode()
    assert not MerchandisingRule.objects.exists()


def test_the_shop_setting_opens_on_its_one_row(admin_client):
    response = admin_client.get(reverse("admin:ecomcms_recommender_shopsetting_changelist"))

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ecomcms_recommender_shopsetting_change", args=[ShopSetting.load().pk])
    assert admin_client.get(response["Location"]).status_code == 200


def test_the_chart_escapes_recommender_names():
    from recommender.charts import metrics_bar_chart

    chart = metrics_bar_chart({"<b>x</b>": METRICS["blend"]}, k=10)

    assert "<b>" not in chart and "&lt;b&gt;x&lt;/b&gt;" in chart
