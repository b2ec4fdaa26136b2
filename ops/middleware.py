import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse

from config.logging import request_id_var

from . import statsd
from .traffic import traffic

# An incoming id is kept only when it is short and plain, so it cannot smuggle
# anything into a log line or a response header.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class LivenessMiddleware:
    """Answer /healthz before anything else: no database, no Redis, and no Host
    check, so a container probe on 127.0.0.1 works whatever ALLOWED_HOSTS says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return JsonResponse({"status": "alive"})
        return self.get_response(request)


class RequestIdMiddleware:
    """Give each request an id (the caller's X-Request-ID when sane), put it on every
    log line of the request and echo it in the response; count the outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Cleared on request_finished (ops.signals), not here: Django logs 4xx and 5xx
        # responses after the middleware chain returns, and those lines need the id.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)

        elapsed_ms = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request_id
        traffic.record(status=response.status_code)
        statsd.timing("request.duration", elapsed_ms)
        statsd.incr(f"request.status.{response.status_code // 100}xx")
        return response


class ContentSecurityPolicyMiddleware:
    """Django 5.2 has no CSP of its own; a view that needs another policy sets the
    header itself and is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault(
                "Content-Security-Policy", settings.CONTENT_SECURITY_POLICY
            )
        return response
