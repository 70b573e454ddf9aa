"""ecomcms.celery_config: what a host project's Celery app takes to run ecomcms's tasks."""

from __future__ import annotations

from types import SimpleNamespace

from celery import Celery

from ecomcms import celery_config
from ecomcms.worker import models_for_queues


def _host_app(**settings) -> Celery:
    app = Celery("host", set_as_current=False)
    app.config_from_object(SimpleNamespace(**settings), namespace="CELERY")
    return app


def test_a_host_app_without_routes_or_schedule_gets_ours_when_it_loads_its_configuration():
    app = _host_app(CELERY_TASK_DEFAULT_QUEUE="celery")
    celery_config.configure(app)
    assert not app.configured  # nothing read yet: configure() waits for the app's own configuration

    assert app.conf.task_routes == celery_config.TASK_ROUTES
    assert app.conf.beat_schedule == celery_config.BEAT_SCHEDULE
    assert app.amqp.router.route({}, "content.generate_drafts")["queue"].name == "generation"
    assert app.amqp.router.route({}, "ecomcms.train_adapter")["queue"].name == "training"
    assert app.amqp.router.route({}, "support.triage_ticket")["queue"].name == "celery"  # the host's default


def test_the_hosts_own_routes_and_beat_entries_are_kept_and_win_on_a_clash():
    mine = {"task": "shop.send_newsletter", "schedule": 3600.0}
    app = _host_app(CELERY_TASK_ROUTES={"shop.*": {"queue": "shop"}, "content.generate_*": {"queue": "gpu"}},
                    CELERY_BEAT_SCHEDULE={"newsletter": mine, "sweep-generation": mine})
    celery_config.configure(app)

    assert app.conf.task_routes["shop.*"] == {"queue": "shop"}
    assert app.conf.task_routes["content.generate_*"] == {"queue": "gpu"}
    assert app.conf.task_routes["support.suggest_*"] == {"queue": "generation"}
    assert app.conf.beat_schedule["newsletter"] == mine
    assert app.conf.beat_schedule["sweep-generation"] == mine
    assert app.conf.beat_schedule["publish-due-drafts"] == celery_config.BEAT_SCHEDULE["publish-due-drafts"]


def test_a_host_with_a_list_of_routers_asks_its_own_first_and_configuring_twice_adds_ours_once():
    app = _host_app(CELERY_TASK_ROUTES=[{"content.*": {"queue": "shop"}}])
    celery_config.configure(app)
    celery_config.configure(app)

    assert app.conf.task_routes == [{"content.*": {"queue": "shop"}}, celery_config.TASK_ROUTES]
    assert app.amqp.router.route({}, "content.generate_drafts")["queue"].name == "shop"


def test_this_products_app_routes_the_model_work_to_its_queues():
    from ecomcms.celery import app

    assert app.amqp.router.route({}, "support.suggest_reply")["queue"].name == "generation"
    assert app.amqp.router.route({}, "content.sweep")["queue"].name == "default"
    assert set(celery_config.BEAT_SCHEDULE) <= set(app.conf.beat_schedule)


def test_the_default_queue_of_any_app_carries_the_embedding_model():
    assert models_for_queues(["generation"]) == ["text", "embeddings"]
    assert models_for_queues(["default"]) == ["embeddings"]
    assert models_for_queues(["celery"], default_queue="celery") == ["embeddings"]
    assert models_for_queues(["celery", "emails"], default_queue="default") == []
    assert models_for_queues(["training"]) == []
