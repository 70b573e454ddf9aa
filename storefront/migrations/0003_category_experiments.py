"""Category experiments: an experiment on a product or on a category; each variant names its product.

Three steps (0003 to 0005), each its own transaction: on PostgreSQL a table whose rows were just
updated cannot be altered in the same transaction (pending foreign-key trigger events).
"""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ecomcms_content", "0009_draft_challenger_adapter"),
        ("ecomcms_storefront", "0002_experiments"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="experimentvariant", name="unique_variant_label"),
        migrations.AlterField(
            model_name="experiment", name="product",
            field=models.ForeignKey(blank=True, help_text="A product experiment: this product.", null=True,
                                    on_delete=django.db.models.deletion.CASCADE, related_name="experiments",
                                    to="ecomcms_content.product"),
        ),
        migrations.AddField(
            model_name="experiment", name="category",
            field=models.CharField(blank=True, help_text="A category experiment: this category.", max_length=120),
        ),
        migrations.AddField(
            model_name="experiment", name="arm_by",
            field=models.CharField(blank=True, choices=[("template", "Template version"),
                                                        ("adapter", "Adapter (or the base model)"),
                                                        ("model", "Model")],
                                   help_text="A category experiment: what its arms differ in.", max_length=16),
        ),
        migrations.AddField(
            model_name="experiment", name="arms",
            field=models.JSONField(blank=True, default=list,
                                   help_text="A category experiment: its arms in label order, each {by, value, label}."),
        ),
        migrations.AddField(
            model_name="experiment", name="coverage",
            field=models.JSONField(blank=True, default=dict,
                                   help_text="A category experiment: active products in the category when it started, "
                                             "how many were in it, how many lacked a draft of an arm, how many were "
                                             "under another running experiment."),
        ),
        migrations.AddField(
            model_name="experimentvariant", name="product",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="ecomcms_content.product"),
        ),
        migrations.AddField(
            model_name="experimentvariant", name="kind",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="experimentvariant", name="running",
            field=models.BooleanField(default=True),
        ),
    ]
