from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import audit
from .models import AuditEvent, Role
from .roles import has_role


def role_required(role: Role):
    """Send anonymous visitors to the login page; refuse the logged-in with 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                audit.record(
                    AuditEvent.Action.PERMISSION_DENIED,
                    request=request,
                    target=f"{request.method} {request.path}",
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
