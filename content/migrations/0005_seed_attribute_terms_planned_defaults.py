"""Seed the attribute vocabularies guarded generation keeps to, and make the default description,
headline and SEO-title templates planned (what won on the copy-quality harness, docs/copy-quality.md).

A template an editor wrote keeps its strategy; only an active template whose text is still the
built-in default gets a new version with strategy "planned" (versions are never changed in place).
"""

from django.db import migrations
from django.db.models import Max

MATERIALS = [
    ("cotton", ""), ("polyester", ""), ("wool", "woollen, woolen"), ("merino", ""), ("cashmere", ""), ("alpaca", ""),
    ("mohair", ""), ("silk", ""), ("linen", ""), ("nylon", "polyamide"), ("leather", ""), ("faux leather", "vegan leather"),
    ("suede", ""), ("denim", ""), ("canvas", ""), ("velvet", ""), ("satin", ""), ("bamboo", ""), ("hemp", ""),
    ("acrylic", ""), ("spandex", "elastane, lycra"), ("viscose", "rayon"), ("lyocell", "tencel"),
    ("stainless steel", ""), ("steel", ""), ("cast iron", ""), ("aluminium", "aluminum"), ("titanium", ""),
    ("plastic", ""), ("glass", ""), ("ceramic", ""), ("porcelain", ""), ("stoneware", ""), ("wood", "wooden"),
    ("oak", ""), ("walnut", ""), ("beech", ""), ("teak", ""), ("cork", ""), ("rubber", ""), ("silicone", ""),
    ("latex", ""), ("memory foam", ""), ("gold", ""), ("silver", ""), ("copper", ""), ("brass", ""), ("bronze", ""),
    ("marble", ""), ("carbon fibre", "carbon fiber"), ("mesh", ""), ("fleece", ""), ("down", ""), ("foam", ""),
]
COLOURS = [
    ("black", ""), ("white", ""), ("grey", "gray"), ("red", ""), ("blue", ""), ("navy", ""), ("green", ""),
    ("yellow", ""), ("orange", ""), ("purple", ""), ("violet", ""), ("pink", ""), ("brown", ""), ("beige", ""),
    ("ivory", ""), ("khaki", ""), ("teal", ""), ("turquoise", ""), ("maroon", ""), ("burgundy", ""),
    ("charcoal", ""), ("lavender", ""), ("lilac", ""), ("indigo", ""), ("magenta", ""), ("cyan", ""),
]
CERTIFICATIONS = [
    ("OEKO-TEX", "Oeko-Tex, OEKO TEX"), ("GOTS", ""), ("Fairtrade", "Fair Trade"), ("FSC", ""), ("bluesign", ""),
    ("B Corp", ""), ("USDA Organic", ""), ("Energy Star", ""), ("CE", ""), ("FCC", ""), ("UL", ""), ("RoHS", ""),
    ("ISO 9001", ""), ("BPA-free", "BPA free"), ("ASTM", ""), ("CPSIA", ""),
]
FEATURES = [
    ("Bluetooth", ""), ("Wi-Fi", "WiFi"), ("USB", ""), ("NFC", ""), ("GPS", ""), ("waterproof", ""),
    ("IPX4", ""), ("IPX5", ""), ("IPX6", ""), ("IPX7", ""), ("IP67", ""), ("IP68", ""),
]
PLANNED_KINDS = ("description", "ad_headline", "seo_title")
DEFAULT_TEXT = {
    "description": "Write a product description of at most {max_chars} characters for this product.",
    "ad_headline": "Write one search-ad headline of at most {max_chars} characters for this product.",
    "seo_title": "Write an SEO title of at most {max_chars} characters for this product page.",
}


def seed(apps, schema_editor):
    AttributeTerm = apps.get_model("ecomcms_content", "AttributeTerm")
    for vocabulary, terms in (("material", MATERIALS), ("colour", COLOURS), ("certification", CERTIFICATIONS),
                                 ("feature", FEATURES)):
        for term, synonyms in terms:
            AttributeTerm.objects.get_or_create(vocabulary=vocabulary, term=term, defaults={"synonyms": synonyms})
    PromptTemplate = apps.get_model("ecomcms_content", "PromptTemplate")
    for kind in PLANNED_KINDS:
        active = PromptTemplate.objects.filter(kind=kind, is_active=True).first()
        if active is None or active.created_by_id is not None or active.user != DEFAULT_TEXT[kind] or active.strategy != "free":
            continue
        version = PromptTemplate.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] + 1
        PromptTemplate.objects.filter(pk=active.pk).update(is_active=False)
        PromptTemplate.objects.create(
            kind=kind, version=version, system=active.system, user=active.user, options=active.options,
            max_chars=active.max_chars, is_active=True, strategy="planned",
        )


class Migration(migrations.Migration):
    dependencies = [("ecomcms_content", "0004_template_strategy_attribute_terms")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
