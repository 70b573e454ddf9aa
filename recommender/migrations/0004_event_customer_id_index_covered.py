"""Drop the event table's single-column index on ``customer_id`` (and its ``LIKE`` twin on PostgreSQL).

The ``(customer_id, type)`` index starts with the same column, so it serves every lookup the single-column
one did (all equality, docs/performance.md), and no query reads ``customer_id`` with ``LIKE``; each
index cost every ingested event an insertion. Dropped by name rather than by ``AlterField``, which on
SQLite would copy the whole table to remove an index.
"""

from django.db import migrations, models

TABLE = "ecomcms_recommender_event"
INDEX = "ecomcms_recommender_event_customer_id_4917dd84"  # Django's name for db_index=True on customer_id


def drop_indexes(apps, schema_editor):
    for name in (INDEX, f"{INDEX}_like"):  # the _like one exists on PostgreSQL only
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_indexes(apps, schema_editor):
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {quote(INDEX)} ON {quote(TABLE)} ({quote('customer_id')})")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {quote(INDEX + '_like')} ON {quote(TABLE)} "
                              f"({quote('customer_id')} varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [
        ("ecomcms_recommender", "0003_event_experiment_variant"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="customer_id",
                    field=models.CharField(blank=True, max_length=100),
                ),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
