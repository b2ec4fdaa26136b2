import socket

import pytest
from django.core.cache import cache

from ops import statsd
from ops.signals import _HANDLERS
from ops.task_counts import task_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def statsd_server(settings):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    settings.STATSD_HOST = "127.0.0.1"
    settings.STATSD_PORT = server.getsockname()[1]
    statsd.client.cache_clear()
    yield server
    server.close()
    statsd.client.cache_clear()


def received(server, count: int) -> list[str]:
    return [server.recv(4096).decode() for _ in range(count)]


def test_without_statsd_host_nothing_is_sent(settings):
    settings.STATSD_HOST = ""
    statsd.client.cache_clear()

    assert statsd.client() is None
    statsd.incr("request.status.2xx")  # must not raise


def test_each_request_sends_its_timing_and_status_class(client, statsd_server):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    timing, counter = received(statsd_server, 2)
    assert timing.startswith("hindsight.request.duration:")
    assert timing.endswith("|ms")
    assert counter == "hindsight.request.status.2xx:1|c"


def test_a_finished_celery_task_is_counted_in_statsd_and_the_cache(statsd_server):
    cache.clear()

    class Task:
        name = "ops.tasks.back_up"

    _HANDLERS["failed"](sender=Task())

    assert received(statsd_server, 1) == ["hindsight.celery.task.failed:1|c"]
    assert task_counts() == {("ops.tasks.back_up", "failed"): 1}
