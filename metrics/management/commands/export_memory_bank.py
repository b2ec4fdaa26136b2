from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from metrics.memory_bank.export import export_memory_bank


class Command(BaseCommand):
    help = (
        "Write CLAUDE-infrastructure.md, CLAUDE-metrics.md and CLAUDE-incidents.md "
        "(atomically; unchanged files are left untouched)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            default=None,
            help=f"Directory to write to (default: MEMORY_BANK_DIR, now "
            f"{settings.MEMORY_BANK_DIR}).",
        )
        parser.add_argument(
            "--as-of",
            default=None,
            help="The UTC day the windows end with (YYYY-MM-DD; default: today), "
            "for reproducible exports.",
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help="Size bound per file (default: MEMORY_BANK_MAX_BYTES).",
        )

    def handle(self, *args, out, as_of, max_bytes, **options):
        today = _parse_day(as_of) if as_of else None
        if max_bytes is not None and max_bytes < 1000:
            raise CommandError("--max-bytes must be at least 1000.")

        result = export_memory_bank(out_dir=out, today=today, max_bytes=max_bytes)

        for name, size in sorted(result.sizes.items()):
            state = "written" if name in result.changed else "unchanged"
            self.stdout.write(f"{result.directory / name}: {size} bytes, {state}")
        self.stdout.write(f"Exported in {result.seconds:.2f}s.")


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(
            f"--as-of must be a date like 2025-06-01: {text!r}"
        ) from error
