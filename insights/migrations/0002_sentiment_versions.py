"""The sentiment model's versions move to the fine-tuning path (purpose ``insights.sentiment``).

Before, ``train_sentiment`` kept its own store: ``<ECOMCMS_DATA_DIR>/sentiment/v<N>.npz`` + ``v<N>.json``
and an ``ACTIVE`` file. Each saved version becomes an ``ecomcms.Adapter`` version of the purpose (its
files read where they are), in order; the one ``ACTIVE`` named stays active. They were made before
versions were gated, so their gate is marked passed with that reason: an operator can roll back to
them. Nothing is deleted; once migrated, ``ACTIVE`` is no longer read and the folder may be removed.
"""

import json
from pathlib import Path

from django.db import migrations

PURPOSE = "insights.sentiment"


def _scores(metrics: dict | None) -> dict:
    metrics = metrics or {}
    return {key: ({"value": metrics[key]} if key in ("accuracy", "macro_f1") else metrics[key])
            for key in ("accuracy", "macro_f1", "f1_negative", "f1_neutral", "f1_positive") if key in metrics}


def sentiment_store_to_versions(apps, schema_editor):
    from ecomcms.conf import conf

    folder = Path(conf.ECOMCMS_DATA_DIR) / "sentiment"
    if not folder.is_dir():
        return
    documents = []
    for path in folder.glob("v*.json"):
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if path.with_suffix(".npz").is_file() and str(document.get("version", "")).isdigit():
            documents.append((int(document["version"]), path.with_suffix(""), document))
    try:
        active = int((folder / "ACTIVE").read_text().strip())
    except (OSError, ValueError):
        active = None
    Adapter = apps.get_model("ecomcms", "Adapter")
    AdapterActivation = apps.get_model("ecomcms", "AdapterActivation")
    version = Adapter.objects.filter(purpose=PURPOSE).order_by("-version").values_list("version", flat=True).first()
    version = version or 0
    for number, stem, document in sorted(documents, key=lambda item: item[0]):
        if Adapter.objects.filter(purpose=PURPOSE, path=str(stem)).exists():
            continue
        version += 1
        cues = document.get("cue_words_metrics") or {}
        measured = _scores(document.get("metrics")) | {
            "model": f"model ({document.get('recipe', '?')})", "held_out": document.get("test_reviews"),
            "held_out_products": document.get("test_products"),
            "cue_words_accuracy": cues.get("accuracy"), "cue_words_macro_f1": cues.get("macro_f1")}
        adapter = Adapter.objects.create(
            purpose=PURPOSE, version=version, base_model=document.get("embedding_model", ""), status="ready",
            parameters={"migrated_from": str(stem), "recipe": document.get("recipe", ""),
                        "seed": document.get("seed"), "path": document.get("source", "")},
            data={"train": document.get("train_reviews"), "held_out": document.get("test_reviews"),
                  "source": document.get("source", "")},
            metrics={"base": {"model": "cue words", **_scores(cues)}, "adapter": measured,
                     "gate": {"passed": True, "reasons": [
                         f"sentiment model v{number} of {folder}, saved before versions were gated"]}},
            path=str(stem),
        )
        if number == active:
            Adapter.objects.filter(purpose=PURPOSE, is_active=True).update(is_active=False)
            Adapter.objects.filter(pk=adapter.pk).update(is_active=True)
            AdapterActivation.objects.create(purpose=PURPOSE, kind="activate", to_adapter=adapter)


class Migration(migrations.Migration):

    dependencies = [
        ("ecomcms_insights", "0001_initial"),
        ("ecomcms", "0004_cache_generation"),
    ]

    operations = [
        migrations.RunPython(sentiment_store_to_versions, migrations.RunPython.noop),
    ]
