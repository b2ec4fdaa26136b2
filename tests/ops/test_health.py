import io
import json
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import OperationalError

from ops import health, heartbeats
from ops.traffic import TrafficWindow

from ..factories import make_incident

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def storage(settings, tmp_path):
    settings.MEMORY_BANK_DIR = tmp_path / "memory-bank"
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings


@pytest.fixture
def with_broker(storage):
    """Settings as with REDIS_URL set, the cache staying in memory."""
    storage.CELERY_TASK_ALWAYS_EAGER = False
    storage.CELERY_BROKER_URL = "redis://127.0.0.1:6379/4"
    return storage


class BrokenConnection:
    vendor = "postgresql"

    def cursor(self):
        raise OperationalError("connection refused")


def test_the_embedded_default_is_healthy_without_workers(client, storage):
    storage.CELERY_TASK_ALWAYS_EAGER = True
    storage.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    make_incident()

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["version"] == "0.1.0"
    assert body["uptime_seconds"] >= 0
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "not configured",
        "storage": "ok",
        "celery_workers": "not configured",
        "beat": "not configured",
    }
    assert body["metrics"]["database_query_ms"] >= 0
    assert body["metrics"]["memory"]["rss_bytes"] > 0
    assert "error_rate" in body["metrics"]["requests"]


def test_the_database_down_is_unhealthy_with_503(client, storage, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["status"] == "failing"
    assert "connection refused" in body["checks"]["database"]["error"]


def test_redis_down_is_degraded_but_answers_200(client, with_broker):
    with_broker.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with_broker.CELERY_BROKER_URL = UNREACHABLE_REDIS

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    for name in ("cache", "broker", "celery_workers", "beat"):
        assert body["checks"][name]["status"] == "failing", name


def test_workers_and_beat_seen_recently_are_ok(client, with_broker):
    heartbeats.beat_of(heartbeats.WORKER_KEY, name="celery@web-1")
    heartbeats.beat_of(heartbeats.BEAT_KEY, name="beat@web-1")

    body = client.get("/health").json()

    assert body["checks"]["celery_workers"]["status"] == "ok"
    assert body["checks"]["celery_workers"]["name"] == "celery@web-1"
    assert body["checks"]["beat"]["status"] == "ok"


def test_a_worker_not_seen_for_too_long_makes_it_degraded(client, with_broker):
    with_broker.HEALTH_HEARTBEAT_MAX_AGE = timedelta(seconds=60)
    cache.set(heartbeats.WORKER_KEY, {"at": time.time() - 300, "name": "celery@old"})
    heartbeats.beat_of(heartbeats.BEAT_KEY, name="beat@web-1")

    response = client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["celery_workers"]["status"] == "failing"
    assert body["checks"]["celery_workers"]["last_seen_seconds_ago"] >= 300


def test_no_worker_ever_seen_is_reported(with_broker):
    cache.delete(heartbeats.WORKER_KEY)

    assert health.check_celery_workers() == {
        "status": "failing",
        "error": "no worker seen yet",
    }


def test_an_unwritable_memory_bank_directory_is_degraded(client, storage, tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    storage.MEMORY_BANK_DIR = in_the_way / "memory-bank"

    body = client.get("/health").json()

    assert body["status"] == "degraded"
    assert body["checks"]["storage"]["status"] == "failing"
    assert "memory-bank" in body["checks"]["storage"]["error"]


def test_healthz_answers_for_any_host_without_touching_the_database(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_summary_is_unhealthy_only_for_the_database():
    ok, failing = {"status": "ok"}, {"status": "failing"}
    quiet = {"status": "not configured"}

    assert health.summarise({"database": ok, "cache": ok, "beat": quiet}) == "healthy"
    assert health.summarise({"database": ok, "cache": failing}) == "degraded"
    assert health.summarise({"database": failing, "cache": ok}) == "unhealthy"


def test_the_error_rate_counts_server_errors_of_the_last_minutes():
    window = TrafficWindow()
    now = 1_000_000.0
    for status in (200, 200, 500, 404):
        window.record(status=status, now=now)
    window.record(status=500, now=now - 600)  # ten minutes ago: outside the window

    assert window.summary(minutes=5, now=now) == {
        "window_minutes": 5,
        "requests": 4,
        "server_errors": 1,
        "error_rate": 0.25,
    }
    assert window.summary(minutes=5, now=now + 3600)["error_rate"] is None


def test_the_health_command_fails_when_a_required_check_is_not_ok(with_broker):
    cache.delete(heartbeats.BEAT_KEY)
    out = io.StringIO()

    with pytest.raises(CommandError, match="beat"):
        call_command("health", "--require", "beat", stdout=out)

    assert json.loads(out.getvalue())["checks"]["beat"]["status"] == "failing"


def test_the_health_command_passes_when_the_required_check_is_ok(with_broker):
    heartbeats.beat_of(heartbeats.BEAT_KEY, name="beat@web-1")
    out = io.StringIO()

    call_command("health", "--require", "beat", stdout=out)

    assert json.loads(out.getvalue())["checks"]["beat"]["status"] == "ok"
