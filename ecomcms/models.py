from django.conf import settings
from django.db import models


class WorkerHeartbeat(models.Model):
    """What each worker process last said about itself: queues served and models loaded.

    ``/healthz`` reads these rows: the web process never loads a model, so a model
    is "ready" when a live worker reports it loaded. ``/metrics`` reads them too: the
    counters a worker keeps while it works travel with its heartbeat.
    """

    name = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    loaded = models.JSONField(default=dict, help_text="kind -> status, model id, load seconds or error")
    metrics = models.JSONField(default=list, blank=True, help_text="The process's own Prometheus metrics "
                               "(generation batches, tokens, seconds), re-exposed by /metrics")
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "pid"], name="unique_worker_process")]

    def __str__(self):
        return f"{self.name} (pid {self.pid})"


class AdapterStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    TRAINING = "training", "Training"
    EVALUATING = "evaluating", "Evaluating"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Adapter(models.Model):
    """One fine-tuning run of a model for one purpose (``content.copy``, ``support.reply``): a versioned artifact.

    What it was trained on (data counts, parameters, base model), how it went (progress, loss
    curve, seconds), how it compares with the model it would replace on a held-out split the
    adapter never saw (``metrics``: base, adapter, gate), and where its files are.
    """

    purpose = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    base_model = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=AdapterStatus.choices, default=AdapterStatus.QUEUED)
    parameters = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Example counts: train, held out, by source.")
    progress = models.JSONField(default=dict, blank=True, help_text="step, steps, losses (one per step)")
    metrics = models.JSONField(default=dict, blank=True, help_text="base, adapter and the gate's verdict")
    seconds = models.FloatField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="unique_adapter_version"),
            models.UniqueConstraint(fields=["purpose"], condition=models.Q(is_active=True),
                                    name="one_active_adapter_per_purpose"),
        ]

    def __str__(self):
        return f"{self.purpose} v{self.version}"

    @property
    def gate_passed(self) -> bool:
        return bool((self.metrics or {}).get("gate", {}).get("passed"))


class AdapterActivation(models.Model):  # noqa: DJ008 (a log row: the admin shows its fields, never its name)
    """Append-only log of activations and roll-backs."""

    purpose = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=[("activate", "Activate"), ("rollback", "Roll back")])
    from_adapter = models.ForeignKey(Adapter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_adapter = models.ForeignKey(Adapter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]


class CacheGeneration(models.Model):
    """A named counter that a write bumps whenever what a cache keeps under that name may have changed.

    Caches key their entries by the current value (``ecomcms.caching``), so one bump makes every
    entry of every process stale at once: the counter lives in the database, which each web
    process and worker shares, even when each keeps its own in-memory cache.
    """

    name = models.CharField(max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.value}"
