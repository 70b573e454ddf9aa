"""The quick start's demo: events over the demo catalogue and an active version, fast, once."""

import time
from io import StringIO

import pytest
from django.core.management import call_command

from recommender import services
from recommender.models import Event, ModelVersion

pytestmark = pytest.mark.django_db


def test_the_demo_loads_events_and_an_active_version_once_and_quickly():
    started = time.perf_counter()
    out = StringIO()
    call_command("load_demo", "--no-drafts", stdout=out)
    seconds = time.perf_counter() - started
    events = Event.objects.filter(source="demo").count()

    call_command("load_demo", "--no-drafts", stdout=StringIO())

    version = ModelVersion.objects.get()
    assert version.is_active and version.trigger == "demo"
    assert events > 300
    assert Event.objects.filter(source="demo").count() == events
    assert "demo recommender: version" in out.getvalue()
    assert seconds < 10
    assert version.metrics["blend"]["ndcg"] > version.metrics["popularity"]["ndcg"]
    # Demo products show once they have published copy; until then the lists are empty, not an error.
    assert services.recommend_for_session(session_id="demo-visitor-01").version == version
