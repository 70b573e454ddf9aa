"""The shop's own Celery app, with ecomcms's routes, beat schedule and worker hooks added to it."""

import os

from celery import Celery

import ecomcms.celery_config

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
ecomcms.celery_config.configure(app)
app.autodiscover_tasks()
