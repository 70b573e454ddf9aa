"""Copy is stored as plain text: decode the entities (and drop the tags) in copy stored before.

Until now post-processing kept a few tags and HTML-escaped the rest, so "Salt & pepper" was
stored as "Salt &amp; pepper". Outputs escape plain text now; this turns stored copy into it.
The function is copied here (not imported) so the migration keeps working when the code changes.
"""

import html
import re

import nh3
from django.db import migrations
from django.db.models import Q

_BREAK_TAGS = re.compile(r"<br\s*/?>|</p\s*>|</li\s*>|</div\s*>|</h[1-6]\s*>", re.IGNORECASE)


def _plain_text(text: str) -> str:
    text = _BREAK_TAGS.sub("\n", text or "")
    for _ in range(10):
        cleaned = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))
        if cleaned == text:
            break
        text = cleaned
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip()


def _convert(model, fields):
    marked = Q()
    for field in fields:
        marked |= Q(**{f"{field}__contains": "&"}) | Q(**{f"{field}__contains": "<"})
    for row in model.objects.filter(marked).only("pk", *fields).iterator():
        updates = {field: _plain_text(getattr(row, field)) for field in fields if getattr(row, field)}
        changed = {field: value for field, value in updates.items() if value != getattr(row, field)}
        if changed:
            model.objects.filter(pk=row.pk).update(**changed)


def copy_to_plain_text(apps, schema_editor):
    _convert(apps.get_model("ecomcms_content", "Draft"), ["ai_text", "editor_text"])
    _convert(apps.get_model("ecomcms_content", "PublishedCopy"), ["text"])
    _convert(apps.get_model("ecomcms_content", "TemplatePreview"), ["text"])


class Migration(migrations.Migration):
    dependencies = [("ecomcms_content", "0006_review_summaries")]

    operations = [migrations.RunPython(copy_to_plain_text, migrations.RunPython.noop)]
