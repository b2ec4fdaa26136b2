import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from . import outbound
from .models import WebhookDelivery

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


class TransientDeliveryError(Exception):
    pass


@shared_task(
    bind=True,
    autoretry_for=(TransientDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=MAX_ATTEMPTS - 1,
)
def deliver_webhook(self, delivery_id: int) -> str:
    delivery = (
        WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        logger.info("Delivery %s is gone or no longer pending; skipped", delivery_id)
        return "nothing to do"

    # Claim this attempt before sending. A message redelivered because its worker
    # died mid-send finds the attempt claimed: the receiver may already have the
    # notification, and a duplicate is worse than one left for a person to check.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        attempts=self.request.retries,
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=WebhookDelivery.Status.PENDING
        ).update(
            status=WebhookDelivery.Status.FAILED,
            error="Interrupted while sending; not resent to avoid a duplicate.",
        )
        logger.warning("Delivery %s was interrupted; not resending", delivery_id)
        return "interrupted: not resent"

    try:
        answer = outbound.post_json(delivery.webhook.url, delivery.payload)
    except outbound.UnsafeTarget as error:
        return _failed(self, delivery, None, str(error)[:500], retryable=False)
    except OSError as error:
        # Connection refused, reset, DNS trouble and timeouts are all OSErrors.
        return _failed(self, delivery, None, str(error)[:500] or repr(error))

    code = answer.status
    if 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.DELIVERED,
            response_code=code,
            error="",
            delivered_at=timezone.now(),
        )
        logger.info("Delivered %s to webhook %s", delivery.event, delivery.webhook_id)
        return "delivered"
    if 300 <= code < 400:
        return _failed(
            self, delivery, code, f"HTTP {code}: redirect not followed", retryable=False
        )
    return _failed(
        self, delivery, code, f"HTTP {code}", retryable=code >= 500 or code == 429
    )


def _failed(
    task,
    delivery: WebhookDelivery,
    code: int | None,
    error: str,
    *,
    retryable: bool = True,
) -> str:
    final = not retryable or task.request.retries >= MAX_ATTEMPTS - 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED
        if final
        else WebhookDelivery.Status.PENDING,
        response_code=code,
        error=error,
    )
    logger.warning(
        "Delivery %s to webhook %s failed: %s", delivery.pk, delivery.webhook_id, error
    )
    if final:
        return "failed"
    raise TransientDeliveryError(error)


# Deliveries that were never attempted this long after they were queued lost their
# task (the broker was down when the change was saved).
REQUEUE_AFTER = timedelta(minutes=5)


@shared_task
def requeue_pending_deliveries() -> str:
    cutoff = timezone.now() - REQUEUE_AFTER
    stranded = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, attempts=0, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for pk in stranded:
        deliver_webhook.delay(pk)
    if stranded:
        logger.info("Requeued %d stranded webhook deliveries", len(stranded))
    return f"requeued {len(stranded)}"


# Tasks kept in their own modules, loaded here so the worker registers them.
from .tasks_digest import send_action_item_digests  # noqa: E402,F401
