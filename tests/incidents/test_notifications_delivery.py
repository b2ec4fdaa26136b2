"""Delivering notifications: the Celery task, its retries, and the sender's refusal
to reach internal addresses (SSRF)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from incidents import outbound
from incidents.models import Deployment, OutgoingWebhook, WebhookDelivery
from incidents.tasks import MAX_ATTEMPTS, deliver_webhook

from ..factories import make_token


class Receiver:
    """A small HTTP server on loopback that answers as told and records requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.headers: dict[str, str] = {}
        self.body = b"ok"
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.requests.append(
                    {"host": self.headers["Host"], "body": self.rfile.read(length)}
                )
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def private_allowed(settings):
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True


def queue(url: str) -> WebhookDelivery:
    webhook = OutgoingWebhook.objects.create(name=f"hook-{url[-12:]}", url=url)
    return WebhookDelivery.objects.create(
        webhook=webhook, event="deployment.finished", payload={"text": "Deployed"}
    )


def test_a_delivery_posts_the_json_and_records_success(db, receiver, private_allowed):
    delivery = queue(receiver.url)

    outcome = deliver_webhook.apply(args=[delivery.pk]).get()

    assert outcome == "delivered"
    assert json.loads(receiver.requests[0]["body"]) == {"text": "Deployed"}
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_code) == (1, 200)
    assert delivery.delivered_at is not None


def test_a_5xx_is_retried_up_to_the_cap_then_recorded_failed(
    db, receiver, private_allowed
):
    receiver.status = 503
    delivery = queue(receiver.url)

    deliver_webhook.apply(args=[delivery.pk])

    assert len(receiver.requests) == MAX_ATTEMPTS
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert (delivery.attempts, delivery.response_code) == (MAX_ATTEMPTS, 503)
    assert delivery.error == "HTTP 503"


def test_a_4xx_is_not_retried(db, receiver, private_allowed):
    receiver.status = 404
    delivery = queue(receiver.url)

    deliver_webhook.apply(args=[delivery.pk])

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)


def test_a_redirect_is_not_followed(db, receiver, private_allowed):
    target = Receiver()
    try:
        receiver.status = 302
        receiver.headers = {"Location": target.url}
        delivery = queue(receiver.url)

        deliver_webhook.apply(args=[delivery.pk])

        assert len(receiver.requests) == 1
        assert target.requests == []
    finally:
        target.close()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert "redirect not followed" in delivery.error


def test_a_slow_receiver_times_out_and_is_retried(
    db, receiver, private_allowed, monkeypatch
):
    monkeypatch.setattr(outbound, "TIMEOUT_SECONDS", 0.2)
    receiver.delay = 0.5
    delivery = queue(receiver.url)

    deliver_webhook.apply(args=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS
    assert "timed out" in delivery.error


def test_at_most_the_size_cap_of_an_answer_is_read(receiver, private_allowed):
    receiver.body = b"x" * (outbound.MAX_RESPONSE_BYTES * 4)

    answer = outbound.post_json(receiver.url, {"text": "hi"})

    assert answer.status == 200
    assert len(answer.body) == outbound.MAX_RESPONSE_BYTES


def test_the_connection_goes_to_the_vetted_address_with_the_real_host(
    receiver, private_allowed, monkeypatch
):
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.0.0.1"])  # a rebinding resolver

    def fake(host, *args, **kwargs):
        if host == "hooks.test":
            return real(next(answers), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)

    answer = outbound.post_json(f"http://hooks.test:{receiver.port}/x", {"a": 1})

    assert answer.status == 200
    assert receiver.requests[0]["host"] == f"hooks.test:{receiver.port}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_slow_failing_receiver_never_holds_up_ingestion(
    receiver, private_allowed, settings
):
    # Without a broker (the embedded default) delivery takes the in-process path, a
    # thread; CI's PostgreSQL pass has Redis configured, so say so explicitly.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    receiver.status = 500
    receiver.delay = 1.5
    OutgoingWebhook.objects.create(name="broken", url=receiver.url)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('ci')}")

    started = time.monotonic()
    response = client.post(
        "/api/deployments/",
        {"service": "checkout", "environment": "production"},
        format="json",
    )
    answered_in = time.monotonic() - started
    for thread in threading.enumerate():
        if thread.name == "webhook-delivery":
            thread.join(timeout=60)
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING
        ).exists()
    ):
        time.sleep(0.2)

    assert response.status_code == 201
    # Inline, five attempts at 1.5 s each would have taken 7.5 s.
    assert answered_in < 5
    assert Deployment.objects.count() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.requests) == MAX_ATTEMPTS


LOOPBACK_SPELLINGS = [
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost/",
    "http://0.0.0.0/",
    "http://127.0.0.1:8000/admin/",
]


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused(db, url):
    with pytest.raises(outbound.UnsafeTarget):
        outbound.vet_url(url)


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS[:3])
def test_a_refused_target_is_recorded_failed_without_retrying(db, url):
    delivery = queue(url)

    outcome = deliver_webhook.apply(args=[delivery.pk]).get()

    assert outcome == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "internal address" in delivery.error


def test_a_name_that_resolves_to_loopback_is_refused(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))
        ],
    )

    with pytest.raises(outbound.UnsafeTarget, match="127.0.0.1"):
        outbound.vet_url("https://hooks.innocent.example/")


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd00::1", "fe80::1"],
)
def test_private_link_local_and_metadata_addresses_are_refused(monkeypatch, address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(family, socket.SOCK_STREAM, 6, "", (address, 80))],
    )

    with pytest.raises(outbound.UnsafeTarget):
        outbound.vet_url("http://metadata.example/latest/")


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///x"]
)
def test_only_http_and_https_urls_with_a_host_are_allowed(url):
    with pytest.raises(outbound.UnsafeTarget):
        outbound.vet_url(url)


def test_a_public_address_is_allowed(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))
        ],
    )

    target = outbound.vet_url("https://hooks.example.com/services/T0?x=1")

    assert (target.host, target.port, target.address) == (
        "hooks.example.com",
        443,
        "93.184.215.14",
    )
    assert target.path == "/services/T0?x=1"
