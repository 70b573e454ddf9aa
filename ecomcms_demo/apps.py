from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ecomcms_demo"
    label = "ecomcms_demo"
    verbose_name = "ecomcms demo"
