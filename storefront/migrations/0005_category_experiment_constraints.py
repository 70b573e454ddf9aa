"""Every variant names its product; the database refuses two running experiments of a kind on a product."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("ecomcms_storefront", "0004_variants_name_their_product")]

    operations = [
        migrations.AlterField(
            model_name="experimentvariant", name="product",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="ecomcms_content.product"),
        ),
        migrations.AlterModelOptions(name="experimentvariant", options={"ordering": ["experiment", "product", "label"]}),
        migrations.AddIndex(
            model_name="experimentvariant",
            index=models.Index(fields=["product", "running"], name="variant_product_running"),
        ),
        migrations.AddConstraint(
            model_name="experiment",
            constraint=models.UniqueConstraint(condition=models.Q(("status", "running"), models.Q(("category", ""), _negated=True)),
                                               fields=("category", "kind"), name="one_running_experiment_per_category_kind"),
        ),
        migrations.AddConstraint(
            model_name="experiment",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("category", ""), ("product__isnull", False)),
                                   models.Q(("product__isnull", True), models.Q(("category", ""), _negated=True)),
                                   _connector="OR"),
                name="experiment_on_a_product_or_a_category"),
        ),
        migrations.AddConstraint(
            model_name="experimentvariant",
            constraint=models.UniqueConstraint(fields=("experiment", "product", "label"), name="unique_variant_label"),
        ),
        migrations.AddConstraint(
            model_name="experimentvariant",
            constraint=models.UniqueConstraint(condition=models.Q(("running", True)), fields=("product", "kind", "label"),
                                               name="one_running_variant_per_product_kind_label"),
        ),
    ]
