"""Caching of DORA figures for the pages.

Entries are keyed by the request and by a generation number that every change of the
record bumps (through ``incidents.signals.record_changed``), and live at most a minute,
so a new deployment shows on the next page view, and within a minute even from
another process on a local-memory cache."""

import hashlib
import json
import logging

from django.core.cache import cache
from django.dispatch import receiver

from incidents.signals import record_changed

logger = logging.getLogger(__name__)

TTL_SECONDS = 55
GENERATION_KEY = "dora:generation"


@receiver(record_changed)
def _forget_figures(sender, kind, ids, **kwargs) -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def cached(name: str, compute, **kwargs):
    generation = cache.get(GENERATION_KEY, 0)
    text = json.dumps([name, generation, kwargs], default=str, sort_keys=True)
    key = "dora:" + hashlib.sha256(text.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute(**kwargs)
        cache.set(key, value, timeout=TTL_SECONDS)
    return value
