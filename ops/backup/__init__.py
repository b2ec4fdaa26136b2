from .archive import (
    BackupError,
    create_backup,
    prune_backups,
    restore_backup,
    verify_backup,
)
from .retention import backups_to_keep

__all__ = [
    "BackupError",
    "backups_to_keep",
    "create_backup",
    "prune_backups",
    "restore_backup",
    "verify_backup",
]
