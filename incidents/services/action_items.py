"""Action items: created and edited from the postmortem page, and the daily digest
that reminds each owner of what is overdue."""

import logging
from datetime import date

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..errors import DomainError
from ..models import ActionItem, ActionItemDigest, Postmortem
from ..signals import announce_change
from .notifications import notify

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "title",
    "kind",
    "owner",
    "due_date",
    "priority",
    "status",
    "tracker_url",
)
DIGEST_EVENT = "action_items.overdue"


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            f"Unknown action item field: {sorted(unknown)[0]}.",
            field=sorted(unknown)[0],
        )
    if "title" in fields and not str(fields["title"]).strip():
        raise DomainError("An action item needs a title.", field="title")


def _completion_time(status: str, previous: str | None):
    closed = {ActionItem.Status.DONE, ActionItem.Status.WONT_DO}
    if status in closed and previous not in closed:
        return timezone.now()
    return None


@transaction.atomic
def add_action_item(
    *, postmortem: Postmortem, title: str, actor: User | None, **fields
) -> ActionItem:
    fields["title"] = title.strip()
    _check_fields(fields)

    item = ActionItem(postmortem=postmortem, **fields)
    item.completed_at = _completion_time(item.status, None)
    item.full_clean()
    item.save()
    announce_change(kind="action_item", ids=[item.pk])
    logger.info("Action item %s added to postmortem %s", item.pk, postmortem.pk)
    return item


@transaction.atomic
def update_action_item(*, item: ActionItem, actor: User | None, **fields) -> ActionItem:
    _check_fields(fields)
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    previous_status = locked.status

    for name, value in fields.items():
        setattr(locked, name, value)
    if locked.status == ActionItem.Status.OPEN:
        locked.completed_at = None
    else:
        locked.completed_at = (
            _completion_time(locked.status, previous_status) or locked.completed_at
        )
    locked.full_clean()
    locked.save()
    announce_change(kind="action_item", ids=[locked.pk])
    return locked


def _digest_payload(owner: User, all_items: list[ActionItem], today: date) -> dict:
    # Webhooks post to shared channels: restricted incidents are only counted.
    items = [i for i in all_items if not i.postmortem.incident.is_restricted]
    hidden = len(all_items) - len(items)
    lines = [
        f"- {item.title} ({item.postmortem.incident.key}, due {item.due_date})"
        for item in items
    ]
    if hidden:
        lines.append(f"- and {hidden} on restricted incidents")
    return {
        "text": f"{owner.get_username()} has {len(all_items)} overdue action "
        "item(s):\n" + "\n".join(lines),
        "owner": owner.get_username(),
        "restricted_items": hidden,
        "day": today.isoformat(),
        "items": [
            {
                "id": item.pk,
                "title": item.title,
                "incident": item.postmortem.incident.key,
                "due_date": item.due_date.isoformat(),
                "priority": item.priority,
                "tracker_url": item.tracker_url,
            }
            for item in items
        ],
    }


@transaction.atomic
def send_overdue_digest(*, owner: User, items: list[ActionItem], today: date) -> bool:
    """E-mail and notify one owner about their overdue items, once per day: the
    digest row is claimed first, so a second run that day sends nothing. The
    e-mail lists only the items whose incident the owner may see."""
    items = [i for i in items if i.postmortem.incident.is_visible_to(owner)]
    if not items:
        return False
    try:
        with transaction.atomic():
            ActionItemDigest.objects.create(
                owner=owner, day=today, item_count=len(items)
            )
    except IntegrityError:
        return False

    payload = _digest_payload(owner, items, today)
    notify(
        event=DIGEST_EVENT,
        payload=payload,
        dedupe_key=f"action-digest:{owner.pk}:{today.isoformat()}",
    )
    if owner.email:
        context = {
            "owner": owner,
            "items": items,
            "base_url": settings.HINDSIGHT_BASE_URL,
        }
        subject = f"[Hindsight] {len(items)} overdue action item(s)"
        body = render_to_string("incidents/action_items_digest.txt", context)
        # Sent after commit: a rolled-back claim must not leave a sent e-mail behind.
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
        )
    logger.info("Overdue digest for user %s: %s item(s)", owner.pk, len(items))
    return True
