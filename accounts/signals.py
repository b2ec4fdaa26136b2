"""Audit hooks for authentication and role changes."""

from django.contrib.auth.models import Group, User
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db import transaction
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver

from . import audit
from .models import AuditEvent
from .services import end_sessions

Action = AuditEvent.Action


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(Action.LOGIN, request=request, actor=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(Action.LOGOUT, request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    audit.record(
        Action.LOGIN_FAILED,
        request=request,
        actor_name=str(credentials.get("username", "")),
    )


@receiver(m2m_changed, sender=User.groups.through)
def _groups_changed(sender, instance, action, pk_set, reverse, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"} or reverse:
        return
    names = sorted(
        Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True)
    )
    audit.record(
        Action.ROLE_CHANGED,
        target=instance.get_username(),
        detail={"change": action.removeprefix("post_"), "groups": names},
    )


@receiver(pre_save, sender=User)
def _deactivated(sender, instance, **kwargs):
    if not instance.pk or instance.is_active:
        return
    was_active = User.objects.filter(pk=instance.pk, is_active=True).exists()
    if was_active:
        audit.record(Action.USER_DEACTIVATED, target=instance.get_username())
        # After the save commits, so a rolled-back deactivation logs nobody out.
        transaction.on_commit(lambda: end_sessions(user=instance))
