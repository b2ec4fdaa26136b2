from django.db import models
from django.db.models import Q


class OutgoingWebhook(models.Model):
    """A receiver of Slack-compatible JSON notifications. The URL often carries a
    secret (Slack's incoming webhooks do), so it is never shown in lists, logs or
    exports."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=1000)
    # Event names this receiver wants (e.g. "deployment.finished"); empty means all.
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(
        OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    # Makes "notify once" a database guarantee: a second notification with the same
    # key for the same receiver is not created.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="delivery_unique_dedupe_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook} ({self.status})"
