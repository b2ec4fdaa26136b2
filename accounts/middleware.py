import zoneinfo

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
