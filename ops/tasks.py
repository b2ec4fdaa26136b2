import logging

from celery import shared_task
from django.db import OperationalError

from .backup import create_backup, prune_backups

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError, OSError),
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=3,
)
def back_up() -> str:
    """Run daily by beat. Safe to run twice: each run writes its own archive and
    retention prunes the extra one."""
    path = create_backup()
    pruned = prune_backups()
    return f"wrote {path.name}, pruned {len(pruned)}"
