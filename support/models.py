"""Tickets, their message threads, triage predictions, the knowledge base and suggested replies.

Nothing is sent to a customer without a person: a suggestion is only a proposal
until a staff member accepts, edits or rejects it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class SetBy(models.TextChoices):
    MODEL = "model", "Model"
    RULE = "rule", "Rule"
    STAFF = "staff", "Staff"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on customer"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


class Channel(models.TextChoices):
    WEB = "web", "Web form"
    EMAIL = "email", "Email"
    API = "api", "API"


#: The channels a customer may name when opening a ticket through the API (email tickets come by import).
CUSTOMER_CHANNELS = [(Channel.WEB.value, Channel.WEB.label), (Channel.API.value, Channel.API.label)]


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


#: Sort rank (0 first) for queues ordered by priority.
PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class TriageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def _require_text_list(value, field: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValidationError({field: 'A JSON list of texts, e.g. ["first", "second"].'})


class ReplyStrategy(models.TextChoices):
    """How a suggested reply is written (``support.replies``); chosen per intent from the measured table."""

    MODEL = "model", "Model writes it"
    NEAREST = "nearest", "Reply to the nearest resolved ticket, adapted"
    CANNED = "canned", "The intent's canned response, filled"
    COMBINED = "combined", "Model, given the nearest resolved reply"


class Queue(models.Model):
    """A team's queue, with its service-level targets in hours."""

    name = models.CharField(max_length=100, unique=True)
    first_response_hours = models.PositiveIntegerField(default=24)
    resolution_hours = models.PositiveIntegerField(default=72)
    is_default = models.BooleanField(default=False, help_text="New tickets start here until triage routes them.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_queue")
        ]

    def __str__(self):
        return self.name


class Intent(models.Model):
    """The intent taxonomy: what customers want. Descriptions and examples feed the zero-shot fallback."""

    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    examples = models.JSONField(default=list, blank=True, help_text="A few example customer messages (a JSON list).")
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, help_text="Where its tickets go."
    )
    is_active = models.BooleanField(default=True)
    reply_strategy = models.CharField(
        max_length=10, choices=ReplyStrategy.choices, blank=True,
        help_text="How its suggested replies are written; empty = SUPPORT_REPLY_STRATEGY (evaluate_replies --apply "
                  "sets it from the measured table).")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        _require_text_list(self.examples, "examples")


class KnowledgeArticle(models.Model):
    """A help-centre article. Published ones ground the suggested replies; embeddings are refreshed lazily."""

    title = models.CharField(max_length=300)
    body = models.TextField()
    url = models.URLField(blank=True, help_text="Where customers can read it (cited in replies).")
    tags = models.JSONField(default=list, blank=True)
    is_published = models.BooleanField(default=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=200, blank=True, editable=False)
    embedding_hash = models.CharField(max_length=64, blank=True, editable=False, help_text="Hash of the embedded text.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def embedding_text(self) -> str:
        return f"{self.title}\n{self.body}"


class CannedResponse(models.Model):
    """A reply template staff reuse; global (no queue) or for one queue."""

    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_responses")
    intent = models.CharField(max_length=100, blank=True, db_index=True,
                              help_text="The intent it answers (the canned strategy fills it from the ticket).")
    title = models.CharField(max_length=200)
    body = models.TextField()
    language = models.CharField(
        max_length=10, blank=True,
        help_text="The language of the text as a two-letter code (de, es ...); empty: the shop's language "
                  "(SUPPORT_SHOP_LANGUAGE). A ticket in another language is answered from its language's responses.",
    )
    is_active = models.BooleanField(default=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=200, blank=True, editable=False)
    embedding_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def embedding_text(self) -> str:
        return f"{self.title}\n{self.body}"


class PriorityRule(models.Model):
    """One editable priority rule. Every condition that is set must hold; the highest matching priority wins.

    A ticket matching no rule is Normal. Conditions read the predictions (intent,
    sentiment), the order context (an order reference) and the customer's words.
    """

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=100, help_text="Rules are listed (and explained) in this order.")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    intents = models.JSONField(default=list, blank=True, help_text='Any of these intents, e.g. ["payment_issue"].')
    sentiments = models.JSONField(default=list, blank=True, help_text='Any of these sentiments, e.g. ["negative"].')
    requires_order_reference = models.BooleanField(default=False, help_text="Only tickets that name an order.")
    keywords = models.JSONField(
        default=list, blank=True, help_text='Any of these words or phrases, e.g. ["chargeback"].'
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        for field in ("intents", "sentiments", "keywords"):
            _require_text_list(getattr(self, field), field)
        if not (self.intents or self.sentiments or self.requires_order_reference or self.keywords):
            raise ValidationError("Set at least one condition; a rule without any would match every ticket.")


class Ticket(models.Model):
    public_id = models.CharField(max_length=20, unique=True)
    access_token_hash = models.CharField(max_length=64, help_text="SHA-256 of the customer's access token.")
    customer_email = models.EmailField()
    customer_name = models.CharField(max_length=200, blank=True)
    customer_id = models.CharField(max_length=100, blank=True, db_index=True, help_text="As given; not verified.")
    order_reference = models.CharField(max_length=100, blank=True)
    product = models.ForeignKey(
        "ecomcms_content.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The product the ticket is about, when the storefront names it: counted in the monitoring.",
    )
    subject = models.CharField(max_length=300)
    redacted_subject = models.CharField(max_length=400, blank=True, help_text="What models see.")
    redactions = models.JSONField(default=dict, blank=True, help_text="Subject and customer placeholders -> originals.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW, db_index=True)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )

    first_response_due = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)

    # Predictions: value, confidence bucket, raw score, and who set it (a staff override is a label).
    intent = models.CharField(max_length=100, blank=True, db_index=True)
    intent_confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    intent_score = models.FloatField(null=True, blank=True)
    intent_set_by = models.CharField(max_length=10, choices=SetBy.choices, blank=True)
    category = models.CharField(max_length=100, blank=True)
    category_confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    category_set_by = models.CharField(max_length=10, choices=SetBy.choices, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    sentiment_set_by = models.CharField(max_length=10, choices=SetBy.choices, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL, db_index=True)
    priority_confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    priority_set_by = models.CharField(max_length=10, choices=SetBy.choices, blank=True)
    language = models.CharField(max_length=10, blank=True)
    language_confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    language_set_by = models.CharField(max_length=10, choices=SetBy.choices, blank=True)
    triage_details = models.JSONField(
        default=dict, blank=True, help_text="Why: classifier, scores, rules that matched."
    )

    needs_human_triage = models.BooleanField(
        default=False, db_index=True, help_text="The model was not confident enough."
    )
    triage_status = models.CharField(max_length=10, choices=TriageStatus.choices, default=TriageStatus.PENDING)
    triage_attempts = models.PositiveSmallIntegerField(default=0)
    triage_claimed_at = models.DateTimeField(null=True, blank=True)
    triage_error = models.TextField(blank=True)
    triage_seconds = models.FloatField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False, help_text="Of the redacted text.")
    embedding_model = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("handle_ticket", "Can triage tickets and decide on suggested replies")]

    def __str__(self):
        from support.privacy import mask_cards  # card numbers masked wherever a ticket is named (admin titles, lists)

        return f"{self.public_id}: {mask_cards(self.subject)}"

    @property
    def is_open(self) -> bool:
        return self.status in (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)

    def sla_breached(self, now=None) -> bool:
        """Breached already, or overdue now (first response or resolution)."""
        now = now or timezone.now()
        if self.first_response_breached or self.resolution_breached:
            return True
        if self.first_responded_at is None and self.first_response_due and self.first_response_due < now:
            return True
        return self.resolved_at is None and self.is_open and bool(self.resolution_due and self.resolution_due < now)


class TriageQueue(Ticket):
    """Tickets the model was not sure about, waiting for a person to set the intent."""

    class Meta:
        proxy = True
        verbose_name = "ticket needing human triage"
        verbose_name_plural = "human triage queue"


class UnsureTicket(Ticket):
    """Tickets whose intent the model was unsure of or could not give, lowest confidence first: the labels that
    teach the intent classifier most (``selectors.tickets_unsure``)."""

    class Meta:
        proxy = True
        verbose_name = "unsure ticket"
        verbose_name_plural = "unsure queue (teach the intent model)"


class Message(models.Model):  # noqa: DJ008 (a log row: the admin shows its fields, never its name)
    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        NOTE = "note", "Internal note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="As written; shown to staff (and, unless a note, the customer).")
    redacted_body = models.TextField(blank=True, help_text="What models see: personal data replaced by placeholders.")
    redactions = models.JSONField(default=dict, blank=True, help_text="placeholder -> original value")
    suggestion = models.ForeignKey(
        "ReplySuggestion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The suggestion this reply was sent from.",
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_message_id = models.CharField(
        max_length=255, blank=True, db_index=True,
        help_text="The Message-ID of the email this reply went out as: a customer's answer to it threads here.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]


class ReplySuggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GENERATING = "generating", "Generating"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Superseded"

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Edited and sent"
        REJECTED = "rejected", "Rejected"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="suggestions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    based_on = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="The latest customer message when the reply was written.")
    text = models.TextField(blank=True, help_text="The suggested reply, personal data restored (staff only).")
    redacted_text = models.TextField(blank=True, help_text="What the model wrote, with placeholders.")
    articles = models.ManyToManyField(KnowledgeArticle, blank=True, related_name="suggestions",
                                      help_text="The knowledge-base articles given to the model.")
    canned_responses = models.ManyToManyField(CannedResponse, blank=True, related_name="suggestions")
    sources = models.JSONField(default=list, blank=True, help_text="Numbered sources in the prompt, with similarity.")
    citations = models.JSONField(default=list, blank=True, help_text="Article ids the reply cites.")
    model_id = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=50, blank=True)
    strategy = models.CharField(max_length=10, choices=ReplyStrategy.choices, blank=True,
                                help_text="How the reply was written (a template strategy uses no model).")
    options = models.JSONField(default=dict, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    flags = models.JSONField(
        default=list, blank=True, help_text="Checks the reviewer should see (links, instructions ...)."
    )
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True, db_index=True)
    reject_reason = models.TextField(blank=True)
    sent_text = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status__in=["pending", "generating"]),
                name="one_open_suggestion_per_ticket",
            ),
        ]

    def __str__(self):
        return f"suggestion {self.pk} for {self.ticket_id}"


class SuggestionRates(ReplySuggestion):
    """Acceptance, edit and rejection rates of suggested replies per intent (a report in the admin)."""

    class Meta:
        proxy = True
        verbose_name = "suggestion rates per intent"
        verbose_name_plural = "suggestion rates per intent"


class IntentLabel(models.Model):  # noqa: DJ008 (a log row: the admin shows its fields, never its name)
    """Training data for the intent classifier: intents staff set on tickets, and imported labels.

    Trained on by new versions of the fine-tuning purpose ``support.intent`` (``support.intent_finetuning``, which
    also counts a sent suggestion on a model-set intent as a confirmation); versions are ``ecomcms.Adapter`` rows.
    """

    class Source(models.TextChoices):
        STAFF = "staff", "Staff override"
        IMPORT = "import", "Import"

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels")
    text = models.TextField(help_text="Redacted text.")
    intent = models.CharField(max_length=100, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]


class TicketEvent(models.Model):  # noqa: DJ008 (a log row: the admin shows its fields, never its name)
    """Append-only history of a ticket: status changes, assignments, overrides, decisions."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status"
        ASSIGNED = "assigned", "Assigned"
        QUEUE = "queue", "Queue"
        OVERRIDE = "override", "Prediction overridden"
        TRIAGED = "triaged", "Triaged"
        TRIAGE_FAILED = "triage_failed", "Triage failed"
        TRIAGE_REQUEUED = "triage_requeued", "Triage requeued (worker lost)"
        SUGGESTED = "suggested", "Reply suggested"
        DECISION = "decision", "Suggestion decided"
        MESSAGE = "message", "Message"
        SLA_BREACH = "sla_breach", "SLA breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]


class TicketCopyRevision(models.Model):  # noqa: DJ008 (a link row: the admin shows its fields, never its name)
    """A ticket that reported misleading product copy, and the revision request it opened or joined.

    The link back from the editors' revision request (``content.CopyRevision``) to the tickets
    behind it; both admin pages link to each other through it.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="copy_revisions")
    revision = models.ForeignKey("ecomcms_content.CopyRevision", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("ecomcms_content.Product", on_delete=models.CASCADE, related_name="+")
    intent = models.CharField(max_length=100, blank=True, help_text="The intent that made it a copy report.")
    opened = models.BooleanField(default=False, help_text="This ticket opened the request (else it joined it).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "product"], name="one_copy_report_per_ticket_product"),
        ]


class Attachment(models.Model):  # noqa: DJ008 (a file of a message: the admin links it by its filename)
    """A file that came with a customer's email, stored with the message it came in (in the database, so it is
    committed with the ticket or not at all). Staff download it from the ticket page (never shown inline);
    the privacy export includes it and erasure deletes it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]


class InboundEmail(models.Model):
    """One email taken in from the support mailbox, and what it became. Its key makes taking it in idempotent.

    The key is the Message-ID (or a hash of the email when it has none), unique: a poll
    that crashed after committing and before marking the email done finds the row on its
    next try and only marks it done. Skipped (bounces, auto-replies) and quarantined
    emails are kept here with the reason, so nothing taken from the mailbox is silently lost.
    """

    class Outcome(models.TextChoices):
        TICKET = "ticket", "New ticket"
        REPLY = "reply", "Reply on a ticket"
        SKIPPED = "skipped", "Skipped (bounce or auto-reply)"
        QUARANTINED = "quarantined", "Quarantined"

    message_key = models.CharField(max_length=255, unique=True, help_text="Message-ID, or sha256:<hash> without one.")
    message_id = models.CharField(max_length=998, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Sender, date, subject and body: the same email twice.")
    in_reply_to = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0, help_text="Bytes on the server.")
    truncated = models.BooleanField(default=False, help_text="Over SUPPORT_IMAP_MAX_BYTES: only the start was read.")
    mailbox = models.CharField(max_length=200, blank=True)
    uid = models.PositiveBigIntegerField(null=True, blank=True)
    uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, db_index=True)
    reason = models.TextField(blank=True, help_text="Why it was skipped or quarantined, or what was odd about it.")
    defects = models.JSONField(default=list, blank=True, help_text="What the email parser found broken.")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails")
    customer_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "inbound email"

    def __str__(self):
        from support.privacy import mask_cards

        return f"{self.get_outcome_display()}: {mask_cards(self.subject) or '(no subject)'}"


class ArticleSuggestion(models.Model):
    """A gap in the knowledge base: recent tickets no article answered well, and the article the model drafted.

    Found by ``support.services.kb_gaps`` (clusters of tickets whose best article scored low); the
    ``generation`` worker drafts the article from the redacted staff replies that resolved those
    tickets, as an unpublished ``KnowledgeArticle``. It joins the knowledge base only when a
    reviewer approves it (``review_article_suggestion``): the article is then published.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the writer"
        GENERATING = "generating", "Being written"
        READY = "ready", "In review"
        APPROVED = "approved", "Approved and published"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    tickets = models.ManyToManyField(Ticket, related_name="article_suggestions",
                                     help_text="The tickets of the gap, nearest to its centre first.")
    title = models.CharField(max_length=300, help_text="The redacted subject of the ticket nearest the centre.")
    article = models.OneToOneField(KnowledgeArticle, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="suggested_by", help_text="The draft article (unpublished until "
                                                                         "approved).")
    best_score = models.FloatField(help_text="The highest best-article score among its tickets.")
    cohesion = models.FloatField(help_text="Mean cosine of the tickets to their centre.")
    details = models.JSONField(default=dict, blank=True, help_text="Thresholds, scores and intents of the run.")
    model_id = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=50, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("review_article_suggestion", "Can approve or reject suggested knowledge-base articles")]

    def __str__(self):
        return f"suggested article {self.pk}: {self.title}"
