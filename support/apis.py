"""The support REST API (/api/v1/): customers open and follow tickets; staff mirror the admin.

Thin doors: each view validates its input with a nested serializer, calls one
selector or service, and renders the result. Conventions (JSON errors with a
stable code, body size limit, throttles, JSON only) are the API kit's
(``ecomcms.api.http``, ``ecomcms.api.errors``); support refusals (``SupportError`` and
its kin) map there to their codes: ``invalid_state`` (409) for a wrong status,
``invalid_request`` (400) for a refused request, ``permission_denied`` (403) without
``handle_ticket``, ``reply_not_sendable`` (400), ``flags_not_confirmed`` (409).

Customers authenticate to one ticket with the access token they got when they
opened it, in ``X-Ticket-Token: <token>`` or ``Authorization: Bearer <token>``.
A wrong token answers 404, the same as an unknown ticket, so ticket ids cannot
be probed. Customers never see internal notes, predictions or suggestions.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from ecomcms.api.auth import AnonThrottle, ClientThrottle
from ecomcms.api.errors import error_responses
from ecomcms.api.http import ApiView, CursorPage, PageInput, Text, valid_input
from support import selectors, services
from support.conf import conf
from support.models import (
    CUSTOMER_CHANNELS,
    Channel,
    Confidence,
    Message,
    Priority,
    ReplySuggestion,
    SetBy,
    Ticket,
    TicketStatus,
)
from support.privacy import mask_cards

NOT_BLANK = RegexValidator(r"\S", "May not be blank.")
PUBLIC_ID_PATTERN = r"^T-[A-Z0-9]{8}$"
CUSTOMER_TAGS = ["support"]
STAFF_TAGS = ["support staff"]


class TicketCreateThrottle(SimpleRateThrottle):
    """New tickets per client IP (``API_THROTTLE_TICKETS``): a form anyone can post to."""

    scope = "support_tickets"

    def get_rate(self):
        return conf.SUPPORT_API_THROTTLE_TICKETS  # read per request, so a changed setting applies

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class MissingTicketToken(exceptions.APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"
    default_detail = "Send the ticket's access token in X-Ticket-Token (or Authorization: Bearer)."


def _ticket_for_customer(request, public_id: str) -> Ticket:
    token = request.headers.get("X-Ticket-Token", "").strip()
    if not token:
        parts = request.headers.get("Authorization", "").split()
        if len(parts) == 2 and parts[0].lower() == "bearer":
            token = parts[1]
    if not token:
        raise MissingTicketToken()
    ticket = services.ticket_authenticate(public_id=public_id, token=token)
    if ticket is None:
        raise exceptions.NotFound("No ticket has this id and access token.")
    return ticket


TICKET_TOKEN = OpenApiParameter(
    "X-Ticket-Token", str, OpenApiParameter.HEADER, required=False,
    description="The access token returned when the ticket was opened (or send `Authorization: Bearer <token>`).",
)
PUBLIC_ID = OpenApiParameter("public_id", str, OpenApiParameter.PATH, pattern=PUBLIC_ID_PATTERN,
                             description="The ticket id, e.g. T-7KQ2M9XA.")


# --- Customers -----------------------------------------------------------------------------------

@extend_schema_serializer(component_name="TicketMessage")
class CustomerMessageOutput(serializers.Serializer):
    author = serializers.ChoiceField(choices=[("customer", "Customer"), ("staff", "Staff")], source="author_kind")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="CustomerTicket")
class CustomerTicketOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    created_at = serializers.DateTimeField()
    messages = serializers.SerializerMethodField()

    def get_messages(self, ticket) -> CustomerMessageOutput(many=True):
        return CustomerMessageOutput(selectors.ticket_thread(ticket, include_notes=False), many=True).data


class CustomerView(ApiView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle]


class TicketCreateApi(CustomerView):
    """Open a support ticket (no account needed).

    The answer carries the ticket's `access_token`, shown this once: keep it to
    read the ticket and reply. Personal data in the message is redacted before any
    model reads it. Limited per client IP (`API_THROTTLE_TICKETS`).
    """

    throttle_classes = [TicketCreateThrottle, AnonThrottle]

    class TicketCreateInput(serializers.Serializer):
        email = serializers.EmailField(max_length=254, help_text="Where replies are emailed.")
        name = Text(required=False, allow_blank=True, max_length=200)
        customer_id = Text(
            required=False, allow_blank=True, max_length=100, help_text="The shop's customer id, if known."
        )
        order_reference = Text(required=False, allow_blank=True, max_length=100)
        product = Text(required=False, allow_blank=True, max_length=200,
                       help_text="The SKU or slug of the product the ticket is about, if any.")
        subject = Text(max_length=services.MAX_SUBJECT, validators=[NOT_BLANK])
        message = Text(max_length=services.MAX_BODY, validators=[NOT_BLANK])
        channel = serializers.ChoiceField(choices=CUSTOMER_CHANNELS, required=False, default=Channel.WEB)

    @extend_schema_serializer(component_name="TicketCreated")
    class TicketCreatedOutput(serializers.Serializer):
        id = serializers.CharField(source="public_id")
        access_token = serializers.CharField(help_text="Shown once. Send it as X-Ticket-Token to read and reply.")
        status = serializers.ChoiceField(choices=TicketStatus.choices)
        created_at = serializers.DateTimeField()

    @extend_schema(operation_id="tickets_create", tags=CUSTOMER_TAGS, request=TicketCreateInput,
                   responses={201: TicketCreatedOutput, **error_responses(400, 413, 415)}, summary="Open a ticket")
    def post(self, request):
        data = valid_input(self.TicketCreateInput, request.data)
        ticket, token = services.ticket_create(
            email=data["email"], name=data.get("name", ""), customer_id=data.get("customer_id", ""),
            order_reference=data.get("order_reference", ""), subject=data["subject"], body=data["message"],
            channel=data["channel"], product=data.get("product", ""),
        )
        ticket.access_token = token
        return Response(self.TicketCreatedOutput(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailApi(CustomerView):
    """Read your ticket: its status and the messages between you and the support team."""

    @extend_schema(operation_id="tickets_retrieve", tags=CUSTOMER_TAGS, parameters=[PUBLIC_ID, TICKET_TOKEN],
                   responses={200: CustomerTicketOutput, **error_responses(401, 404)}, summary="Read a ticket")
    def get(self, request, public_id):
        return Response(CustomerTicketOutput(_ticket_for_customer(request, public_id)).data)


class TicketMessageCreateApi(CustomerView):
    """Reply on your ticket. A waiting or solved ticket reopens; a closed one takes no more messages (409)."""

    class CustomerMessageInput(serializers.Serializer):
        message = Text(max_length=services.MAX_BODY, validators=[NOT_BLANK])

    @extend_schema(
        operation_id="tickets_messages_create",
        tags=CUSTOMER_TAGS,
        parameters=[PUBLIC_ID, TICKET_TOKEN],
        request=CustomerMessageInput,
        responses={201: CustomerMessageOutput, **error_responses(400, 401, 404, 409, 413, 415)},
        summary="Reply on a ticket",
    )
    def post(self, request, public_id):
        ticket = _ticket_for_customer(request, public_id)
        data = valid_input(self.CustomerMessageInput, request.data)
        message = services.customer_reply(ticket=ticket, body=data["message"])
        return Response(CustomerMessageOutput(message).data, status=status.HTTP_201_CREATED)


# --- Staff ----------------------------------------------------------------------------------------

class HandlesTickets(BasePermission):
    message = "You may not handle support tickets."

    def has_permission(self, request, view):
        return request.user.has_perm(services.PERMISSION)


class StaffView(ApiView):
    """Support staff signed in to the admin (session cookie, CSRF token on writes), with `handle_ticket`."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated, HandlesTickets]
    throttle_classes = [ClientThrottle]


@extend_schema_serializer(component_name="Prediction")
class PredictionOutput(serializers.Serializer):
    value = serializers.CharField(help_text="Empty when nothing was predicted.")
    confidence = serializers.ChoiceField(choices=Confidence.choices, allow_blank=True)
    set_by = serializers.ChoiceField(choices=SetBy.choices, allow_blank=True,
                                     help_text="model, rule (priority) or staff (an override, kept as a label).")


class CardsMasked(serializers.CharField):
    """Text as staff see it: card numbers as ``**** **** **** 4242`` (the last four), as the model's input hides
    them and as the admin's ticket pages show them."""

    def to_representation(self, value):
        return mask_cards(super().to_representation(value))


@extend_schema_serializer(component_name="StaffMessage")
class StaffMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    author_kind = serializers.ChoiceField(choices=Message.Author.choices)
    author = serializers.CharField(source="author.get_username", allow_null=True, default=None)
    body = CardsMasked(help_text="Card numbers masked to their last four digits.")
    suggestion = serializers.IntegerField(source="suggestion_id", allow_null=True)
    emailed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="Suggestion")
class SuggestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReplySuggestion.Status.choices)
    text = serializers.CharField(help_text="The suggested reply with personal data restored. Never sent by itself.")
    articles = serializers.SerializerMethodField()
    citations = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the articles cited inline.")
    flags = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    model_id = serializers.CharField()
    prompt_version = serializers.CharField()
    tokens_in = serializers.IntegerField(allow_null=True)
    tokens_out = serializers.IntegerField(allow_null=True)
    seconds = serializers.FloatField(allow_null=True)
    failure_reason = serializers.CharField()
    decision = serializers.ChoiceField(choices=ReplySuggestion.Decision.choices, allow_blank=True)
    reject_reason = serializers.CharField()
    sent_text = serializers.CharField()
    decided_by = serializers.CharField(source="decided_by.get_username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_articles(self, suggestion) -> inline_serializer("SuggestionArticle", {
        "id": serializers.IntegerField(), "title": serializers.CharField(), "url": serializers.CharField(),
    }, many=True):
        return [{"id": a.pk, "title": a.title, "url": a.url} for a in suggestion.articles.all()]


@extend_schema_serializer(component_name="StaffTicket")
class StaffTicketOutput(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    subject = CardsMasked(help_text="Card numbers masked to their last four digits.")
    customer_email = serializers.EmailField()
    customer_name = serializers.CharField()
    customer_id = serializers.CharField()
    order_reference = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    queue = serializers.CharField(source="queue.name", allow_null=True, default=None)
    assignee = serializers.CharField(source="assignee.get_username", allow_null=True, default=None)
    intent = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    sentiment = serializers.SerializerMethodField()
    priority = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField()
    needs_human_triage = serializers.BooleanField()
    triage_status = serializers.CharField()
    first_response_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    first_responded_at = serializers.DateTimeField(allow_null=True)
    sla_breached = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def _p(self, ticket, field):
        return {"value": getattr(ticket, field), "confidence": getattr(ticket, f"{field}_confidence"),
                "set_by": getattr(ticket, f"{field}_set_by")}

    def get_intent(self, ticket) -> PredictionOutput:
        return self._p(ticket, "intent")

    def get_category(self, ticket) -> PredictionOutput:
        return self._p(ticket, "category")

    def get_sentiment(self, ticket) -> PredictionOutput:
        return self._p(ticket, "sentiment")

    def get_priority(self, ticket) -> PredictionOutput:
        return self._p(ticket, "priority")

    def get_language(self, ticket) -> PredictionOutput:
        return self._p(ticket, "language")

    def get_sla_breached(self, ticket) -> bool:
        return ticket.sla_breached(timezone.now())


@extend_schema_serializer(component_name="StaffTicketDetail")
class StaffTicketDetailOutput(StaffTicketOutput):
    messages = serializers.SerializerMethodField()
    suggestion = serializers.SerializerMethodField()
    reply_language = serializers.SerializerMethodField(
        help_text="The customer's language against the shop's, whether a template in it exists, and the note "
                  "the agent sees (\"Customer wrote in German; no German template ...\").")

    def get_messages(self, ticket) -> StaffMessageOutput(many=True):
        return StaffMessageOutput(selectors.ticket_thread(ticket, include_notes=True), many=True).data

    def get_suggestion(self, ticket) -> SuggestionOutput(allow_null=True):
        suggestion = selectors.ticket_latest_suggestion(ticket)
        return SuggestionOutput(suggestion).data if suggestion else None

    def get_reply_language(self, ticket) -> inline_serializer("ReplyLanguage", {
        "language": serializers.CharField(), "shop_language": serializers.CharField(),
        "foreign": serializers.BooleanField(), "template_available": serializers.BooleanField(),
        "note": serializers.CharField(),
    }):
        return services.reply_language(ticket).as_dict()


class TicketPage(CursorPage):
    ordering = "-pk"
    position = re.compile(r"\d{1,18}")


def _staff_ticket(public_id: str) -> Ticket:
    ticket = Ticket.objects.select_related("queue", "assignee").filter(public_id=public_id).first()
    if ticket is None:
        raise exceptions.NotFound("No ticket has this id.")
    return ticket


def _suggestion(suggestion_id: int) -> ReplySuggestion:
    suggestion = ReplySuggestion.objects.filter(pk=suggestion_id).first()
    if suggestion is None:
        raise exceptions.NotFound("No suggestion has this id.")
    return suggestion


class StaffTicketListApi(StaffView):
    """Tickets, newest first, with their predictions (permission: handle ticket). All filters combine."""

    class TicketFilterInput(PageInput):
        status = serializers.ChoiceField(required=False, choices=TicketStatus.choices)
        priority = serializers.ChoiceField(required=False, choices=Priority.choices)
        intent = Text(required=False, max_length=100)
        confidence = serializers.ChoiceField(required=False, choices=Confidence.choices, help_text="Intent confidence.")
        sla_breached = serializers.BooleanField(required=False, allow_null=True, default=None)
        needs_human_triage = serializers.BooleanField(required=False, allow_null=True, default=None)
        assignee = Text(required=False, max_length=150, help_text="A username, `me`, or `none` for unassigned.")

    @extend_schema(operation_id="staff_tickets_list", tags=STAFF_TAGS, parameters=[TicketFilterInput],
                   responses={200: inline_serializer("StaffTicketPage", {
                       "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
                       "results": StaffTicketOutput(many=True)}), **error_responses(400, 403)},
                   summary="List tickets")
    def get(self, request):
        filters = valid_input(self.TicketFilterInput, request.query_params.dict())
        tickets = Ticket.objects.select_related("queue", "assignee")
        for field in ("status", "priority", "intent"):
            if filters.get(field):
                tickets = tickets.filter(**{field: filters[field]})
        if filters.get("confidence"):
            tickets = tickets.filter(intent_confidence=filters["confidence"])
        if filters.get("sla_breached") is not None:
            breached = selectors.sla_breached_q()
            tickets = tickets.filter(breached) if filters["sla_breached"] else tickets.exclude(breached)
        if filters.get("needs_human_triage") is not None:
            tickets = tickets.filter(needs_human_triage=filters["needs_human_triage"])
        assignee = filters.get("assignee")
        if assignee == "none":
            tickets = tickets.filter(assignee__isnull=True)
        elif assignee == "me":
            tickets = tickets.filter(assignee=request.user)
        elif assignee:
            tickets = tickets.filter(assignee__username=assignee)
        paginator = TicketPage()
        page = paginator.paginate_queryset(tickets, request, view=self)
        return paginator.get_paginated_response(StaffTicketOutput(page, many=True).data)


class StaffTicketDetailApi(StaffView):
    """One ticket with its whole thread (internal notes included) and its latest suggested reply."""

    @extend_schema(operation_id="staff_tickets_retrieve", tags=STAFF_TAGS, parameters=[PUBLIC_ID],
                   responses={200: StaffTicketDetailOutput, **error_responses(403, 404)}, summary="Get a ticket")
    def get(self, request, public_id):
        return Response(StaffTicketDetailOutput(_staff_ticket(public_id)).data)


TICKET_WRITE_ERRORS = error_responses(400, 403, 404, 409, 413, 415)


class StaffTicketStatusApi(StaffView):
    """Move a ticket to another status; refused (409) when the move is not allowed."""

    class TicketStatusInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=TicketStatus.choices)
        comment = Text(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        operation_id="staff_tickets_status",
        tags=STAFF_TAGS,
        parameters=[PUBLIC_ID],
        request=TicketStatusInput,
        responses={200: StaffTicketOutput, **TICKET_WRITE_ERRORS},
        summary="Change a ticket's status",
    )
    def post(self, request, public_id):
        data = valid_input(self.TicketStatusInput, request.data)
        ticket = services.ticket_transition(ticket=_staff_ticket(public_id), to_status=data["status"],
                                            actor=request.user, comment=data.get("comment", ""))
        return Response(StaffTicketOutput(_staff_ticket(ticket.public_id)).data)


class StaffTicketAssignApi(StaffView):
    """Assign tickets to a colleague who handles tickets, or unassign them (`assignee: null`)."""

    class TicketAssignInput(serializers.Serializer):
        tickets = serializers.ListField(child=Text(max_length=20), min_length=1, max_length=500)
        assignee = Text(allow_null=True, max_length=150, help_text="A username, or null to unassign.")

    @extend_schema(operation_id="staff_tickets_assign", tags=STAFF_TAGS, request=TicketAssignInput,
                   responses={200: inline_serializer("AssignResult", {"assigned": serializers.IntegerField()}),
                              **error_responses(400, 403, 413, 415)}, summary="Assign tickets")
    def post(self, request):
        data = valid_input(self.TicketAssignInput, request.data)
        ids = set(data["tickets"])
        tickets = list(Ticket.objects.filter(public_id__in=ids))
        unknown = sorted(ids - {t.public_id for t in tickets})
        if unknown:
            raise exceptions.ValidationError({"tickets": [f"Unknown tickets: {', '.join(unknown[:20])}"]})
        assignee = None
        if data["assignee"] is not None:
            assignee = get_user_model().objects.filter(username=data["assignee"]).first()
            if assignee is None:
                raise exceptions.ValidationError({"assignee": ["No such user."]})
        changed = services.ticket_assign(tickets=tickets, assignee=assignee, actor=request.user)
        return Response({"assigned": changed})


class StaffTicketPredictionApi(StaffView):
    """Override a prediction; an intent override also becomes a training label."""

    class PredictionOverrideInput(serializers.Serializer):
        field = serializers.ChoiceField(choices=[(f, f) for f in services.OVERRIDABLE])
        value = Text(max_length=100, validators=[NOT_BLANK])

    @extend_schema(operation_id="staff_tickets_predictions", tags=STAFF_TAGS, parameters=[PUBLIC_ID],
                   request=PredictionOverrideInput, responses={200: StaffTicketOutput, **TICKET_WRITE_ERRORS},
                   summary="Override a prediction")
    def post(self, request, public_id):
        data = valid_input(self.PredictionOverrideInput, request.data)
        ticket = services.ticket_override_prediction(ticket=_staff_ticket(public_id), field=data["field"],
                                                     value=data["value"], actor=request.user)
        return Response(StaffTicketOutput(_staff_ticket(ticket.public_id)).data)


STATUS_AFTER = serializers.ChoiceField(
    choices=[
        (TicketStatus.OPEN, "Open"),
        (TicketStatus.WAITING, "Waiting on customer"),
        (TicketStatus.SOLVED, "Solved"),
    ],
    required=False,
    default=TicketStatus.WAITING,
    help_text="The ticket's status after the reply is sent.",
)


class StaffTicketMessageApi(StaffView):
    """Write to the customer (emailed at once) or add an internal note (never emailed, never shown to models)."""

    class StaffMessageInput(serializers.Serializer):
        message = Text(max_length=services.MAX_BODY, validators=[NOT_BLANK])
        internal = serializers.BooleanField(required=False, default=False)
        status_after = STATUS_AFTER

    @extend_schema(operation_id="staff_tickets_messages_create", tags=STAFF_TAGS, parameters=[PUBLIC_ID],
                   request=StaffMessageInput, responses={201: StaffMessageOutput, **TICKET_WRITE_ERRORS},
                   summary="Reply or add a note")
    def post(self, request, public_id):
        data = valid_input(self.StaffMessageInput, request.data)
        message = services.ticket_reply(ticket=_staff_ticket(public_id), actor=request.user, body=data["message"],
                                        internal=data["internal"], status_after=data["status_after"])
        return Response(StaffMessageOutput(message).data, status=status.HTTP_201_CREATED)


CONFIRM_FLAGS = serializers.ListField(
    child=serializers.CharField(max_length=40), required=False, default=list, max_length=30,
    help_text="The codes of the suggestion's flags you checked (e.g. [\"figure\", \"commitment\"]); a flagged "
              "suggestion is refused with 409 flags_not_confirmed until every flag is named here. An unfilled "
              "placeholder or a link absent from the knowledge base cannot be confirmed away: 400 reply_not_sendable.")
SUGGESTION_ID = OpenApiParameter("suggestion_id", int, OpenApiParameter.PATH)


class StaffSuggestionAcceptApi(StaffView):
    """Send the suggested reply as it is: it is emailed to the customer and added to the thread."""

    class SuggestionAcceptInput(serializers.Serializer):
        status_after = STATUS_AFTER
        confirm_flags = CONFIRM_FLAGS

    @extend_schema(operation_id="staff_suggestions_accept", tags=STAFF_TAGS, parameters=[SUGGESTION_ID],
                   request=SuggestionAcceptInput, responses={200: SuggestionOutput, **TICKET_WRITE_ERRORS},
                   summary="Accept and send a suggestion")
    def post(self, request, suggestion_id):
        data = valid_input(self.SuggestionAcceptInput, request.data)
        suggestion = services.suggestion_accept(suggestion=_suggestion(suggestion_id), actor=request.user, **data)
        return Response(SuggestionOutput(suggestion).data)


class StaffSuggestionEditApi(StaffView):
    """Send your edit of the suggested reply; the suggestion and the text sent are both kept."""

    class SuggestionEditInput(serializers.Serializer):
        text = Text(max_length=services.MAX_BODY, validators=[NOT_BLANK])
        status_after = STATUS_AFTER
        confirm_flags = CONFIRM_FLAGS

    @extend_schema(operation_id="staff_suggestions_edit_and_send", tags=STAFF_TAGS, parameters=[SUGGESTION_ID],
                   request=SuggestionEditInput, responses={200: SuggestionOutput, **TICKET_WRITE_ERRORS},
                   summary="Edit and send a suggestion")
    def post(self, request, suggestion_id):
        data = valid_input(self.SuggestionEditInput, request.data)
        suggestion = services.suggestion_edit_and_send(
            suggestion=_suggestion(suggestion_id), actor=request.user, **data
        )
        return Response(SuggestionOutput(suggestion).data)


class StaffSuggestionRejectApi(StaffView):
    """Reject the suggested reply with a reason; nothing is sent."""

    class SuggestionRejectInput(serializers.Serializer):
        reason = Text(max_length=2000, validators=[NOT_BLANK])

    @extend_schema(operation_id="staff_suggestions_reject", tags=STAFF_TAGS, parameters=[SUGGESTION_ID],
                   request=SuggestionRejectInput, responses={200: SuggestionOutput, **TICKET_WRITE_ERRORS},
                   summary="Reject a suggestion")
    def post(self, request, suggestion_id):
        data = valid_input(self.SuggestionRejectInput, request.data)
        suggestion = services.suggestion_reject(suggestion=_suggestion(suggestion_id), actor=request.user, **data)
        return Response(SuggestionOutput(suggestion).data)


@extend_schema_serializer(component_name="SuggestionRate")
class RateOutput(serializers.Serializer):
    intent = serializers.CharField()
    decided = serializers.IntegerField()
    accepted = serializers.IntegerField()
    edited = serializers.IntegerField()
    rejected = serializers.IntegerField()
    undecided = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    edit_rate = serializers.FloatField(allow_null=True)
    rejection_rate = serializers.FloatField(allow_null=True)


class StaffSuggestionRatesApi(StaffView):
    """How suggested replies were decided, per intent: accepted as is, edited, rejected."""

    @extend_schema(operation_id="staff_suggestion_rates", tags=STAFF_TAGS,
                   responses={200: inline_serializer("SuggestionRates", {"results": RateOutput(many=True)}),
                              **error_responses(403)}, summary="Suggestion rates per intent")
    def get(self, request):
        return Response({"results": RateOutput(selectors.suggestion_rates_by_intent(), many=True).data})

