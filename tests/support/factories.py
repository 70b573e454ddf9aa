"""Small builders for support tests."""

from __future__ import annotations

import itertools

from django.contrib.auth.models import Group, User

from support import services
from support.models import CannedResponse, Intent, KnowledgeArticle, Queue, Ticket
from support.roles import AGENTS, LEADS

_counter = itertools.count(1)

RETURNS_BODY = "I want my money back: please return the order within 30 days and we refund your money."


def make_user(role: str | None, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"{role or 'nobody'}-{next(_counter)}".replace(" ", "-"),
                                    password="pw", is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def make_agent() -> User:
    return make_user(AGENTS)


def make_lead() -> User:
    return make_user(LEADS)


def make_taxonomy() -> dict[str, Intent]:
    """Three intents whose descriptions share words with the tickets below (the fake embedder is a bag of words)."""
    shipping = Queue.objects.get_or_create(name="Orders", defaults={"first_response_hours": 8, "resolution_hours": 48})[
        0
    ]
    intents = {
        "track_order": Intent.objects.create(name="track_order", category="ORDER", queue=shipping,
                                             description="where is my parcel package tracking delivery",
                                             examples=["where is my parcel", "my package has not arrived"]),
        "get_refund": Intent.objects.create(name="get_refund", category="REFUND",
                                            description="refund money back return reimburse",
                                            examples=["i want my money back", "please refund my order"]),
        "payment_issue": Intent.objects.create(name="payment_issue", category="PAYMENT",
                                               description="payment card charged twice declined",
                                               examples=["my card was charged twice", "payment declined"]),
    }
    return intents


def make_knowledge() -> tuple[KnowledgeArticle, KnowledgeArticle]:
    returns = KnowledgeArticle.objects.create(title="Refund my money back", body=RETURNS_BODY,
                                              url="https://shop.example/help/returns")
    shipping = KnowledgeArticle.objects.create(
        title="Where is my parcel: tracking",
        url="https://shop.example/help/shipping",
        body="Standard delivery takes 3-5 business days; we email a tracking link.",
    )
    CannedResponse.objects.create(title="refund money back", body="We refund within 5 business days.")
    return returns, shipping


def make_ticket(*, subject: str = "Where is my parcel?", body: str = "Hi, where is my parcel? It has not arrived.",
                email: str = "anna@example.com", name: str = "Anna Becker", order_reference: str = "",
                triage_now: bool = False, **kwargs) -> tuple[Ticket, str]:
    return services.ticket_create(email=email, name=name, subject=subject, body=body, order_reference=order_reference,
                                  triage_now=triage_now, **kwargs)
