import hashlib
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "hs_"
# An API token acts as a machine user of this name; PersonForm refuses the prefix to
# people, so it is what tells a token's user from a person.
TOKEN_USERNAME_PREFIX = "token:"


class Role(models.TextChoices):
    """Roles are Django groups of these names; each includes the ones before it."""

    VIEWER = "viewer", "Viewer"
    RESPONDER = "responder", "Responder"
    ADMIN = "admin", "Admin"
    INTEGRATION = "integration", "Integration"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Blank means the team's zone (settings.TIME_ZONE).
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A machine credential. Only the SHA-256 of the token is stored, so a database
    leak reveals no usable token; the raw value is shown once, when it is created.
    SHA-256 without salt is enough here because tokens are 256 random bits."""

    name = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        max_length=12, help_text="First characters, to recognise it."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_raw() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """Who did what, when (UTC) and from where, for the things an admin must be able to
    reconstruct: logins, refusals, tokens, roles, overrides and restricted access."""

    class Action(models.TextChoices):
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOGOUT = "logout", "Logged out"
        PERMISSION_DENIED = "permission_denied", "Refused action"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        ROLE_CHANGED = "role_changed", "Role changed"
        USER_DEACTIVATED = "user_deactivated", "User deactivated"
        FREEZE_OVERRIDE = "freeze_override", "Deploy freeze overridden"
        RESTRICTED_ACCESS = "restricted_access", "Restricted incident opened"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name as given, kept even if the user is deleted or never existed.
    actor_name = models.CharField(max_length=150, blank=True)
    target = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_name}"
