import time
import zoneinfo

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone


class UserTimeZoneMiddleware:
    """Show times in the viewer's own zone when they picked one, else the team's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone_name = self._zone_name(request)
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)

    @staticmethod
    def _zone_name(request) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        return profile.time_zone if profile else ""


class IdleSessionMiddleware:
    """End a person's session after SESSION_IDLE_SECONDS without a request.

    The last-seen time is rewritten at most once a minute, so that an idle timeout
    does not turn every page view into a session write."""

    RESOLUTION_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        now = int(time.time())
        last_seen = request.session.get("last_seen")
        if last_seen is not None and now - last_seen > settings.SESSION_IDLE_SECONDS:
            logout(request)
            return
        if last_seen is None or now - last_seen >= self.RESOLUTION_SECONDS:
            request.session["last_seen"] = now
