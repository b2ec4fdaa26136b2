import logging
import re
from contextvars import ContextVar

from django.contrib.auth.models import User

from .client_ip import client_ip
from .models import AuditEvent

logger = logging.getLogger(__name__)

# The request being served, so that hooks without one (signals fired by the admin,
# say) still record who acted and from where. Set by AuditContextMiddleware.
current_request: ContextVar = ContextVar("current_request", default=None)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def clean(text: str, limit: int = 300) -> str:
    """Make user input safe to put on one log line: control characters, newlines
    included, would let a crafted username forge a second line."""
    return _CONTROL.sub("?", str(text))[:limit]


def record(
    action: str,
    *,
    request=None,
    actor: User | None = None,
    actor_name: str = "",
    target: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    request = request if request is not None else current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    name = clean(actor_name or (actor.get_username() if actor else ""), 150)
    address = client_ip(request) if request is not None else None

    event = AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=name,
        target=clean(target),
        ip_address=address,
        detail=detail or {},
    )
    logger.info(
        "audit %s by %r on %r from %s", action, name, clean(target), address or "-"
    )
    return event


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
