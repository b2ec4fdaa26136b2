"""Hooks through which metrics/ learns that the record changed."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.signals import record_changed

from .memory_bank.scheduling import request_export
from .models import SLO, FreezeOverride, SLIEvent

logger = logging.getLogger(__name__)


@receiver(record_changed, dispatch_uid="metrics.memory_bank.record_changed")
def schedule_memory_bank_export(sender, *, kind: str, ids: list[int], **kwargs):
    outcome = request_export()
    logger.debug("Memory-bank export after %s change %s: %s", kind, ids, outcome)


def schedule_export_after_slo_change(sender, **kwargs):
    # SLOs, their measurements and freeze overrides are metrics' own rows, changed
    # outside the record's services, so they do not send record_changed.
    transaction.on_commit(request_export)


for _model in (SLO, SLIEvent, FreezeOverride):
    post_save.connect(
        schedule_export_after_slo_change,
        sender=_model,
        dispatch_uid=f"metrics.memory_bank.{_model.__name__}.saved",
    )
    post_delete.connect(
        schedule_export_after_slo_change,
        sender=_model,
        dispatch_uid=f"metrics.memory_bank.{_model.__name__}.deleted",
    )
