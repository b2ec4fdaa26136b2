import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, restore_backup, verify_backup


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into an empty database "
        "(create it and do not migrate), then check its row counts. With --check, "
        "only verify the archive's checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--check", action="store_true", help="Verify only; change nothing."
        )

    def handle(self, *args, file, check=False, **options):
        started = time.perf_counter()
        try:
            if check:
                manifest = verify_backup(file)
                self.stdout.write(f"{file}: sound ({len(manifest['files'])} files)")
                return
            summary = restore_backup(file)
        except BackupError as error:
            raise CommandError(f"Refusing {file}: {error}") from error

        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Restored {file}: {summary['tables']} tables, {summary['rows']} rows, "
            f"{summary['memory_bank_files']} memory-bank files, "
            f"verified ({elapsed:.1f}s)"
        )
