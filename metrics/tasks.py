import logging

from celery import shared_task
from django.conf import settings

from .memory_bank import scheduling
from .memory_bank.export import export_memory_bank as write_memory_bank

logger = logging.getLogger(__name__)


@shared_task(name="metrics.tasks.export_memory_bank")
def export_memory_bank() -> str:
    """Rewrite the memory-bank files in MEMORY_BANK_DIR (on change and from beat)."""
    if not scheduling.begin_export(owner=export_memory_bank.request.id):
        # Another export is running; it may have read the record before the change
        # that brought us here, so make sure one more follows it.
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            scheduling.request_export()
        return "busy: another export is running"

    try:
        result = write_memory_bank()
    except Exception:
        # The record changed but the files did not: leave the bank dirty.
        scheduling.mark_dirty()
        raise
    finally:
        scheduling.end_export()
    return f"exported: {result.summary()}"
