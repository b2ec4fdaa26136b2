import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..errors import DomainError
from ..models import ActionItem, Postmortem
from ..signals import announce_change

logger = logging.getLogger(__name__)

_CLOSED = {ActionItem.Status.DONE, ActionItem.Status.WONT_DO}
_EDITABLE = {"title", "kind", "owner", "due_date", "priority", "status", "tracker_url"}


@transaction.atomic
def add_action_item(
    *, postmortem: Postmortem, title: str, actor: User | None, **fields
) -> ActionItem:
    if not title.strip():
        raise DomainError("An action item needs a title.", field="title")

    item = ActionItem(postmortem=postmortem, title=title.strip(), **fields)
    if item.status in _CLOSED:
        item.completed_at = timezone.now()
    item.save()

    announce_change(kind="action_item", ids=[item.pk])
    logger.info("Action item %s added to %s", item.pk, postmortem)
    return item


@transaction.atomic
def update_action_item(
    *, item: ActionItem, actor: User | None, **changes
) -> ActionItem:
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.")
    if "title" in changes and not changes["title"].strip():
        raise DomainError("An action item needs a title.", field="title")

    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    was_closed = item.status in _CLOSED
    for field, value in changes.items():
        setattr(item, field, value)
    # Closing stamps the moment; reopening clears it.
    if item.status in _CLOSED and not was_closed:
        item.completed_at = timezone.now()
    elif item.status not in _CLOSED:
        item.completed_at = None
    item.save()

    announce_change(kind="action_item", ids=[item.pk])
    return item
