"""Two customers with tickets, replies, labels and shopper events, built through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db.models import Count, Sum
from django.utils import timezone

from privacy.roles import PRIVACY_OFFICERS
from recommender.models import Event, EventType
from support import checks as support_checks, selectors as support_selectors, services as support_services
from support.models import IntentLabel, ReplySuggestion, Ticket
from tests.recommender.factories import buy, make_shop_product, view
from tests.support.factories import make_agent, make_taxonomy

_ids = itertools.count(1)

ANNA_EMAIL = "anna.becker@example.com"
ANNA_NAME = "Anna Becker"
ANNA_ID = "C-ANNA-42"
ANNA_PHONE = "+49 30 1234567"
ANNA_CARD = "4111 1111 1111 1111"
#: Text only Anna wrote (or staff wrote to her): none of it may survive an erasure anywhere in the database.
ANNA_TEXTS = [
    ANNA_EMAIL, ANNA_NAME, "Becker", ANNA_ID, ANNA_PHONE, ANNA_CARD, "ORD-770011", "blue umbrella", "umbrella",
    "sess-anna-1", "sess-anna-2", "AN-ORDER-1", "AN-ORDER-2", "Wrong tone for",
]
BOB_EMAIL = "bob.stone@example.com"
BOB_NAME = "Bob Stone"
BOB_ID = "C-BOB-7"
BOB_TEXTS = [BOB_EMAIL, BOB_NAME, BOB_ID, "leaking kettle", "sess-bob-1", "BO-ORDER-1"]


@dataclass
class World:
    agent: User
    products: dict
    anna_tickets: list[Ticket] = field(default_factory=list)
    anna_token: str = ""
    bob_ticket: Ticket | None = None


def _suggest(ticket: Ticket, text: str) -> ReplySuggestion:
    return ReplySuggestion.objects.create(ticket=ticket, status=ReplySuggestion.Status.READY, text=text,
                                          redacted_text=text.replace(ANNA_NAME, "[NAME_1]"),
                                          flags=[{"code": "figure", "message": f'Mentions "{text[:12]}"'}],
                                          model_id="fake", generated_at=timezone.now())


def _accept(suggestion: ReplySuggestion, agent) -> None:
    """The agent checked the suggestion's flags and sends it (a flagged reply needs that confirmation)."""
    support_services.suggestion_accept(suggestion=suggestion, actor=agent,
                                       confirm_flags=support_checks.flags_to_confirm(suggestion.flags))


def build_world() -> World:
    """Anna: two tickets (one names her customer id, one her address in other letter case), replies decided
    all three ways, a note, labels, and shopper events with anonymous ones in her sessions. Bob: the same
    kinds of rows, which must never change. Plus other shoppers, so the recommender has something to learn."""
    make_taxonomy()
    agent = make_agent()
    products = {name: make_shop_product(name, category) for name, category in
                [("mug", "kitchen"), ("tea", "kitchen"), ("pot", "kitchen"), ("tee", "shirts"), ("shirt", "shirts")]}
    world = World(agent=agent, products=products)

    first, world.anna_token = support_services.ticket_create(
        email=ANNA_EMAIL, name=ANNA_NAME, customer_id=ANNA_ID, order_reference="ORD-770011",
        subject="My blue umbrella never arrived",
        body=f"Hi, my blue umbrella never arrived. Call me on {ANNA_PHONE}. Thanks, Anna", triage_now=False)
    support_services.ticket_override_prediction(ticket=first, field="intent", value="track_order", actor=agent)
    _accept(_suggest(first, f"Hello {ANNA_NAME}, your umbrella ships today."), agent)
    support_services.ticket_reply(ticket=first, actor=agent, body=f"{ANNA_NAME} phoned about the umbrella.",
                                  internal=True)
    support_services.customer_reply(ticket=Ticket.objects.get(pk=first.pk),
                                    body=f"Still no umbrella, and my card {ANNA_CARD} was charged.")

    second, _ = support_services.ticket_create(
        email=ANNA_EMAIL.title(), name=ANNA_NAME, subject="Refund for the umbrella",
        body="I want my money back for the umbrella.", triage_now=False)
    support_services.ticket_override_prediction(ticket=second, field="intent", value="get_refund", actor=agent)
    support_services.suggestion_reject(suggestion=_suggest(second, "Umbrella refund: no."), actor=agent,
                                       reason=f"Wrong tone for {ANNA_NAME}")
    edited = _suggest(second, "Umbrella refund done.")
    support_services.suggestion_edit_and_send(suggestion=edited, actor=agent,
                                              text=f"Dear {ANNA_NAME}, your umbrella refund is on its way.",
                                              confirm_flags=support_checks.flags_to_confirm(edited.flags))
    world.anna_tickets = [Ticket.objects.get(pk=first.pk), Ticket.objects.get(pk=second.pk)]

    bob, _ = support_services.ticket_create(email=BOB_EMAIL, name=BOB_NAME, customer_id=BOB_ID,
                                            subject="My leaking kettle", body="The leaking kettle needs a refund.",
                                            triage_now=False)
    support_services.ticket_override_prediction(ticket=bob, field="intent", value="get_refund", actor=agent)
    _accept(_suggest(bob, f"Hello {BOB_NAME}, refund approved."), agent)
    world.bob_ticket = Ticket.objects.get(pk=bob.pk)

    p = products
    buy(ANNA_ID, "AN-ORDER-1", [p["mug"], p["tea"]], days_ago=9)
    buy(ANNA_ID, "AN-ORDER-2", [p["pot"], p["mug"]], days_ago=3)
    Event.objects.filter(order_id="AN-ORDER-1").update(session_id="sess-anna-1")
    Event.objects.filter(order_id="AN-ORDER-2").update(session_id="sess-anna-2")
    view("sess-anna-1", [p["pot"], p["tee"]], minutes_ago=60 * 24 * 9)  # anonymous, before she signed in
    Event.objects.create(source="test", client_id=f"search-{next(_ids)}", type=EventType.SEARCH,
                         query="umbrella for Anna", session_id="sess-anna-2",
                         occurred_at=timezone.now() - timedelta(days=3))
    buy(BOB_ID, "BO-ORDER-1", [p["mug"], p["tea"], p["shirt"]], days_ago=5)
    Event.objects.filter(order_id="BO-ORDER-1").update(session_id="sess-bob-1")
    view("sess-bob-1", [p["pot"]], minutes_ago=60 * 24 * 5)
    for n in range(6):  # other shoppers
        buy(f"other-{n}", f"OT-{n}", [p["mug"], p["tea"]] + ([p["tee"], p["shirt"]] if n % 2 else [p["pot"]]),
            days_ago=10 + n)
    return world


def make_privacy_officer(username: str = "dpo") -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=PRIVACY_OFFICERS))
    return User.objects.get(pk=user.pk)


def statistics() -> dict:
    """The aggregates an erasure must leave exactly as they were."""
    events = Event.objects.values("product_id", "type").order_by("product_id", "type").annotate(
        n=Count("pk"), units=Sum("quantity"), customers=Count("customer_id", distinct=True),
        orders=Count("order_id", distinct=True), sessions=Count("session_id", distinct=True))
    return {
        "events": list(events),
        "distinct_customers": Event.objects.exclude(customer_id="").values("customer_id").distinct().count(),
        "suggestion_rates": support_selectors.suggestion_rates_by_intent(),
        "tickets": list(Ticket.objects.values("intent", "status", "priority", "channel").order_by(
            "intent", "status", "priority", "channel").annotate(n=Count("pk"))),
        "messages": list(Ticket.objects.values("intent").order_by("intent").annotate(n=Count("messages"))),
        "labels": list(IntentLabel.objects.values("intent", "source").order_by("intent", "source")
                       .annotate(n=Count("pk"))),
        "suggestions": list(ReplySuggestion.objects.values("status", "decision").order_by("status", "decision")
                            .annotate(n=Count("pk"))),
    }
