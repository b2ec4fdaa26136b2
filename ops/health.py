"""The checks behind /health. Each returns a dict with `status` ("ok", "not
configured", or "failing") and details; `summarise` turns them into one status.

The database failing makes Hindsight unhealthy (nothing works without the record);
anything else failing makes it degraded: pages and the API still answer, while
background work waits for Redis or the workers to come back."""

import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from . import heartbeats
from .traffic import traffic

logger = logging.getLogger(__name__)

OK, NOT_CONFIGURED, FAILING = "ok", "not configured", "failing"
HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
CRITICAL_CHECKS = {"database"}
TIMEOUT_SECONDS = 2


def _failing(error: Exception, **details) -> dict:
    return {"status": FAILING, "error": f"{type(error).__name__}: {error}", **details}


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return round((time.perf_counter() - started) * 1000, 2)


def check_database() -> dict:
    def query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    try:
        return {"status": OK, "query_ms": _timed(query), "vendor": connection.vendor}
    except Exception as error:
        logger.warning("Health: the database does not answer: %s", error)
        return _failing(error)


def check_cache() -> dict:
    key = "ops:health:probe"

    def round_trip() -> None:
        cache.set(key, "1", 30)
        if cache.get(key) != "1":
            raise RuntimeError("the value written could not be read back")

    try:
        return {"status": OK, "round_trip_ms": _timed(round_trip)}
    except Exception as error:
        logger.warning("Health: the cache does not answer: %s", error)
        return _failing(error)


def check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": NOT_CONFIGURED, "mode": "tasks run in-process"}

    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
        )
        with client:
            elapsed = _timed(client.ping)
        return {"status": OK, "ping_ms": elapsed}
    except Exception as error:
        logger.warning("Health: the broker does not answer: %s", error)
        return _failing(error)


def _writable(directory: Path) -> str | None:
    """None when a file can be created in `directory`, else why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".health-"):
            pass
    except OSError as error:
        return f"{directory}: {error.strerror or error}"
    return None


def check_storage() -> dict:
    places = {
        "memory_bank_dir": Path(settings.MEMORY_BANK_DIR),
        "backup_dir": Path(settings.BACKUP_DIR),
    }
    problems = [p for p in map(_writable, places.values()) if p]
    result = {name: str(path) for name, path in places.items()}
    if problems:
        return {"status": FAILING, "error": "; ".join(problems), **result}
    return {"status": OK, **result}


def _seen(key: str, *, what: str) -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": NOT_CONFIGURED, "mode": "tasks run in-process"}

    try:
        seen = heartbeats.last_seen(key)
    except Exception as error:
        return _failing(error, detail=f"cannot read the {what} heartbeat")
    if seen is None:
        return {"status": FAILING, "error": f"no {what} seen yet"}

    age = round(time.time() - seen["at"], 1)
    limit = settings.HEALTH_HEARTBEAT_MAX_AGE.total_seconds()
    result = {"last_seen_seconds_ago": age, "name": seen["name"]}
    if age > limit:
        return {"status": FAILING, "error": f"not seen for {age:.0f}s", **result}
    return {"status": OK, **result}


def check_celery_workers() -> dict:
    return _seen(heartbeats.WORKER_KEY, what="worker")


def check_beat() -> dict:
    return _seen(heartbeats.BEAT_KEY, what="beat")


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
    "celery_workers": check_celery_workers,
    "beat": check_beat,
}


def summarise(checks: dict[str, dict]) -> str:
    failing = {name for name, result in checks.items() if result["status"] == FAILING}
    if failing & CRITICAL_CHECKS:
        return UNHEALTHY
    return DEGRADED if failing else HEALTHY


def memory_use() -> dict:
    """Resident memory now (Linux) and at its peak (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = {"peak_rss_bytes": peak, "rss_bytes": None}
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        result["rss_bytes"] = pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    return result


def health_report(*, version: str, started_at: float) -> dict:
    checks = {name: check() for name, check in CHECKS.items()}
    return {
        "status": summarise(checks),
        "version": version,
        "uptime_seconds": round(time.time() - started_at, 1),
        "checks": checks,
        "metrics": {
            "database_query_ms": checks["database"].get("query_ms"),
            "memory": memory_use(),
            "requests": traffic.summary(),
        },
    }
