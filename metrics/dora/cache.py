"""Caching of DORA figures for the pages.

An entry is fresh for under a minute and only while no change of the record has been
announced since (``incidents.signals.record_changed`` bumps a generation number), so a
new deployment shows within a minute. A stale entry is still served to everyone except
the one request that refreshes it, so that a crowd of viewers never recomputes the same
figures at once; only a cold start makes the others wait for the first computation."""

import hashlib
import json
import logging
import time

from django.core.cache import cache
from django.dispatch import receiver

from incidents.signals import record_changed

logger = logging.getLogger(__name__)

FRESH_SECONDS = 50
KEEP_SECONDS = 3600
LOCK_SECONDS = 120
WAIT_SECONDS = 120
GENERATION_KEY = "dora:generation"


@receiver(record_changed)
def _forget_figures(sender, kind, ids, **kwargs) -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def _key(identity) -> str:
    text = json.dumps(identity, default=str, sort_keys=True)
    return "dora:" + hashlib.sha256(text.encode()).hexdigest()


def _is_fresh(entry, generation: int) -> bool:
    return (
        entry is not None
        and entry["generation"] == generation
        and time.time() - entry["at"] < FRESH_SECONDS
    )


def cached(identity, compute):
    """``compute()`` cached under ``identity`` (anything JSON can spell)."""
    key = _key(identity)
    generation = cache.get(GENERATION_KEY, 0)
    entry = cache.get(key)
    if _is_fresh(entry, generation):
        return entry["value"]

    if not cache.add(key + ":lock", 1, timeout=LOCK_SECONDS):
        if entry is not None:
            return entry["value"]  # another request is refreshing it
        entry = _wait_for(key)
        if entry is not None:
            return entry["value"]

    try:
        started = time.time()
        value = compute()
        cache.set(
            key,
            {"value": value, "at": started, "generation": generation},
            timeout=KEEP_SECONDS,
        )
        logger.debug("Computed DORA figures in %.3f s", time.time() - started)
        return value
    finally:
        cache.delete(key + ":lock")


def _wait_for(key: str):
    deadline = time.time() + WAIT_SECONDS
    while time.time() < deadline:
        time.sleep(0.2)
        entry = cache.get(key)
        if entry is not None:
            return entry
    return None
