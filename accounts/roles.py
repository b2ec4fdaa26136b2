"""Who may do what. Roles are Django groups; each person role includes the ones below
it (admin > responder > viewer). Integrations are machine users with their own role
that never includes a person role."""

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db.models import QuerySet

from .models import TOKEN_USERNAME_PREFIX, Role

_PERSON_RANK = {Role.VIEWER: 1, Role.RESPONDER: 2, Role.ADMIN: 3}


def _group_names(user: User) -> frozenset[str]:
    # Cached on the user object: a page asks several times per request.
    cached = getattr(user, "_hindsight_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._hindsight_groups = cached
    return cached


def person_rank(user: User | AnonymousUser) -> int:
    if not user.is_authenticated or not user.is_active:
        return 0
    if user.is_superuser:
        return _PERSON_RANK[Role.ADMIN]

    names = _group_names(user)
    return max(
        (rank for role, rank in _PERSON_RANK.items() if role in names), default=0
    )


def has_role(user: User | AnonymousUser, role: Role) -> bool:
    if role == Role.INTEGRATION:
        return is_integration(user)
    return person_rank(user) >= _PERSON_RANK[role]


def is_integration(user: User | AnonymousUser) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and Role.INTEGRATION in _group_names(user)
    )


def can_view(user: User | AnonymousUser) -> bool:
    return has_role(user, Role.VIEWER)


def can_respond(user: User | AnonymousUser) -> bool:
    return has_role(user, Role.RESPONDER)


def can_administer(user: User | AnonymousUser) -> bool:
    return has_role(user, Role.ADMIN)


def role_group(role: Role) -> Group:
    """The group behind a role. The roles migration creates them; get_or_create keeps
    a role usable after a database flush (transactional tests, a partial restore)."""
    group, _ = Group.objects.get_or_create(name=str(role))
    return group


def active_people() -> QuerySet[User]:
    """Active users who are people: API tokens act as users too, sometimes with a
    person role, but cannot command an incident or own an action item."""
    return User.objects.filter(is_active=True).exclude(
        username__startswith=TOKEN_USERNAME_PREFIX
    )
