import logging

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import ApiToken, AuditEvent, Role, hash_token

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
        username=f"token:{name}"[:150], defaults={"is_active": True}
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.set([Group.objects.get(name=role)])

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
