"""Knowledge-base gaps: tickets no article answered well are clustered into suggested articles for review."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command

from ecomcms import inference
from support import gaps, services
from support.models import ArticleSuggestion, KnowledgeArticle, Ticket, TicketStatus
from support.services._base import _vector_bytes
from tests.support.factories import make_knowledge, make_lead, make_ticket
from tests.support.fakes import ScriptedGenerator

pytestmark = pytest.mark.django_db

GIFT = [
    ("Gift card balance", "How do I check the balance of my gift card? Mail me at ann@example.com"),
    ("Gift card balance question", "Where can I see how much is left on my gift card balance?"),
    ("Balance of a gift card", "I want to check my gift card balance before I order."),
]
RETURNS = [("Refund my money back", "I want my money back: please return the order within 30 days and we refund "
            "your money.")] * 3  # what the returns article says: covered
STAFF_REPLY = "You can check the gift card balance on the Gift cards page of your account. Questions: ops@example.com"


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_uncovered_tickets_are_clustered_and_covered_ones_and_strays_are_not():
    a, b, c, d = np.eye(4, dtype=np.float32)
    tickets = np.stack([unit(a + 0.1 * b), unit(a + 0.1 * c), unit(a), unit(b + 0.05 * c), unit(b), unit(b + 0.1 * a),
                        unit(d)])  # three near a, three near b, one stray
    articles = np.stack([unit(b)])  # b is covered
    scores, clusters = gaps.gaps(tickets, articles, threshold=0.5, distance=0.5, min_size=2)
    assert [sorted(c.members) for c in clusters] == [[0, 1, 2]]
    assert scores.round(3).tolist()[3:6] == pytest.approx([0.999, 1.0, 0.995], abs=0.005)


def make_resolved(subject: str, body: str, reply: str = STAFF_REPLY) -> Ticket:
    ticket, _ = make_ticket(subject=subject, body=body)
    services.ticket_reply(ticket=ticket, actor=None, body=reply, internal=False)
    services.ticket_reply(ticket=ticket, actor=None, body="internal: customer is a VIP (SECRET-NOTE)", internal=True)
    embedder = inference.get_embedder()
    vector = embedder.embed([services.ticket_model_text(ticket)]).vectors[0]
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.SOLVED, embedding=_vector_bytes(vector),
                                               embedding_model=embedder.model_id)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def history(recording_models, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The fake embedder is a bag of words: its cosines are not MiniLM's, whose defaults were measured.
    settings.SUPPORT_KB_GAP_THRESHOLD, settings.SUPPORT_KB_GAP_DISTANCE = 0.5, 0.5
    make_knowledge()
    gift = [make_resolved(s, b) for s, b in GIFT]
    returns = [make_resolved(s, b, reply="Start the return from your Orders page.") for s, b in RETURNS]
    return gift, returns


def test_a_gap_becomes_one_suggested_article_written_from_redacted_staff_replies_and_reviewed(
        history, django_capture_on_commit_callbacks, agent):
    gift, returns = history
    with django_capture_on_commit_callbacks(execute=False) as queued:
        (suggestion,) = services.kb_gaps_find()
    assert sorted(suggestion.tickets.values_list("pk", flat=True)) == sorted(t.pk for t in gift)
    assert suggestion.status == ArticleSuggestion.Status.PENDING and len(queued) == 1
    assert "gift card" in suggestion.title.lower()
    assert "ann@example.com" not in suggestion.title

    ScriptedGenerator.prompts = []
    ScriptedGenerator.reply = "Check your gift card balance on the Gift cards page of your account [EMAIL_1]."
    written = services.article_suggestion_write(suggestion.pk)
    (prompt,) = ScriptedGenerator.prompts
    assert "Gift cards page" in prompt.user  # the staff replies ...
    for absent in ("ops@example.com", "ann@example.com", "SECRET-NOTE", "how much is left"):
        assert absent not in prompt.system + prompt.user  # ... redacted; no notes, no customer messages
    article = written.article
    assert (written.status, article.is_published, article.tags) == (
        ArticleSuggestion.Status.READY, False, ["suggested"])
    assert "[EMAIL_1]" not in article.body and "Gift cards page" in article.body
    assert services.article_suggestion_write(suggestion.pk) is None  # a redelivered task changes nothing

    with pytest.raises(services.NotAllowed):
        services.article_suggestion_approve(suggestion=written, actor=agent)  # agents cannot publish it
    assert not KnowledgeArticle.objects.get(pk=article.pk).is_published
    services.article_suggestion_approve(suggestion=written, actor=make_lead())
    assert KnowledgeArticle.objects.get(pk=article.pk).is_published

    assert services.kb_gaps_find() == []  # its tickets are spent; nothing new


def test_rejecting_keeps_the_article_unpublished_and_needs_a_reason(history):
    (suggestion,) = services.kb_gaps_find()
    written = services.article_suggestion_write(suggestion.pk)
    lead = make_lead()
    with pytest.raises(services.SupportError):
        services.article_suggestion_reject(suggestion=written, actor=lead, reason=" ")
    rejected = services.article_suggestion_reject(suggestion=written, actor=lead, reason="duplicate")
    assert rejected.status == ArticleSuggestion.Status.REJECTED
    assert not KnowledgeArticle.objects.get(pk=written.article_id).is_published


def test_the_command_dry_run_writes_nothing(history, capsys):
    call_command("find_kb_gaps", "--dry-run")
    out = capsys.readouterr().out
    assert "1 gaps (dry run: nothing written)" in out and ArticleSuggestion.objects.count() == 0


def test_tickets_without_a_staff_reply_are_not_gaps(recording_models, settings):
    settings.SUPPORT_KB_GAP_THRESHOLD, settings.SUPPORT_KB_GAP_DISTANCE = 0.5, 0.5  # as in ``history``: a gap there
    make_knowledge()
    for subject, body in GIFT:
        ticket, _ = make_ticket(subject=subject, body=body)
        vector = inference.get_embedder().embed([services.ticket_model_text(ticket)]).vectors[0]
        Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.SOLVED, embedding=_vector_bytes(vector),
                                                   embedding_model=inference.get_embedder().model_id)
    assert services.kb_gaps_find() == []


def test_the_evaluation_finds_removed_intents_when_the_embedding_separates_them():
    from support.gaps_evaluation import evaluate

    intents = ["alpha", "beta", "gamma", "delta"]
    rows = [(f"{i} question {n}", i, f"{i} answer {n}") for i in intents for n in range(6)]

    def embed(texts):  # each text points at its intent, with a little noise per text
        out = []
        for text in texts:
            intent = next(i for i in intents if i in text.lower())
            v = np.zeros(len(intents) + 1, dtype=np.float32)
            v[intents.index(intent)] = 1.0
            v[-1] = 0.05 * (hash(text) % 7)
            out.append(v / np.linalg.norm(v))
        return np.stack(out)

    report = evaluate(rows, embed, seeds=[0, 1], per_intent=4, removed_fraction=0.5, grid=[(0.5, 0.3)])
    summary = report["results"][0]["summary"]
    assert summary["intent_recall"][0] == 1.0 and summary["cluster_precision"][0] == 1.0
    assert summary["detection_precision"][0] == 1.0 and summary["purity"][0] == 1.0


def test_evaluate_kb_gaps_refuses_a_bad_share_and_a_missing_file():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot read"):
        call_command("evaluate_kb_gaps", "--dataset", "/nonexistent.csv")
    with pytest.raises(CommandError, match="share"):
        call_command("evaluate_kb_gaps", "--dataset", __file__, "--removed", "1.5")


def test_a_suggestion_still_waiting_an_hour_later_is_sent_again_by_the_next_run(
        recording_models, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    old = ArticleSuggestion.objects.create(title="Gift cards", best_score=0.1, cohesion=0.9,
                                           created_at=timezone.now() - timedelta(hours=2))
    ArticleSuggestion.objects.create(title="Fresh", best_score=0.1, cohesion=0.9)  # its task may still be queued
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.kb_gaps_find()
    assert len(queued) == 1
    assert services.kb_gaps.kb_gaps_resend(now=timezone.now() + timedelta(hours=2)) == 2
    assert ArticleSuggestion.objects.get(pk=old.pk).status == ArticleSuggestion.Status.PENDING
