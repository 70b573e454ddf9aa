# The shop's Celery app, loaded with Django so that tasks are sent through it.
from shop.celery import app as celery_app

__all__ = ["celery_app"]
