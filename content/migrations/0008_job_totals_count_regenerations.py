"""A job's total counts the drafts regenerated in it: before, "13 / 12" (108%) after one regeneration."""

from django.db import migrations
from django.db.models import Count, F


def count_regenerations(apps, schema_editor):
    GenerationJob = apps.get_model("ecomcms_content", "GenerationJob")
    for job in GenerationJob.objects.annotate(drafts_count=Count("drafts")).filter(drafts_count__gt=F("total")):
        GenerationJob.objects.filter(pk=job.pk).update(total=job.drafts_count)


class Migration(migrations.Migration):
    dependencies = [("ecomcms_content", "0007_plain_text_copy")]

    operations = [migrations.RunPython(count_regenerations, migrations.RunPython.noop)]
