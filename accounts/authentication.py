import logging

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, hash_token

logger = logging.getLogger(__name__)

# Refresh last_used_at at most this often, so that busy pipelines do not turn every
# request into a write.
_LAST_USED_RESOLUTION_SECONDS = 60


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Accepts ``Authorization: Bearer <token>`` and DRF's ``Token <token>``."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if (
            not header
            or header[0].decode(errors="replace").lower() not in self.keywords
        ):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Authorization header must be 'Bearer <token>'."
            )

        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                "Token contains invalid characters."
            ) from None
        return self._authenticate_raw(raw)

    def _authenticate_raw(self, raw: str):
        token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=hash_token(raw))
            .first()
        )
        if token is None:
            logger.warning("Rejected an unknown or revoked API token")
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")

        now = timezone.now()
        stale = (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds()
            > _LAST_USED_RESOLUTION_SECONDS
        )
        if stale:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.user, token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
