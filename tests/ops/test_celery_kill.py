"""A worker killed with SIGKILL in the middle of a task, then started again: the
task is handed out again (acks_late), and it neither notifies twice nor leaves the
memory-bank export undone."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from incidents.models import OutgoingWebhook, WebhookDelivery
from incidents.services.notifications import notify
from metrics.memory_bank import scheduling
from metrics.tasks import export_memory_bank

from ..celery_fixtures import VISIBILITY_TIMEOUT_SECONDS, wait_for
from ..factories import make_incident, make_service

pytestmark = pytest.mark.celery_worker


class Receiver:
    """A webhook receiver that holds the first request open until released."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.received = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.received.set()
                receiver.release.wait(timeout=60)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def memory_bank_dir(settings, tmp_path):
    settings.MEMORY_BANK_DIR = tmp_path / "memory-bank"
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.MEMORY_BANK_DIR


def restart_after_visibility_timeout(worker):
    worker.kill()
    time.sleep(VISIBILITY_TIMEOUT_SECONDS + 1)
    worker.start()


def test_a_worker_killed_while_sending_a_notification_does_not_send_it_twice(
    celery_worker_factory, receiver
):
    OutgoingWebhook.objects.create(name="chat", url=receiver.url)
    # The receiver is on loopback, which outgoing webhooks refuse unless allowed.
    worker = celery_worker_factory(env={"ALLOW_PRIVATE_WEBHOOK_TARGETS": "true"})

    [delivery_id] = notify(
        event="incident.opened", payload={"text": "INC-1 opened"}, dedupe_key="inc-1"
    )
    assert receiver.received.wait(timeout=60), worker.logs()
    restart_after_visibility_timeout(worker)
    receiver.release.set()

    delivery = wait_for(
        lambda: (
            WebhookDelivery.objects.exclude(status="pending")
            .filter(pk=delivery_id)
            .first()
        ),
        what="the redelivered task to settle the delivery",
    )
    assert receiver.bodies == [{"text": "INC-1 opened"}]
    assert WebhookDelivery.objects.count() == 1
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "not resent" in delivery.error
    assert delivery.attempts == 1
    # The worker logs the task's outcome just after the task has written it.
    wait_for(
        lambda: "interrupted: not resent" in worker.logs(),
        what="the worker to log the task's outcome",
    )


def test_a_worker_killed_mid_export_leaves_no_export_missing(
    celery_worker_factory, memory_bank_dir, tmp_path
):
    make_incident([make_service("checkout")], title="Checkout is down")
    flags = tmp_path / "flags"
    flags.mkdir()
    (flags / "pause-export").touch()
    worker = celery_worker_factory(
        include=["tests.ops.worker_hooks"], env={"HINDSIGHT_TEST_FLAGS": str(flags)}
    )

    export_memory_bank.delay()
    wait_for((flags / "export-paused").exists, what="the export to start")
    assert cache.get(scheduling.LOCK_KEY) is not None
    (flags / "pause-export").unlink()
    restart_after_visibility_timeout(worker)

    incidents_file = memory_bank_dir / "CLAUDE-incidents.md"
    wait_for(incidents_file.exists, what="the redelivered export")
    assert "Checkout is down" in incidents_file.read_text()
    assert sorted(p.name for p in memory_bank_dir.iterdir()) == [
        "CLAUDE-incidents.md",
        "CLAUDE-infrastructure.md",
        "CLAUDE-metrics.md",
    ]
    wait_for(lambda: cache.get(scheduling.LOCK_KEY) is None, what="the lock release")
    assert "exported:" in worker.logs()
