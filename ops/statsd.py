"""StatsD counters and timings, sent only when STATSD_HOST is set."""

import functools

import statsd
from django.conf import settings


@functools.cache
def client() -> statsd.StatsClient | None:
    if not settings.STATSD_HOST:
        return None
    return statsd.StatsClient(
        settings.STATSD_HOST, settings.STATSD_PORT, prefix=settings.STATSD_PREFIX
    )


def incr(name: str) -> None:
    if (sender := client()) is not None:
        sender.incr(name)


def timing(name: str, milliseconds: float) -> None:
    if (sender := client()) is not None:
        sender.timing(name, milliseconds)
