import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import (
    TOKEN_USERNAME_PREFIX,
    ApiToken,
    AuditEvent,
    Profile,
    Role,
    hash_token,
)
from .roles import role_group

logger = logging.getLogger(__name__)


class TokenError(Exception):
    pass


@transaction.atomic
def create_api_token(
    *, name: str, role: Role = Role.INTEGRATION, created_by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token and the machine user it acts as; return the token and the raw
    value, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise TokenError("A token needs a name.")
    if ApiToken.objects.filter(name=name).exists():
        raise TokenError(f"A token named {name!r} already exists.")

    user, _ = User.objects.get_or_create(
        username=f"{TOKEN_USERNAME_PREFIX}{name}"[:150], defaults={"is_active": True}
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.set([role_group(role)])

    raw = ApiToken.generate_raw()
    token = ApiToken.objects.create(
        name=name,
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[:8],
        created_by=created_by,
    )
    audit.record(
        AuditEvent.Action.TOKEN_CREATED,
        actor=created_by,
        target=name,
        detail={"role": str(role), "prefix": token.prefix},
    )
    logger.info("API token %s created with role %s", name, role)
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor: User | None = None) -> bool:
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not revoked:
        return False

    audit.record(AuditEvent.Action.TOKEN_REVOKED, actor=actor, target=token.name)
    logger.info("API token %s revoked", token.name)
    return True


def set_time_zone(*, user: User, time_zone: str) -> None:
    """Blank means the team's zone (settings.TIME_ZONE)."""
    Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    logger.info("User %s picked time zone %s", user.pk, time_zone or "(team's)")


_PERSON_ROLES = (Role.VIEWER, Role.RESPONDER, Role.ADMIN)


@transaction.atomic
def set_role(*, user: User, role: Role | None, actor: User | None) -> None:
    """Give a person exactly one person role (None takes every role away)."""
    user.groups.remove(*Group.objects.filter(name__in=_PERSON_ROLES))
    if role is not None:
        user.groups.add(role_group(role))
    logger.info(
        "User %s given role %s by %s", user.pk, role or "(none)", actor and actor.pk
    )


@transaction.atomic
def create_person(
    *, username: str, password: str, role: Role, actor: User | None
) -> User:
    user = User.objects.create_user(username=username, password=password)
    set_role(user=user, role=role, actor=actor)
    return user


def end_sessions(*, user: User) -> int:
    """Delete every stored session of ``user``. Refusing inactive users on each
    request is not enough: reactivating the account would bring a stolen session
    back. Sessions are opaque blobs, so each live one is decoded; deactivating
    people is rare enough for that."""
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    logger.info("Ended %d sessions of user %s", len(mine), user.pk)
    return len(mine)


def set_active(*, user: User, active: bool, actor: User | None) -> None:
    changed = (
        User.objects.filter(pk=user.pk)
        .exclude(is_active=active)
        .update(is_active=active)
    )
    if changed and not active:
        end_sessions(user=user)
        audit.record(
            AuditEvent.Action.USER_DEACTIVATED, actor=actor, target=user.get_username()
        )
    logger.info(
        "User %s %s by %s",
        user.pk,
        "activated" if active else "deactivated",
        actor and actor.pk,
    )
