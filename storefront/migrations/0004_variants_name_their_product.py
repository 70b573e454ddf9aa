"""Existing variants get their experiment's product and kind, and ``running`` from its status."""

from django.db import migrations


def variants_from_experiments(apps, schema_editor):
    ExperimentVariant = apps.get_model("ecomcms_storefront", "ExperimentVariant")
    for variant in ExperimentVariant.objects.select_related("experiment"):
        variant.product_id = variant.experiment.product_id
        variant.kind = variant.experiment.kind
        variant.running = variant.experiment.status == "running"
        variant.save(update_fields=["product", "kind", "running"])


class Migration(migrations.Migration):

    dependencies = [("ecomcms_storefront", "0003_category_experiments")]

    operations = [
        migrations.RunPython(variants_from_experiments, migrations.RunPython.noop),
    ]
