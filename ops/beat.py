import socket
import time

from celery.beat import PersistentScheduler

from .heartbeats import BEAT_KEY, INTERVAL_SECONDS, beat_of


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler, which also records that beat is alive. Beat sleeps
    until the next task is due; capping the sleep keeps the heartbeat fresh."""

    _last_heartbeat = 0.0

    def tick(self, *args, **kwargs) -> float:
        now = time.monotonic()
        if now - self._last_heartbeat >= INTERVAL_SECONDS:
            beat_of(BEAT_KEY, name=f"beat@{socket.gethostname()}")
            self._last_heartbeat = now
        return min(super().tick(*args, **kwargs), INTERVAL_SECONDS)
