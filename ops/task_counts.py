"""Celery task outcomes counted in the cache, where the web process that Prometheus
scrapes can read what every worker counted."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)

STATES = ("succeeded", "failed", "retried")


def _key(name: str, state: str) -> str:
    return f"ops:tasks:{state}:{name}"


def count_task(*, name: str, state: str) -> None:
    key = _key(name, state)
    try:
        # add() first: incr() on a missing key raises, and add is atomic.
        if not cache.add(key, 1, timeout=None):
            cache.incr(key)
    except Exception:
        logger.warning("Could not count task %s as %s", name, state, exc_info=True)


def task_counts(names: list[str]) -> dict[tuple[str, str], int]:
    keys = {_key(name, state): (name, state) for name in names for state in STATES}
    found = cache.get_many(list(keys))
    return {keys[key]: value for key, value in found.items()}
