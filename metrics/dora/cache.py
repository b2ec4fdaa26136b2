"""Caching of DORA figures for the pages.

An entry is fresh for under a minute and only while no change of the record has been
announced since (``incidents.signals.record_changed`` bumps a generation number), so a
new deployment shows at once, and any other change within a minute. An entry that is
merely old is still served at once while one background thread refreshes it, so that a
crowd of viewers never recomputes the same figures together; after a change, one
request recomputes while the others still get the previous figures. Only a cold start
makes the others wait for the first computation."""

import hashlib
import json
import logging
import threading
import time

from django.core.cache import cache
from django.db import connections
from django.dispatch import receiver

from incidents.signals import record_changed

logger = logging.getLogger(__name__)

FRESH_SECONDS = 50
KEEP_SECONDS = 3600
LOCK_SECONDS = 120
WAIT_SECONDS = 120
GENERATION_KEY = "dora:generation"


def forget_figures() -> None:
    """Make every cached figure stale: the next request recomputes it."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


@receiver(record_changed)
def _forget_figures(sender, kind, ids, **kwargs) -> None:
    forget_figures()


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

    if entry is not None:
        if not cache.add(key + ":lock", 1, timeout=LOCK_SECONDS):
            return entry["value"]  # someone else is already refreshing it
        if entry["generation"] == generation:
            # Merely old: answer at once, refresh in the background.
            threading.Thread(
                target=_refresh, args=(key, generation, compute), daemon=True
            ).start()
            return entry["value"]
        return _compute_and_store(key, generation, compute)

    # Cold: one request computes, the others wait for it rather than pile on.
    if not cache.add(key + ":lock", 1, timeout=LOCK_SECONDS):
        entry = _wait_for(key)
        if entry is not None:
            return entry["value"]
    return _compute_and_store(key, generation, compute)


def _compute_and_store(key: str, generation: int, compute):
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


def _refresh(key: str, generation: int, compute) -> None:
    try:
        _compute_and_store(key, generation, compute)
    except Exception:
        logger.exception("Refreshing DORA figures failed")
    finally:
        # The thread opened its own database connection; do not leak it.
        connections.close_all()


def _wait_for(key: str):
    deadline = time.time() + WAIT_SECONDS
    while time.time() < deadline:
        time.sleep(0.2)
        entry = cache.get(key)
        if entry is not None:
            return entry
    return None
