"""When the memory bank is exported after the record changes.

With a broker (production): the first change arms a pending marker in the shared cache
and enqueues one export ``MEMORY_BANK_DEBOUNCE_SECONDS`` (default 30) later; further
changes while the marker stands add nothing, so a burst of changes gives one export.
The task clears the marker before it reads the record, so a change during an export
arms the next one. Celery beat exports anyway every ``MEMORY_BANK_EXPORT_MINUTES``.

Embedded default (tasks run in-process, no worker, no beat): an export takes seconds,
far too long to run inside the request that changed the record. A change marks the
bank dirty and wakes one background thread in the web process, which waits out the
debounce interval, exports, and repeats while changes keep arriving; requests pay
nothing. Where no second connection can see the data (an in-memory SQLite database,
as in the test suite) no thread starts and the bank stays dirty. A dirty bank is
exported before it is served by the API or the preview page when no thread is about
to do it, and ``manage.py export_memory_bank`` exports at any time."""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

PENDING_KEY = "memory-bank:export-pending"
DIRTY_KEY = "memory-bank:dirty"
LOCK_KEY = "memory-bank:export-lock"
# Longer than any export should take; a lock left by a killed worker expires.
LOCK_SECONDS = 15 * 60

_thread_lock = threading.Lock()
_thread: threading.Thread | None = None


def debounce_seconds() -> float:
    return getattr(settings, "MEMORY_BANK_DEBOUNCE_SECONDS", 30)


def request_export() -> str:
    """Called after every committed change to the record. Returns what it did."""
    mark_dirty()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return _wake_background_export()

    if not cache.add(PENDING_KEY, True, timeout=debounce_seconds() + LOCK_SECONDS):
        return "already scheduled"
    from metrics.tasks import export_memory_bank

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


def background_export_pending() -> bool:
    with _thread_lock:
        return _thread is not None


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


def _threads_can_see_the_data() -> bool:
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def _wake_background_export() -> str:
    global _thread
    if not _threads_can_see_the_data():
        return "deferred"
    with _thread_lock:
        if _thread is not None:
            return "already scheduled"
        _thread = threading.Thread(
            target=_export_in_background, name="memory-bank-export", daemon=True
        )
        _thread.start()
    return "scheduled"


def _export_in_background() -> None:
    global _thread
    from metrics.tasks import export_memory_bank

    try:
        while True:
            time.sleep(debounce_seconds())
            # Deciding to stop and forgetting the thread happen under the lock, so
            # a change that arrives meanwhile either is seen here or starts a thread.
            with _thread_lock:
                if not is_dirty():
                    _thread = None
                    return
            outcome = export_memory_bank()
            logger.info("Background memory-bank export: %s", outcome)
    except Exception:
        logger.exception("Background memory-bank export failed")
        with _thread_lock:
            _thread = None
    finally:
        # This thread's own connection; the web threads keep theirs.
        connections.close_all()
