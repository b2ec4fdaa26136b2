import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, create_backup, prune_backups


class Command(BaseCommand):
    help = (
        "Write a backup of the database and the memory-bank files to BACKUP_DIR, "
        "with checksums; then prune old backups unless --no-prune."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, help="Instead of BACKUP_DIR.")
        parser.add_argument(
            "--no-prune", action="store_true", help="Keep every older backup."
        )

    def handle(self, *args, directory=None, no_prune=False, **options):
        started = time.perf_counter()
        try:
            path = create_backup(directory=directory)
        except BackupError as error:
            raise CommandError(f"Backup failed: {error}") from error

        elapsed = time.perf_counter() - started
        size = path.stat().st_size
        self.stdout.write(f"{path} ({size} bytes, {elapsed:.1f}s)")
        if not no_prune:
            for pruned in prune_backups(directory=directory):
                self.stdout.write(f"pruned {pruned.name}")
