"""Tickets, their message threads, triage predictions, the knowledge base and suggested replies.

Nothing is sent to a customer without a person: a suggestion is only a proposal
until a staff member accepts, edits or rejects it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class SetBy(models.TextChoices):
    MODEL = "model", "Model"
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


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class Queue(models.Model):
    """A team's queue, with its service-level targets in hours."""

    name = models.CharField(max_length=100, unique=True)
    first_response_hours = models.PositiveIntegerField(default=24)
    resolution_hours = models.PositiveIntegerField(default=72)

    def __str__(self):
        return self.name


class Intent(models.Model):
    """The intent taxonomy: what customers want. Descriptions feed the zero-shot fallback."""

    name = models.CharField(max_length=100, unique=True)
    category = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    examples = models.JSONField(default=list, blank=True)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, help_text="Where its tickets go.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class KnowledgeArticle(models.Model):
    title = models.CharField(max_length=300)
    body = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    is_published = models.BooleanField(default=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=200, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class CannedResponse(models.Model):
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_responses")
    title = models.CharField(max_length=200)
    body = models.TextField()
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=200, blank=True, editable=False)

    def __str__(self):
        return self.title


class Ticket(models.Model):
    public_id = models.CharField(max_length=20, unique=True)
    access_token_hash = models.CharField(max_length=64, help_text="SHA-256 of the customer's access token.")
    customer_email = models.EmailField()
    customer_name = models.CharField(max_length=200, blank=True)
    customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    order_reference = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=300)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(max_length=10, choices=TicketStatus.choices, default=TicketStatus.NEW, db_index=True)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")

    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

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

    needs_human_triage = models.BooleanField(default=False, db_index=True, help_text="The model was not confident enough.")
    triaged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("handle_ticket", "Can triage tickets and decide on suggested replies")]

    def __str__(self):
        return f"{self.public_id}: {self.subject}"


class Message(models.Model):
    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        NOTE = "note", "Internal note"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(help_text="As written; shown to staff only.")
    redacted_body = models.TextField(blank=True, help_text="What models see: personal data replaced by placeholders.")
    redactions = models.JSONField(default=dict, blank=True, help_text="placeholder -> original value")
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class ReplySuggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GENERATING = "generating", "Generating"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Edited and sent"
        REJECTED = "rejected", "Rejected"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="suggestions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    text = models.TextField(blank=True, help_text="The suggested reply, personal data restored.")
    redacted_text = models.TextField(blank=True, help_text="What the model wrote, with placeholders.")
    articles = models.ManyToManyField(KnowledgeArticle, blank=True, related_name="suggestions")
    canned_responses = models.ManyToManyField(CannedResponse, blank=True, related_name="suggestions")
    model_id = models.CharField(max_length=200, blank=True)
    prompt_version = models.CharField(max_length=50, blank=True)
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True, help_text="Checks the reviewer should see (links, instructions ...).")
    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    reject_reason = models.TextField(blank=True)
    sent_text = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status__in=["pending", "generating"]), name="one_open_suggestion_per_ticket"
            ),
        ]


class IntentLabel(models.Model):
    """Training data for the intent classifier: staff overrides and imported labels."""

    class Source(models.TextChoices):
        STAFF = "staff", "Staff override"
        IMPORT = "import", "Import"

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels")
    text = models.TextField(help_text="Redacted text.")
    intent = models.CharField(max_length=100, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class IntentModel(models.Model):
    """A trained intent classifier: metrics, artifact path, and which one is active."""

    created_at = models.DateTimeField(auto_now_add=True)
    embedding_model = models.CharField(max_length=200)
    n_train = models.PositiveIntegerField()
    labels = models.JSONField(default=list)
    metrics = models.JSONField(default=dict, blank=True)
    threshold = models.FloatField()
    artifact = models.CharField(max_length=500, help_text="Path of the saved classifier.")
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_intent_model")]


class TicketEvent(models.Model):
    """Append-only history of a ticket: status changes, assignments, overrides, decisions."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=30)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
