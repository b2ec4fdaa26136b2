"""Celery task outcomes counted in the cache, where the web process that Prometheus
scrapes can read what every worker counted."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

STATES = ("succeeded", "failed", "retried")
# The names of the tasks counted so far. Two workers adding a new name at once may
# drop one of them until its next count, which adds it back.
NAMES_KEY = "ops:tasks:names"


def _key(name: str, state: str) -> str:
    return f"ops:tasks:{state}:{name}"


def count_task(*, name: str, state: str) -> None:
    key = _key(name, state)
    try:
        # add() first: incr() on a missing key raises, and add is atomic.
        if not cache.add(key, 1, timeout=None):
            cache.incr(key)
        names = cache.get(NAMES_KEY) or []
        if name not in names:
            cache.set(NAMES_KEY, sorted([*names, name]), timeout=None)
    except Exception:
        logger.warning("Could not count task %s as %s", name, state, exc_info=True)


def task_counts() -> dict[tuple[str, str], int]:
    names = cache.get(NAMES_KEY) or []
    keys = {_key(name, state): (name, state) for name in names for state in STATES}
    found = cache.get_many(list(keys))
    return {keys[key]: value for key, value in found.items()}
