"""ecomcms: the runtime floor (models, API kit, queueing) and this product's project (settings, URLs, Celery).

Importing the package creates nothing: a host project that lists ``ecomcms`` in INSTALLED_APPS keeps
its own Celery app (see ``ecomcms.celery_config``).
"""
