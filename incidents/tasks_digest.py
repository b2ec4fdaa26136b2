"""The daily digest of overdue action items (scheduled in CELERY_BEAT_SCHEDULE)."""

import itertools
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .postmortem_selectors import overdue_action_items
from .services.action_items import send_overdue_digest

logger = logging.getLogger(__name__)


@shared_task
def send_action_item_digests() -> str:
    # "Overdue" and "today" are the team's calendar day, not UTC's.
    with timezone.override(settings.TIME_ZONE):
        today = timezone.localdate()
    sent = 0
    items = overdue_action_items(today=today)
    for _, group in itertools.groupby(items, key=lambda item: item.owner_id):
        owned = list(group)
        if send_overdue_digest(owner=owned[0].owner, items=owned, today=today):
            sent += 1
    return f"sent {sent} digest(s)"
