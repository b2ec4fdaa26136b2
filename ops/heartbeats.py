"""When workers and beat were last seen alive, kept in the cache (Redis in
production) so that every web process can answer /health."""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

WORKER_KEY = "ops:heartbeat:worker"
BEAT_KEY = "ops:heartbeat:beat"
INTERVAL_SECONDS = 15
# Long enough that a stale heartbeat still says when the process was last seen.
KEEP_SECONDS = 24 * 3600


def beat_of(key: str, *, name: str) -> None:
    """Record that `name` is alive. Never raises: a heartbeat must not kill its
    process when Redis blinks; /health will report the gap instead."""
    try:
        cache.set(key, {"at": time.time(), "name": name}, KEEP_SECONDS)
    except Exception:
        logger.warning("Could not record the heartbeat of %s", name, exc_info=True)


def last_seen(key: str) -> dict | None:
    return cache.get(key)
