from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "storefront"
    label = "ecomcms_storefront"  # unique in a host project that has its own "storefront" app
    verbose_name = "Storefront API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The API kit authenticates bearer tokens; they are ours (created in the admin, with scopes).
        from ecomcms.api import auth
        from storefront import services
        from storefront.models import StorefrontToken

        auth.register_tokens(model=StorefrontToken, authenticate=services.token_authenticate)
