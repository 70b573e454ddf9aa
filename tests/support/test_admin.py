"""The support admin: the queue and its filters, the ticket page and its buttons, bulk assign, rates."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from support.models import IntentLabel, ReplySuggestion, Ticket, TicketStatus
from tests.support.factories import make_agent, make_taxonomy, make_ticket

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:ecomcms_support_ticket_changelist")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def page(client, ticket):
    return client.get(reverse("admin:ecomcms_support_ticket_change", args=[ticket.pk]))


def act(client, ticket, **data):
    return client.post(reverse("admin:ecomcms_support_ticket_act", args=[ticket.pk]), data)


@pytest.mark.parametrize("query", [
    "", "?status__exact=new", "?priority__exact=urgent", "?intent=track_order", "?intent=__none__",
    "?confidence=low", "?sla=breached", "?sla=ok", "?sla=due_4h", "?needs_human_triage__exact=1",
    "?assignee__id__exact=1", "?q=anna", "?o=4",
])
def test_the_queue_renders_with_every_filter_in_a_fixed_number_of_queries(signed_in, query,
                                                                           django_assert_max_num_queries):
    for n in range(12):
        make_ticket(subject=f"Ticket {n}")

    with django_assert_max_num_queries(20):
        response = signed_in.get(CHANGELIST + query)

    assert response.status_code == 200


def test_the_queue_puts_urgent_tickets_first(signed_in):
    normal, _ = make_ticket(subject="Normal one")
    urgent, _ = make_ticket(subject="Urgent one")
    Ticket.objects.filter(pk=urgent.pk).update(priority="urgent")

    content = signed_in.get(CHANGELIST).content.decode()

    assert content.index("Urgent one") < content.index("Normal one")


def test_customer_text_is_escaped_everywhere(signed_in):
    ticket, _ = make_ticket(subject="<script>alert(1)</script>", body="<img src=x onerror=alert(2)>",
                            name="<b>Eve</b>")
    ReplySuggestion.objects.create(ticket=ticket, status="ready", text="<script>alert(3)</script>",
                                   flags=[{"code": "x", "message": "<i>flag</i>"}])

    for response in (signed_in.get(CHANGELIST), page(signed_in, ticket)):
        content = response.content.decode()
        assert "<script>alert" not in content and "<img src=x" not in content and "<b>Eve" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_ticket_page_shows_thread_predictions_and_the_suggestion_with_its_buttons(signed_in):
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(intent="track_order", intent_confidence="medium", intent_set_by="model")
    ReplySuggestion.objects.create(ticket=ticket, status="ready", text="It ships today [1].",
                                   flags=[{"code": "figure", "message": "Mentions 7"}])

    content = page(signed_in, ticket).content.decode()

    assert "Hi, where is my parcel? It has not arrived." in content
    assert 'id="predictions"' in content and "track_order" in content and "Medium" in content
    assert "It ships today [1]." in content and "Mentions 7" in content
    for button in ('value="accept"', 'value="edit"', 'value="reject"', 'value="reply"', 'value="note"'):
        assert button in content
    assert 'name="_save"' not in content  # decisions only through the buttons


def test_accept_and_send_from_the_ticket_page(signed_in, agent):
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status="ready", text="It ships today.")

    response = act(signed_in, ticket, action="accept", suggestion=suggestion.pk, status_after="solved")

    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert (suggestion.decision, suggestion.decided_by) == ("accepted", agent)
    assert mail.outbox[0].body.startswith("It ships today.")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.SOLVED
    assert "It ships today." in page(signed_in, ticket).content.decode()


def test_edit_reject_override_and_refusals_from_the_ticket_page(signed_in):
    make_taxonomy()
    ticket, _ = make_ticket()
    first = ReplySuggestion.objects.create(ticket=ticket, status="ready", text="Draft")

    act(signed_in, ticket, action="edit", suggestion=first.pk, text="Edited text")
    act(signed_in, ticket, action="override", field="intent", value="track_order")
    refused = act(signed_in, ticket, action="reject", suggestion=first.pk, reason="too late")

    first.refresh_from_db()
    assert (first.decision, first.sent_text) == ("edited", "Edited text")
    assert IntentLabel.objects.get().intent == "track_order"
    messages = [str(m) for m in refused.wsgi_request._messages]
    assert any("already edited" in m for m in messages)


@pytest.mark.parametrize(("data", "said", "happened"), [
    ({"action": "note", "body": "Called her back."}, "Added an internal note.",
     lambda ticket: ticket.messages.filter(author_kind="note", body="Called her back.").exists()),
    ({"action": "reply", "body": "It ships today.", "status_after": "waiting"}, "Sent your reply to the customer.",
     lambda ticket: mail.outbox and ticket.status == TicketStatus.WAITING),
    ({"action": "status", "status": "open", "comment": "on it"}, "Status changed.",
     lambda ticket: ticket.status == TicketStatus.OPEN),
    ({"action": "suggest"}, "A new reply is being suggested; reload in a moment.",
     lambda ticket: ticket.suggestions.filter(status="pending").exists()),
    ({"action": "retriage"}, "Triage queued again; reload in a moment.",
     lambda ticket: ticket.triage_status == "pending" and ticket.triage_attempts == 0),
])
def test_each_button_of_the_ticket_page_calls_its_service_and_says_what_it_did(signed_in, data, said, happened):
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(triage_status="failed", triage_attempts=3)  # so retriage changes it

    response = act(signed_in, ticket, **data)

    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [said]
    assert happened(Ticket.objects.get(pk=ticket.pk))


def test_an_unknown_button_changes_nothing_and_says_so(signed_in):
    ticket, _ = make_ticket()
    events = ticket.events.count()

    response = act(signed_in, ticket, action="close_everything")

    assert [str(m) for m in response.wsgi_request._messages] == ["Unknown action."]
    assert ticket.events.count() == events and Ticket.objects.get(pk=ticket.pk).status == ticket.status


def test_someone_without_the_permission_cannot_use_the_buttons(client, outsider):
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status="ready", text="x")
    outsider.is_staff = True
    outsider.save()
    client.force_login(outsider)

    response = act(client, ticket, action="accept", suggestion=suggestion.pk)

    assert response.status_code == 403 and mail.outbox == []


def test_bulk_assign_from_the_queue(signed_in):
    colleague = make_agent()
    tickets = [make_ticket()[0] for _ in range(3)]
    ids = [t.pk for t in tickets]

    form = signed_in.post(CHANGELIST, {"action": "assign_selected", "_selected_action": ids})
    done = signed_in.post(CHANGELIST, {"action": "assign_selected", "_selected_action": ids, "apply": "1",
                                       "assignee": colleague.pk})

    assert form.status_code == 200 and b"Assign 3 selected tickets" in form.content
    assert done.status_code == 302
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {colleague.pk}


def test_the_human_triage_queue_lists_only_unsure_open_tickets(signed_in):
    unsure, _ = make_ticket(subject="Unsure one")
    make_ticket(subject="Sure one")
    Ticket.objects.filter(pk=unsure.pk).update(needs_human_triage=True)

    content = signed_in.get(reverse("admin:ecomcms_support_triagequeue_changelist")).content.decode()

    assert "Unsure one" in content and "Sure one" not in content


def test_the_rates_page_shows_a_table_and_bars_per_intent(signed_in):
    for decision in ("accepted", "edited", "rejected", "accepted"):
        ticket, _ = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(intent="track_<order>")
        ReplySuggestion.objects.create(ticket=ticket, status="ready", text="x", decision=decision)

    content = signed_in.get(reverse("admin:ecomcms_support_suggestionrates_changelist")).content.decode()

    assert "track_&lt;order&gt;" in content and "<svg" in content
    assert "2 (50%)" in content and "1 (25%)" in content
    assert content.count("<rect") == 3


def test_a_priority_rule_needs_lists_of_texts_and_a_condition(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    url = reverse("admin:ecomcms_support_priorityrule_add")
    base = {"name": "x", "position": 1, "priority": "high", "intents": "[]", "sentiments": "[]", "keywords": "[]",
            "is_active": "on"}

    not_a_list = client.post(url, base | {"keywords": '"chargeback"'})
    no_condition = client.post(url, base)
    ok = client.post(url, base | {"keywords": '["chargeback"]'})

    assert not_a_list.status_code == 200 and "A JSON list of texts" in not_a_list.content.decode()
    assert no_condition.status_code == 200 and "at least one condition" in no_condition.content.decode()
    assert ok.status_code == 302


def test_grounded_in_lists_the_articles_best_score_first(signed_in):
    from support.models import KnowledgeArticle

    ticket, _ = make_ticket()
    scores = {"Alpha returns": 0.31, "Beta shipping": 0.82, "Gamma sizes": 0.55}
    articles = [KnowledgeArticle.objects.create(title=title, body="Text.") for title in scores]
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status="ready", text="It ships today [1].", sources=[
        {"number": n, "kind": "article", "id": a.pk, "title": a.title, "similarity": scores[a.title]}
        for n, a in enumerate(articles, 1)])
    suggestion.articles.set(articles)

    content = page(signed_in, ticket).content.decode()
    grounded = content[content.index("Grounded in:"):]

    positions = [grounded.index(f"{title}</a> ({score:.2f})") for title, score in scores.items()]
    assert positions[1] < positions[2] < positions[0]


# --- Training the intent classifier --------------------------------------------------------------

TRAIN = reverse("admin:ecomcms_support_intentlabel_train")


@pytest.fixture
def operator(client):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("operator", password="pw"))
    return client


def test_train_queues_a_new_version_on_the_training_worker_after_commit(operator, django_capture_on_commit_callbacks,
                                                                         monkeypatch):
    from ecomcms import tasks
    from ecomcms.models import Adapter

    queued = []
    monkeypatch.setattr(tasks.train_adapter, "apply_async", lambda args, **options: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(TRAIN, follow=True)

    version = Adapter.objects.get()
    assert (version.purpose, version.version, version.status) == ("support.intent", 1, "queued")
    assert version.parameters["activate_if_better"] is True and version.requested_by.username == "operator"
    assert queued == [(version.pk,)]
    assert [str(m) for m in response.context["messages"]] == [
        "support.intent v1 queued on the training worker: it is compared with the active version on the held-out "
        "slice and activated if not worse."]


def test_an_agent_may_not_train_a_version(client, agent):
    from ecomcms.models import Adapter

    client.force_login(agent)

    assert client.post(TRAIN).status_code == 403
    assert not Adapter.objects.exists()


@pytest.mark.django_db(transaction=True)  # the task is sent after a real commit
def test_train_with_the_broker_down_says_so_and_the_version_is_failed_not_left_queued(operator, broker_down):
    from ecomcms.models import Adapter

    response = operator.post(TRAIN, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Training was not queued: the task queue (broker) did not answer. support.intent v1 is marked failed; try "
        "again when it is back."]
    assert Adapter.objects.get().status == "failed"


@pytest.mark.django_db(transaction=True)  # the task is sent after a real commit
def test_an_article_saved_while_the_broker_is_down_is_kept_and_embedded_before_it_is_used(operator, broker_down,
                                                                                          fake_models):
    from support import services
    from support.models import KnowledgeArticle

    response = operator.post(reverse("admin:ecomcms_support_knowledgearticle_add"), {
        "title": "Returns", "body": "Return any item within 30 days.", "url": "", "tags": "[]", "is_published": "on",
    })

    assert response.status_code == 302, response.content[:2000]
    article = KnowledgeArticle.objects.get()
    assert not article.embedding_model  # the refresh task did not go out
    assert services.knowledge_refresh_embeddings() == 1  # what retrieval does before it ranks
