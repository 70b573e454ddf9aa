"""Recovering from lost workers and lost messages: leases, the sweeper, a broker that is down."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from content import services
from content.models import Draft, DraftEvent, DraftStatus
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


def claimed_draft(writer, *, minutes_ago: int, attempts: int = 1) -> Draft:
    services.drafts_request(products=[make_product()], kind="description", actor=writer)
    draft = services.drafts_claim(limit=1)[0]
    Draft.objects.filter(pk=draft.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=minutes_ago), attempts=attempts
    )
    return Draft.objects.get(pk=draft.pk)


def test_an_expired_claim_goes_back_to_the_queue(writer, settings):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    draft = claimed_draft(writer, minutes_ago=5)

    result = services.drafts_sweep()

    draft.refresh_from_db()
    assert draft.status == DraftStatus.QUEUED and draft.claimed_at is None
    assert result["requeued"] == 1
    assert DraftEvent.objects.filter(draft=draft).last().comment.startswith("claim expired")


def test_a_fresh_claim_is_left_alone(writer, settings):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 600
    draft = claimed_draft(writer, minutes_ago=1)

    services.drafts_sweep()

    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.GENERATING


def test_a_draft_whose_workers_keep_dying_fails_with_the_reason(writer, settings):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    draft = claimed_draft(writer, minutes_ago=5, attempts=services.MAX_ATTEMPTS)

    services.drafts_sweep()

    draft.refresh_from_db()
    assert draft.status == DraftStatus.FAILED
    assert draft.failure_reason == f"the worker stopped while generating ({services.MAX_ATTEMPTS} attempts)"


def test_a_lost_workers_late_result_is_dropped_after_the_draft_was_claimed_again(writer, settings, fake_models):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    stale = claimed_draft(writer, minutes_ago=5)
    services.drafts_sweep()
    fresh = services.drafts_claim(limit=1)

    late = services.drafts_generate([stale])  # the old worker wakes up and tries to save
    current = services.drafts_generate(fresh)

    assert late["in_review"] == 0 and current["in_review"] == 1
    assert DraftEvent.objects.filter(draft=stale, to_status=DraftStatus.IN_REVIEW).count() == 1


def test_a_request_while_the_broker_is_down_keeps_the_drafts_and_the_sweeper_sends_them(
    writer, monkeypatch, django_capture_on_commit_callbacks
):
    from content.tasks import generate_drafts

    sent = []

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(generate_drafts, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.drafts_request(products=[make_product(), make_product()], kind="description", actor=writer)

    assert job.total == 2 and Draft.objects.filter(status=DraftStatus.QUEUED).count() == 2

    monkeypatch.setattr(generate_drafts, "apply_async", lambda *a, **k: sent.append(1))
    result = services.drafts_sweep(now=timezone.now() + timedelta(minutes=2))

    assert result["dispatched"] == 1 and sent == [1]
