from django.apps import AppConfig


class RecommenderConfig(AppConfig):
    name = "recommender"
    label = "ecomcms_recommender"  # unique in a host project that has its own "recommender" app
    verbose_name = "Recommender"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from recommender.generation import connect_receivers

        connect_receivers()  # rules and settings edits make the cached recommendation lists stale
