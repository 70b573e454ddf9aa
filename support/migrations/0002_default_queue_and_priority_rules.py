"""A default queue and the starting priority rules (editable in the admin)."""

from django.db import migrations

RULES = [
    # name, priority, intents, sentiments, requires_order_reference, keywords
    ("Fraud, chargebacks and legal threats", "urgent", [], [], False,
     ["chargeback", "fraud", "fraudulent", "unauthorized", "unauthorised", "stolen card", "identity theft", "lawyer",
      "legal action", "police", "scam"]),
    ("Safety hazards", "urgent", [], [], False,
     ["caught fire", "smoke", "electric shock", "injured", "injury", "burned", "dangerous"]),
    ("Unhappy customer with an order", "high", [], ["negative"], True, []),
    ("Payment problems", "high", ["payment_issue"], [], False, []),
    ("Complaints", "high", ["complaint"], [], False, []),
    ("Changes before the order ships", "high", ["cancel_order", "change_order", "change_shipping_address"], [], False, []),
    ("Newsletter and reviews", "low", ["newsletter_subscription", "review"], [], False, []),
]


def create(apps, schema_editor):
    Queue = apps.get_model("ecomcms_support", "Queue")
    PriorityRule = apps.get_model("ecomcms_support", "PriorityRule")
    if not Queue.objects.filter(is_default=True).exists():
        Queue.objects.get_or_create(name="General", defaults={"is_default": True, "first_response_hours": 24,
                                                              "resolution_hours": 72})
    if not PriorityRule.objects.exists():
        for position, (name, priority, intents, sentiments, order, keywords) in enumerate(RULES, start=1):
            PriorityRule.objects.create(name=name, priority=priority, intents=intents, sentiments=sentiments,
                                        requires_order_reference=order, keywords=keywords, position=position * 10)


class Migration(migrations.Migration):
    dependencies = [("ecomcms_support", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
