"""Products, prompt templates, AI drafts with their review history, and published copy.

AI text and the editor's text are kept apart on every draft, with full provenance,
and only ``PublishedCopy`` ever reaches a shopper.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CopyKind(models.TextChoices):
    DESCRIPTION = "description", "Product description"
    AD_HEADLINE = "ad_headline", "Search-ad headline"
    AD_DESCRIPTION = "ad_description", "Search-ad description"
    SOCIAL_POST = "social_post", "Social post"
    SEO_TITLE = "seo_title", "SEO title"
    META_DESCRIPTION = "meta_description", "Meta description"
    REVIEW_SUMMARY = "review_summary", "Review summary"


# Channel limits in characters, and how many variants one request asks for.
KIND_LIMITS = {
    CopyKind.DESCRIPTION: 1000,
    CopyKind.AD_HEADLINE: 30,
    CopyKind.AD_DESCRIPTION: 90,
    CopyKind.SOCIAL_POST: 280,
    CopyKind.SEO_TITLE: 60,
    CopyKind.META_DESCRIPTION: 160,
    CopyKind.REVIEW_SUMMARY: 600,
}
KIND_VARIANTS = {CopyKind.AD_HEADLINE: 3, CopyKind.AD_DESCRIPTION: 3, CopyKind.SOCIAL_POST: 3}


class CopyStrategy(models.TextChoices):
    """How a template's copy is made (content/strategies.py; measured in docs/copy-quality.md)."""

    FREE = "free", "Free generation"
    GUARDED = "guarded", "Free generation, numbers and attribute values guarded"
    PLANNED = "planned", "Planned from the facts, the model ranks the wording"


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    brand = models.CharField(max_length=120, blank=True)
    category = models.CharField(max_length=120, blank=True, db_index=True)
    attributes = models.JSONField(
        default=dict, blank=True, help_text="Facts as key/value pairs: material, size, colour ..."
    )
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    stock = models.IntegerField(default=0)
    image_urls = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(
        "active", default=True, help_text="Archived products are hidden from the storefront."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return f"{self.title} ({self.sku})"


class Review(models.Model):
    """A real customer review, imported. ecomcms summarizes reviews; it never writes them."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    external_id = models.CharField(max_length=100, help_text="The review's id in the source system.")
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateField(null=True, blank=True)
    helpful_count = models.PositiveIntegerField(default=0, help_text="Shoppers who found the review helpful.")
    imported_at = models.DateTimeField(default=timezone.now, help_text="Counts as the review's date when it has none.")
    # Read from the text (never the rating) by the sentiment model when one is trained, else the cue words
    # (ecomcms/sentiment.py); empty until scored (content/review_sentiment.py).
    sentiment = models.CharField(max_length=10, blank=True, db_index=True,
                                 choices=[(s, s.capitalize()) for s in ("negative", "neutral", "positive")])
    sentiment_confidence = models.CharField(max_length=10, blank=True)
    sentiment_source = models.CharField(max_length=40, blank=True, help_text="model v<N> or cue words.")

    class Meta:
        ordering = ["-reviewed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "external_id"], name="unique_review_per_product"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self):
        return f"{self.rating}/5 {self.title or self.body[:40]}"


class PromptTemplate(models.Model):
    """A versioned prompt for one kind of copy. Editing makes a new version; one is active per kind."""

    kind = models.CharField(max_length=32, choices=CopyKind.choices)
    version = models.PositiveIntegerField()
    system = models.TextField(help_text="Instructions to the model. Product data never goes here.")
    user = models.TextField(
        help_text="The request. Placeholders: {title} {brand} {category} {attributes} {price} {reviews} {max_chars}."
    )
    options = models.JSONField(
        default=dict, blank=True, help_text="Generation options: max_new_tokens, temperature ..."
    )
    max_chars = models.PositiveIntegerField(help_text="The copy is trimmed to this length at a sentence boundary.")
    strategy = models.CharField(
        max_length=16,
        choices=CopyStrategy.choices,
        default=CopyStrategy.FREE,
        blank=True,
        help_text="Empty keeps the strategy of the version being edited. Free: the model writes. "
        "Guarded: it writes, but may only use numbers and attribute values "
        "the product's facts hold. Planned: sentences from reviewed patterns filled with the facts; "
        "the model only ranks the wording (system/user are then unused).",
    )
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_template_version"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="one_active_template_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version}"


class TemplatePreview(models.Model):  # noqa: DJ008 (a log row: the admin shows its fields, never its name)
    """The output of a template on one product, generated in the worker; it creates no draft."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="previews")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    text = models.TextField(blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class GenerationJob(models.Model):
    """One bulk request: how many drafts it asked for and how far the workers are."""

    kind = models.CharField(max_length=32, choices=CopyKind.choices)
    description = models.CharField(max_length=300, blank=True, help_text="What was selected (filter or selection).")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Job {self.pk}: {self.get_kind_display()} x {self.total}"


class DraftStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    GENERATING = "generating", "Generating"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


OPEN_STATUSES = (DraftStatus.QUEUED, DraftStatus.GENERATING)


class Draft(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(max_length=32, choices=CopyKind.choices, db_index=True)
    variant = models.PositiveSmallIntegerField(default=1)
    template = models.ForeignKey(PromptTemplate, on_delete=models.PROTECT, related_name="drafts")
    job = models.ForeignKey(GenerationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts")
    adapter = models.ForeignKey(
        "ecomcms.Adapter", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The adapter a split job's challenger arm asked for; empty: the one active when it is written. "
                  "What it was written with is in generation_options.adapter.",
    )
    regenerates = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="regenerations"
    )
    revision = models.ForeignKey(
        "CopyRevision", null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts",
        help_text="The revision request (customers misled by the copy) this draft answers.",
    )
    feedback = models.TextField(blank=True, help_text="The editor's comment this draft was regenerated with.")
    status = models.CharField(max_length=20, choices=DraftStatus.choices, default=DraftStatus.QUEUED, db_index=True)

    ai_text = models.TextField(
        blank=True, help_text="What the model wrote, after trimming and sanitizing. Never edited."
    )
    editor_text = models.TextField(blank=True, help_text="The editor's version; empty means the AI text as is.")

    # Provenance
    model_id = models.CharField(max_length=200, blank=True)
    generation_options = models.JSONField(default=dict, blank=True)
    input_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the prompt, options and model.")
    strategy = models.CharField(max_length=16, blank=True, help_text="How the copy was made (the template's strategy).")
    strategy_details = models.JSONField(
        default=dict, blank=True,
        help_text="How the strategy ran: whether the grounding logits processor was on, what it allowed, "
                  "how many candidates the model ranked.",
    )
    tokens_in = models.PositiveIntegerField(null=True, blank=True)
    tokens_out = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    summarized_reviews = models.ManyToManyField(
        Review, blank=True, related_name="summaries",
        help_text="Review summaries: exactly the reviews the summary was made from.",
    )

    checks = models.JSONField(default=list, blank=True)
    checks_passed = models.BooleanField(null=True, db_index=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False, help_text="float32 vector of the AI text")

    failure_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)

    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    publish_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Publish automatically at this time once approved."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "created_at"]
        permissions = [
            ("request_generation", "Can request AI drafts"),
            ("review_draft", "Can approve, reject and request changes"),
            ("publish_draft", "Can publish approved drafts"),
        ]
        constraints = [
            # A repeated request never queues a second draft while one is on its way.
            models.UniqueConstraint(
                fields=["product", "kind", "variant"], condition=Q(status__in=["queued", "generating"]),
                name="one_open_draft_per_product_kind_variant",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.variant} for {self.product.sku} ({self.get_status_display()})"

    @property
    def text(self) -> str:
        """The text that would be published: the editor's when there is one."""
        return self.editor_text or self.ai_text


class CopyRevision(models.Model):
    """A request to revise a product's copy because it misled customers (opened from support tickets).

    One open request per product and kind: a further report joins it (``reports`` grows) instead
    of queueing a second draft. ``reports`` hold the customers' points redacted, each with where it
    came from (a ticket id and its admin link), never a name or an address. The request closes
    when its latest draft is decided (approved, published, rejected or superseded).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="copy_revisions")
    kind = models.CharField(max_length=32, choices=CopyKind.choices, default=CopyKind.DESCRIPTION)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    reports = models.JSONField(
        default=list, blank=True,
        help_text="The customers' points, redacted: [{source, url, reason, text, at}].",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "kind"], condition=Q(status="open"), name="one_open_revision_per_product_kind",
            ),
        ]

    def __str__(self):
        return f"Revision of the {self.get_kind_display().lower()} of {self.product.sku}"


class DraftEvent(models.Model):
    """Append-only history: one row per transition, never changed."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=20, choices=DraftStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DraftStatus.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"


class PublishedCopy(models.Model):
    """What shoppers see. A newer publication of the same product, kind and variant supersedes it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="published_copy")
    kind = models.CharField(max_length=32, choices=CopyKind.choices)
    variant = models.PositiveSmallIntegerField(default=1)
    text = models.TextField()
    draft = models.ForeignKey(Draft, on_delete=models.PROTECT, related_name="publications")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["product", "kind", "variant", "-published_at"]
        verbose_name_plural = "published copy"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "kind", "variant"], condition=Q(superseded_at__isnull=True),
                name="one_current_copy_per_product_kind_variant",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.variant} of {self.product.sku}"


class AttributeTerm(models.Model):
    """A value of an attribute vocabulary the shop keeps (materials, colours, certifications).

    Guarded generation lets the model write a term only when the product's facts hold it
    (one of its spellings); every other active term is blocked while decoding.
    """

    class Vocabulary(models.TextChoices):
        MATERIAL = "material", "Material"
        COLOUR = "colour", "Colour"
        CERTIFICATION = "certification", "Certification"
        FEATURE = "feature", "Feature (connectivity, ratings)"

    vocabulary = models.CharField(max_length=20, choices=Vocabulary.choices)
    term = models.CharField(max_length=100)
    synonyms = models.CharField(
        max_length=300, blank=True, help_text="Other spellings, comma-separated (aluminum, ...)."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["vocabulary", "term"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "term"], name="unique_attribute_term")]

    def __str__(self):
        return f"{self.get_vocabulary_display()}: {self.term}"

    @property
    def spellings(self) -> list[str]:
        return [self.term] + [s.strip() for s in self.synonyms.split(",") if s.strip()]


class BannedPhrase(models.Model):
    """Words editors never want in copy; drafts containing one are flagged."""

    phrase = models.CharField(max_length=200, unique=True)
    note = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self):
        return self.phrase


class ReviewQueue(Draft):
    """The drafts waiting for an editor, as their own page in the admin."""

    class Meta:
        proxy = True
        verbose_name = "draft in review"
        verbose_name_plural = "review queue"


class EditorDecisions(Draft):
    """The editor-decision report (content.analytics) as its own page in the admin."""

    class Meta:
        proxy = True
        verbose_name = "editor decisions"
        verbose_name_plural = "editor decisions"
