from django.conf import settings
from django.db import models

from .deployments import Deployment


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for a deployment it posted. The hash of the
    canonical request body tells a true repeat (same key, same body: answer with the
    stored record) from a client bug (same key, other body: refuse)."""

    # Keys are scoped to the client that sent them, so two pipelines that happen to
    # pick the same key never see each other's deployments.
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    deployment = models.ForeignKey(
        Deployment,
        null=True,
        on_delete=models.CASCADE,
        related_name="idempotency_keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key"], name="idempotency_key_unique_per_client"
            ),
        ]

    def __str__(self) -> str:
        return self.key
