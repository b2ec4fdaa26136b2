import logging

from django.contrib.auth.models import User
from django.db import transaction

from ..models import Service, Team
from ..signals import announce_change

logger = logging.getLogger(__name__)

_FIELDS = (
    "slug",
    "name",
    "team",
    "tier",
    "repository_url",
    "runbook_url",
    "description",
)


@transaction.atomic
def save_service(
    *, service: Service | None, actor: User | None, **fields: str | Team | None
) -> Service:
    """Create a service (service=None) or change one from the catalogue page."""
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise ValueError(f"Unknown service fields: {', '.join(sorted(unknown))}")

    created = service is None
    service = service or Service()
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    service.save()

    announce_change(kind="service", ids=[service.pk])
    logger.info(
        "Service %s %s by %s",
        service.slug,
        "created" if created else "changed",
        actor.get_username() if actor else "the system",
    )
    return service
