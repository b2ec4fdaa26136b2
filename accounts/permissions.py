from rest_framework.permissions import SAFE_METHODS, BasePermission

from . import audit
from .models import AuditEvent, Role
from .roles import has_role, is_integration


class RolePermission(BasePermission):
    """The API's one policy. A view may set:

    - ``write_role``: the role needed for unsafe methods (default: responder);
    - ``read_role``: the role needed for safe methods (default: viewer);
    - ``integration_methods``: the methods an integration token may use (default:
      none), since integrations only post deployments and alerts.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or not user.is_active:
            return False

        allowed = self._allowed(request, view, user)
        if not allowed:
            audit.record(
                AuditEvent.Action.PERMISSION_DENIED,
                request=request,
                actor=user,
                target=f"{request.method} {request.path}",
            )
        return allowed

    @staticmethod
    def _allowed(request, view, user) -> bool:
        if is_integration(user):
            return request.method in getattr(view, "integration_methods", ())

        if request.method in SAFE_METHODS:
            return has_role(user, getattr(view, "read_role", Role.VIEWER))
        return has_role(user, getattr(view, "write_role", Role.RESPONDER))
