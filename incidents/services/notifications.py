"""Outgoing notifications: queue a Slack-compatible message for every receiver that
wants the event, and deliver it after commit in a Celery task (incidents.tasks)."""

import logging
import statistics
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from kombu.exceptions import OperationalError

from ..models import Deployment, OutgoingWebhook, WebhookDelivery

logger = logging.getLogger(__name__)

MAX_LISTED_CHANGES = 10
# How many recent deployments the expected duration is the median of.
DURATION_SAMPLE = 10

_VERBS = {
    Deployment.Status.IN_PROGRESS: "started",
    Deployment.Status.SUCCESS: "succeeded",
    Deployment.Status.FAILURE: "failed",
    Deployment.Status.ROLLED_BACK: "was rolled back",
}
_EMOJI = {
    Deployment.Status.IN_PROGRESS: ":rocket:",
    Deployment.Status.SUCCESS: ":white_check_mark:",
    Deployment.Status.FAILURE: ":x:",
    Deployment.Status.ROLLED_BACK: ":rewind:",
}


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
        transaction.on_commit(lambda: _send(delivery_ids))
    return delivery_ids


def _send(delivery_ids: list[int]) -> None:
    from ..tasks import deliver_webhook

    if not settings.CELERY_TASK_ALWAYS_EAGER:
        for pk in delivery_ids:
            try:
                deliver_webhook.delay(pk)
            except OperationalError:
                # The change is committed; the delivery stays pending and
                # tasks.requeue_pending_deliveries sends it once the broker is back.
                logger.warning("Broker unavailable; delivery %s stays pending", pk)
        return
    # Without a broker Celery would run the task right here, inside the request that
    # caused the notification, retries and timeouts included; a thread lets that
    # request answer at once whatever the receiver does.
    threading.Thread(
        target=_deliver_in_background,
        args=(delivery_ids,),
        name="webhook-delivery",
        daemon=True,
    ).start()


def _deliver_in_background(delivery_ids: list[int]) -> None:
    from ..tasks import deliver_webhook

    try:
        for pk in delivery_ids:
            deliver_webhook.apply(args=[pk])
    finally:
        connections.close_all()


def announce_deployment(*, deployment: Deployment) -> list[int]:
    """Tell receivers that a deployment started or ended; each status is announced
    at most once per deployment, however often it is reported."""
    if not OutgoingWebhook.objects.filter(is_active=True).exists():
        return []

    started = deployment.status == Deployment.Status.IN_PROGRESS
    return notify(
        event="deployment.started" if started else "deployment.finished",
        payload=deployment_message(deployment),
        dedupe_key=f"deployment:{deployment.pk}:{deployment.status}",
    )


def deployment_message(deployment: Deployment) -> dict:
    """Slack-compatible JSON: ``text`` for plain receivers and notifications, and
    ``blocks`` with the details."""
    service = deployment.service.slug
    label = deployment.version or deployment.commit_sha[:12] or f"#{deployment.pk}"
    status = Deployment.Status(deployment.status)
    headline = (
        f"{_EMOJI[status]} Deployment of {service} {label} to "
        f"{deployment.environment} {_VERBS[status]}"
    )

    fields = [
        ("Status", status.label),
        ("Environment", deployment.environment),
        ("Version", label),
        ("Started", _when(deployment.started_at)),
        ("Expected duration", _expected_duration(deployment)),
        ("Rollback ready", _rollback_target(deployment)),
    ]
    if deployment.finished_at and status != Deployment.Status.IN_PROGRESS:
        fields.append(("Finished", _when(deployment.finished_at)))
    if deployment.rollback_of_id:
        undone = deployment.rollback_of
        fields.append(("Rolls back", f"{_label(undone)} (#{undone.pk})"))

    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(headline)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{name}*\n{_escape(value)}"}
                for name, value in fields
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _changes(deployment)}},
    ]
    if deployment.url:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"Watch it: <{_escape(deployment.url)}|pipeline>",
                },
            }
        )
    return {"text": _escape(headline), "blocks": blocks}


def _changes(deployment: Deployment) -> str:
    commits = list(deployment.commits.order_by("committed_at", "id"))
    if not commits:
        return "*Changes*\nNo commits reported."

    lines = [
        f"• `{c.sha[:8]}` {_escape(_subject(c.message) or '(no message)')}"
        for c in commits[:MAX_LISTED_CHANGES]
    ]
    if len(commits) > MAX_LISTED_CHANGES:
        lines.append(f"…and {len(commits) - MAX_LISTED_CHANGES} more")
    return f"*Changes ({len(commits)})*\n" + "\n".join(lines)


def _subject(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else ""
    return first[:120]


def _rollback_target(deployment: Deployment) -> str:
    previous = (
        Deployment.objects.filter(
            service_id=deployment.service_id,
            environment=deployment.environment,
            status=Deployment.Status.SUCCESS,
        )
        .exclude(pk=deployment.pk)
        .order_by("-finished_at", "-id")
        .first()
    )
    if previous is None:
        return "No: no earlier successful deployment"
    return f"Yes: {_label(previous)} (#{previous.pk})"


def _expected_duration(deployment: Deployment) -> str:
    rows = (
        Deployment.objects.filter(
            service_id=deployment.service_id,
            environment=deployment.environment,
            status__in=Deployment.FINISHED_STATUSES,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .exclude(pk=deployment.pk)
        .order_by("-finished_at", "-id")
        .values_list("started_at", "finished_at")[:DURATION_SAMPLE]
    )
    durations = [(end - start).total_seconds() for start, end in rows]
    if not durations:
        return "unknown (no timed deployments yet)"
    median = statistics.median(durations)
    return f"about {_duration_text(median)} (median of the last {len(durations)})"


def _duration_text(seconds: float) -> str:
    rounded = timedelta(seconds=round(seconds))
    minutes, secs = divmod(int(rounded.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _label(deployment: Deployment) -> str:
    return deployment.version or deployment.commit_sha[:12] or f"#{deployment.pk}"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "not reported"


def _escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
