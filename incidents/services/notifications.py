import logging

from django.db import IntegrityError, transaction

from ..models import OutgoingWebhook, WebhookDelivery

logger = logging.getLogger(__name__)


@transaction.atomic
def notify(*, event: str, payload: dict, dedupe_key: str | None = None) -> list[int]:
    """Queue ``payload`` for every active receiver that wants ``event``. Delivery
    happens in a Celery task after commit, so a slow or failing receiver never
    slows down or blocks the request that caused the notification."""
    delivery_ids = []
    for webhook in OutgoingWebhook.objects.filter(is_active=True):
        if not webhook.wants(event):
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    webhook=webhook, event=event, payload=payload, dedupe_key=dedupe_key
                )
        except IntegrityError:
            logger.debug("Notification %s already sent to %s", dedupe_key, webhook)
            continue
        delivery_ids.append(delivery.pk)

    if delivery_ids:
        from ..tasks import deliver_webhook

        transaction.on_commit(
            lambda: [deliver_webhook.delay(pk) for pk in delivery_ids]
        )
    return delivery_ids
