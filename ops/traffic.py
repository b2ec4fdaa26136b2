"""Requests and server errors of this process over the last minutes, for /health.

Counted per process in memory, so the health answer costs nothing per request and
needs neither Redis nor the database; Prometheus has the fleet-wide view."""

import threading
import time

BUCKET_SECONDS = 60
KEPT_BUCKETS = 15


class TrafficWindow:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[int, list[int]] = {}

    def record(self, *, status: int, now: float | None = None) -> None:
        bucket = int((now or time.time()) // BUCKET_SECONDS)
        with self._lock:
            counts = self._buckets.setdefault(bucket, [0, 0])
            counts[0] += 1
            if status >= 500:
                counts[1] += 1
            for old in [b for b in self._buckets if b <= bucket - KEPT_BUCKETS]:
                del self._buckets[old]

    def summary(self, *, minutes: int = 5, now: float | None = None) -> dict:
        newest = int((now or time.time()) // BUCKET_SECONDS)
        with self._lock:
            recent = [
                counts
                for bucket, counts in self._buckets.items()
                if bucket > newest - minutes
            ]
        requests = sum(c[0] for c in recent)
        errors = sum(c[1] for c in recent)
        return {
            "window_minutes": minutes,
            "requests": requests,
            "server_errors": errors,
            "error_rate": round(errors / requests, 4) if requests else None,
        }


traffic = TrafficWindow()
