import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.shortcuts import render

from config.logging import request_id_var

from . import statsd
from .traffic import traffic

logger = logging.getLogger(__name__)

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


# A JSON "\u0000" escape is a NUL only when an even number of backslashes (none
# included) stands before it; "\\u0000" is a backslash followed by text.
_JSON_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class RejectNulMiddleware:
    """Refuse with 400 any request whose path, query, form or JSON carries a NUL.

    PostgreSQL cannot hold NUL in text, and a lookup with one (a slug, a filter)
    fails in the driver: a 500 for something the client sent. Form and serializer
    char fields already refuse it; this covers every other way in at once, and
    names the field where it can."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            problem = _nul_problem(request)
        except SuspiciousOperation:
            # A body too large or with too many fields: the view meets the same
            # error and answers it as it always has (413 or 400).
            problem = None
        if problem is None:
            return self.get_response(request)

        field, message = problem
        logger.warning("Refused a request with a NUL character in %s", field)
        if request.path.startswith("/api/"):
            body = {"error": {"code": "invalid", "message": message}}
            body["error"]["fields"] = {field: [message]}
            return JsonResponse(body, status=400)
        # This runs before authentication; the error page's header asks who it is.
        request.user = AnonymousUser()
        return render(request, "400.html", {"reason": message}, status=400)


def _nul_problem(request) -> tuple[str, str] | None:
    if "\x00" in request.path:
        return "path", "The URL must not contain NUL characters."

    # A session cookie is looked up in the database too.
    for name, value in request.COOKIES.items():
        if "\x00" in name or "\x00" in value:
            return "cookie", "Cookies must not contain NUL characters."

    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return _named(name)

    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        for name, values in request.POST.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return _named(name)
    elif content_type == "multipart/form-data":
        if b"\x00" in request.body:
            return "body", "The request must not contain NUL characters."
    elif content_type.endswith("json") and _JSON_NUL_ESCAPE.search(request.body):
        return _named(_json_path_of_nul(request.body) or "body")
    return None


def _named(name: str) -> tuple[str, str]:
    shown = name.replace("\x00", "\\u0000")
    return shown, f"{shown} must not contain NUL characters."


def _json_path_of_nul(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        # Not JSON: the parser will say so with its own 400.
        return None
    return _find_nul(data, "")


def _find_nul(value, path: str) -> str | None:
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        here = f"{path}.{key}" if path else key
        if "\x00" in key:
            return here
        found = _find_nul(item, here)
        if found:
            return found
    return None
