"""This product's Celery app. Workers load their models once per process, after the fork.

Queues: ``generation`` (the LLM: one task at a time, late ack, prefetch 1), ``training`` (fine-tuning)
and ``default`` (embeddings and everything else). Start one worker per queue so a long generation
batch never holds up embedding or bookkeeping work::

    celery -A ecomcms worker -Q generation --concurrency 1 -n generation@%h
    celery -A ecomcms worker -Q default --concurrency 1 -n default@%h

Routes, the beat schedule and the worker hooks come from ``ecomcms.celery_config``, which a host
project's own Celery app uses the same way. ``ecomcms/settings.py`` imports this module (what a
project package's ``__init__`` usually does): the ``ecomcms`` package itself creates no app, since a
host project imports it too.
"""

from __future__ import annotations

import os

from celery import Celery

from ecomcms import celery_config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")

app = Celery("ecomcms")
app.config_from_object("django.conf:settings", namespace="CELERY")
celery_config.configure(app)
app.autodiscover_tasks()
