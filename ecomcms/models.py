from django.db import models


class WorkerHeartbeat(models.Model):
    """What each worker process last said about itself: queues served and models loaded.

    ``/healthz`` reads these rows: the web process never loads a model, so a model
    is "ready" when a live worker reports it loaded.
    """

    name = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    loaded = models.JSONField(default=dict, help_text="kind -> status, model id, load seconds or error")
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "pid"], name="unique_worker_process")]

    def __str__(self):
        return f"{self.name} (pid {self.pid})"
