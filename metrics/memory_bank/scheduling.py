"""When the memory bank is exported after the record changes.

With a broker (production): the first change arms a pending marker in the shared cache
and enqueues one export ``MEMORY_BANK_DEBOUNCE_SECONDS`` later; further changes while
the marker stands add nothing, so a burst of changes gives one export. The task clears
the marker before it reads the record, so a change during an export arms the next one.
Celery beat exports anyway every ``MEMORY_BANK_EXPORT_MINUTES``.

Embedded default (tasks run in-process, no beat): a change exports at once, inside the
request that made it, but at most once per debounce interval; a change inside the
interval only marks the bank dirty. A dirty bank is exported before it is served (API,
preview page) and by the next change after the interval, so one request in an interval
pays for one export and the others pay nothing."""

import logging

from django.conf import settings
from django.core.cache import cache
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

PENDING_KEY = "memory-bank:export-pending"
RECENT_KEY = "memory-bank:exported-recently"
DIRTY_KEY = "memory-bank:dirty"
LOCK_KEY = "memory-bank:export-lock"
# Longer than any export should take; a lock left by a killed worker expires.
LOCK_SECONDS = 15 * 60


def debounce_seconds() -> int:
    return getattr(settings, "MEMORY_BANK_DEBOUNCE_SECONDS", 30)


def request_export() -> str:
    """Called after every committed change to the record. Returns what it did."""
    from metrics.tasks import export_memory_bank

    mark_dirty()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if not cache.add(RECENT_KEY, True, timeout=debounce_seconds()):
            return "deferred"
        export_memory_bank.delay()
        return "exported"

    if not cache.add(PENDING_KEY, True, timeout=debounce_seconds() + LOCK_SECONDS):
        return "already scheduled"
    try:
        export_memory_bank.apply_async(countdown=debounce_seconds())
    except OperationalError:
        # The broker is down: let the next change try again; beat catches up.
        cache.delete(PENDING_KEY)
        logger.warning("Could not schedule a memory-bank export: broker unavailable")
        return "broker unavailable"
    return "scheduled"


def mark_dirty() -> None:
    cache.set(DIRTY_KEY, True, timeout=None)


def is_dirty() -> bool:
    return bool(cache.get(DIRTY_KEY))


def begin_export(*, owner: str | None = None) -> bool:
    """Take the export lock; False if another export holds it. The lock names the
    task that holds it, so that the same task, redelivered after its worker was
    killed mid-export, takes its own lock back instead of waiting for it to expire."""
    taken = cache.add(LOCK_KEY, owner or True, timeout=LOCK_SECONDS)
    if not taken and not (owner and cache.get(LOCK_KEY) == owner):
        return False
    cache.delete(PENDING_KEY)
    cache.delete(DIRTY_KEY)
    return True


def end_export() -> None:
    cache.delete(LOCK_KEY)
