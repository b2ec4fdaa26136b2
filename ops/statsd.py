"""StatsD counters and timings, sent only when STATSD_HOST is set."""

import functools

from django.conf import settings


@functools.cache
def client():
    """A statsd.StatsClient, or None without STATSD_HOST (the package is imported
    only then)."""
    if not settings.STATSD_HOST:
        return None

    import statsd

    return statsd.StatsClient(
        settings.STATSD_HOST, settings.STATSD_PORT, prefix=settings.STATSD_PREFIX
    )


def incr(name: str) -> None:
    if (sender := client()) is not None:
        sender.incr(name)


def timing(name: str, milliseconds: float) -> None:
    if (sender := client()) is not None:
        sender.timing(name, milliseconds)
